using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace ByteFormer.Tests.Interop;

/// <summary>
/// Writes small checkpoints the way <c>torch.save</c> lays them out (PyTorch ≥ 1.6): <c>archive/data.pkl</c>, a
/// protocol-2 pickle of an OrderedDict of <c>_rebuild_tensor_v2</c> calls with the opcodes torch emits (compare
/// shared/fixtures/corenet-byteformer/small_small64/weights.pt), storages <c>archive/data/KEY</c>, all stored
/// uncompressed as torch writes them; plus the knobs the hardening tests need (extra pickle items, deflate).
/// </summary>
public sealed class TorchZip
{
    private readonly List<(string Name, float[] Values, long[] Shape)> tensors = new();
    private readonly List<(byte[] Key, byte[] Value)> extras = new();
    private readonly List<(string Name, int Storage)> aliases = new();

    /// <summary>Another tensor on the storage of tensor <paramref name="storage"/> (tied weights).</summary>
    public TorchZip Alias(string name, int storage)
    {
        aliases.Add((name, storage));
        return this;
    }

    public TorchZip Tensor(string name, long[] shape, float[]? values = null)
    {
        var n = shape.Aggregate(1L, (a, b) => a * b);
        tensors.Add((name, values ?? Enumerable.Range(0, (int)n).Select(i => i * 0.25f - 1).ToArray(), shape));
        return this;
    }

    /// <summary>An extra state_dict item whose key and value are raw pickle opcodes.</summary>
    public TorchZip Extra(byte[] key, byte[] value)
    {
        extras.Add((key, value));
        return this;
    }

    /// <summary>The pickle of the state_dict (without the storages).</summary>
    public byte[] Pickle()
    {
        var p = new Pickler();
        p.Op(0x80).Op(2);
        p.Global("collections", "OrderedDict").Op(')').Op('R');
        p.Op('(');
        foreach (var (name, index) in tensors.Select((t, i) => (t.Name, i)).Concat(aliases))
        {
            var (_, values, shape) = tensors[index];
            var i = index;
            p.Str(name);
            p.Global("torch._utils", "_rebuild_tensor_v2");
            p.Op('(');
            p.Op('(').Str("storage").Global("torch", "FloatStorage").Str(i.ToString()).Str("cpu").Int(values.Length).Op('t');
            p.Op('Q');
            p.Int(0);
            p.Op('('); foreach (var d in shape) p.Int(d); p.Op('t');
            var strides = new long[shape.Length];
            for (long s = 1, k = shape.Length - 1; k >= 0; s *= shape[k], k--) strides[k] = s;
            p.Op('('); foreach (var s in strides) p.Int(s); p.Op('t');
            p.Op(0x89);
            p.Global("collections", "OrderedDict").Op(')').Op('R');
            p.Op('t').Op('R');
        }
        foreach (var (key, value) in extras) p.Raw(key).Raw(value);
        p.Op('u').Op('.');
        return p.Bytes();
    }

    /// <summary>The checkpoint as torch.save writes it; <paramref name="pickle"/> replaces data.pkl,
    /// <paramref name="deflate"/> compresses every entry.</summary>
    public byte[] Build(byte[]? pickle = null, bool deflate = false)
    {
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            var level = deflate ? CompressionLevel.Optimal : CompressionLevel.NoCompression;
            void Entry(string name, byte[] data)
            {
                using var s = zip.CreateEntry("archive/" + name, level).Open();
                s.Write(data);
            }
            Entry("data.pkl", pickle ?? Pickle());
            Entry("byteorder", "little"u8.ToArray());
            for (var i = 0; i < tensors.Count; i++)
            {
                var raw = new byte[tensors[i].Values.Length * 4];
                Buffer.BlockCopy(tensors[i].Values, 0, raw, 0, raw.Length);
                Entry("data/" + i, raw);
            }
            Entry("version", "3\n"u8.ToArray());
        }
        return buffer.ToArray();
    }

    /// <summary>A small valid checkpoint of three tensors.</summary>
    public static TorchZip Small() => new TorchZip().Tensor("a.weight", [4, 3]).Tensor("a.bias", [4]).Tensor("b.weight", [2, 2, 2]);

    /// <summary>Where an entry's data starts in a zip (after its local header), and the central record's offset.</summary>
    public static (int Data, int Local, int Central) Locate(byte[] zip, string entryName)
    {
        var name = Encoding.UTF8.GetBytes(entryName);
        for (var i = 0; i + 46 <= zip.Length; i++)
        {
            if (zip[i] != 'P' || zip[i + 1] != 'K' || zip[i + 2] != 1 || zip[i + 3] != 2) continue;
            int nameLength = BinaryPrimitives.ReadUInt16LittleEndian(zip.AsSpan(i + 28));
            if (!zip.AsSpan(i + 46, nameLength).SequenceEqual(name)) continue;
            var local = (int)BinaryPrimitives.ReadUInt32LittleEndian(zip.AsSpan(i + 42));
            int localName = BinaryPrimitives.ReadUInt16LittleEndian(zip.AsSpan(local + 26));
            int localExtra = BinaryPrimitives.ReadUInt16LittleEndian(zip.AsSpan(local + 28));
            return (local + 30 + localName + localExtra, local, i);
        }
        throw new InvalidOperationException($"{entryName} not in the zip");
    }

    /// <summary>Forges the uncompressed size of an entry in both its local header and the central directory.</summary>
    public static void ForgeSize(byte[] zip, string entryName, uint size)
    {
        var (_, local, central) = Locate(zip, entryName);
        BinaryPrimitives.WriteUInt32LittleEndian(zip.AsSpan(local + 22), size);
        BinaryPrimitives.WriteUInt32LittleEndian(zip.AsSpan(central + 24), size);
    }

    /// <summary>Writes a zip whose one entry is <paramref name="zeros"/> zero bytes, deflated while streamed
    /// (a zip bomb: about a thousandth of that on disk), beside a normal checkpoint's other entries.</summary>
    public void WriteBomb(string path, string bombEntry, long zeros)
    {
        using var file = File.Create(path);
        using var zip = new ZipArchive(file, ZipArchiveMode.Create);
        void Entry(string name, byte[] data, CompressionLevel level = CompressionLevel.NoCompression)
        {
            using var s = zip.CreateEntry("archive/" + name, level).Open();
            if (name != bombEntry) s.Write(data);
            else
            {
                var chunk = new byte[1 << 20];
                for (long left = zeros; left > 0; left -= chunk.Length) s.Write(chunk, 0, (int)Math.Min(chunk.Length, left));
            }
        }
        Entry("data.pkl", Pickle(), bombEntry == "data.pkl" ? CompressionLevel.SmallestSize : CompressionLevel.NoCompression);
        Entry("byteorder", "little"u8.ToArray());
        for (var i = 0; i < tensors.Count; i++)
        {
            var raw = new byte[tensors[i].Values.Length * 4];
            Buffer.BlockCopy(tensors[i].Values, 0, raw, 0, raw.Length);
            var name = "data/" + i;
            Entry(name, raw, name == bombEntry ? CompressionLevel.SmallestSize : CompressionLevel.NoCompression);
        }
        Entry("version", "3\n"u8.ToArray());
    }
}

/// <summary>Emits pickle opcodes (protocol 2, as torch.save writes them).</summary>
public sealed class Pickler
{
    private readonly MemoryStream s = new();

    public Pickler Op(int op)
    {
        s.WriteByte((byte)op);
        return this;
    }

    public Pickler Raw(byte[] bytes)
    {
        s.Write(bytes);
        return this;
    }

    public Pickler Global(string module, string name) => Op('c').Raw(Encoding.ASCII.GetBytes($"{module}\n{name}\n"));

    public Pickler Str(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        Op('X');
        Span<byte> n = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(n, bytes.Length);
        s.Write(n);
        return Raw(bytes);
    }

    public Pickler Int(long v)
    {
        Op('J');
        Span<byte> n = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(n, checked((int)v));
        s.Write(n);
        return this;
    }

    public byte[] Bytes() => s.ToArray();
}

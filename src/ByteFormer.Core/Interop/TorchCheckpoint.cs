using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using static TorchSharp.torch;

namespace ByteFormer.Interop;

/// <summary>
/// Reads a state_dict written by <c>torch.save</c> in its zip format (PyTorch ≥ 1.6): <c>*/data.pkl</c> holds
/// a pickle of an OrderedDict whose tensors point at storages in <c>*/data/&lt;key&gt;</c>. Only the pickle
/// opcodes and globals that a state_dict uses are understood; nothing from the file is executed.
/// Floating-point tensors are returned as float32.
/// </summary>
public static class TorchCheckpoint
{
    /// <summary>Reads the flat state_dict in <paramref name="path"/> (a "state_dict" or "model" wrapper is unwrapped).</summary>
    public static NamedTensors Read(string path)
    {
        using var stream = Safetensors.OpenForRead(path);
        ZipArchive zip;
        try
        {
            zip = new ZipArchive(stream, ZipArchiveMode.Read);
        }
        catch (InvalidDataException)
        {
            throw new CheckpointException(IsLegacyPickle(path)
                ? $"{path} uses torch.save's legacy format (before PyTorch 1.6); re-save it with a current PyTorch or convert it to safetensors"
                : $"{path} is not a PyTorch checkpoint (not a zip archive; truncated or corrupt?)");
        }
        using (zip)
        {
            try
            {
                return ReadZip(zip, path);
            }
            catch (Exception e) when (e is InvalidDataException or EndOfStreamException or IOException
                                          or InvalidCastException or IndexOutOfRangeException or ArgumentException)
            {
                throw new CheckpointException($"{path} is not a readable PyTorch checkpoint ({e.Message})", e);
            }
        }
    }

    private static NamedTensors ReadZip(ZipArchive zip, string path)
    {
        var pickle = zip.Entries.FirstOrDefault(e => e.FullName.EndsWith("data.pkl", StringComparison.Ordinal))
                     ?? throw new CheckpointException($"{path} is a zip archive but not a PyTorch checkpoint (no data.pkl)");
        var prefix = pickle.FullName[..^"data.pkl".Length];
        var byteOrder = zip.GetEntry(prefix + "byteorder");
        if (byteOrder is not null)
        {
            using var reader = new StreamReader(byteOrder.Open());
            if (reader.ReadToEnd().Trim() != "little")
                throw new CheckpointException($"{path} stores big-endian tensors, which are not supported");
        }

        object? root;
        using (var s = pickle.Open())
        using (var buffer = new MemoryStream())
        {
            s.CopyTo(buffer);
            root = new Unpickler(buffer.ToArray(), path).Load();
        }
        var dict = root as PickleDict ?? throw new CheckpointException($"{path} does not hold a state_dict (its root object is not a dict)");
        if (!dict.Items.Any(kv => kv.Value is TensorRef))
            foreach (var wrapper in new[] { "state_dict", "model", "model_state_dict" })
                if (dict.Items.FirstOrDefault(kv => Equals(kv.Key, wrapper)).Value is PickleDict inner)
                {
                    dict = inner;
                    break;
                }

        var result = new NamedTensors();
        try
        {
            foreach (var (key, value) in dict.Items)
            {
                if (key is not string name || value is not TensorRef t) continue;
                result.Add(name, Materialize(zip, prefix, t, name, path));
            }
        }
        catch
        {
            result.Dispose();
            throw;
        }
        if (result.Count == 0) throw new CheckpointException($"{path} holds no tensors");
        return result;
    }

    private static Tensor Materialize(ZipArchive zip, string prefix, TensorRef t, string name, string path)
    {
        var entry = zip.GetEntry($"{prefix}data/{t.Storage.Key}")
                    ?? throw new CheckpointException($"{path}: storage of '{name}' is missing (truncated?)");
        int size = t.Storage.ElementSize;
        var raw = new byte[entry.Length];
        using (var s = entry.Open()) s.ReadExactly(raw);
        long elements = raw.Length / size;
        long needed = t.Offset + 1 + t.Shape.Select((d, i) => (d - 1) * t.Stride[i]).Sum();
        if (t.Shape.Any(d => d == 0)) needed = 0;
        if (needed > elements)
            throw new CheckpointException($"{path}: storage of '{name}' has {elements} elements, its shape needs {needed} (truncated?)");
        FloatKind kind = t.Storage.Type switch
        {
            "FloatStorage" => FloatKind.F32,
            "DoubleStorage" => FloatKind.F64,
            "HalfStorage" => FloatKind.F16,
            "BFloat16Storage" => FloatKind.BF16,
            _ => throw new CheckpointException($"{path}: tensor '{name}' is a {t.Storage.Type}; ByteFormer weights are floating point"),
        };
        var values = FloatDecoding.ToFloat32(raw, kind);
        using var flat = tensor(values);
        return flat.as_strided(t.Shape, t.Stride, t.Offset).contiguous();
    }

    private static bool IsLegacyPickle(string path)
    {
        using var s = File.OpenRead(path);
        return s.ReadByte() == 0x80;                                               // pickle PROTO opcode
    }

    private sealed record StorageRef(string Type, string Key)
    {
        public int ElementSize => Type switch
        {
            "DoubleStorage" or "LongStorage" => 8,
            "FloatStorage" or "IntStorage" => 4,
            "HalfStorage" or "BFloat16Storage" or "ShortStorage" => 2,
            _ => 1,
        };
    }

    private sealed record TensorRef(StorageRef Storage, long Offset, long[] Shape, long[] Stride);

    private sealed record Global(string Module, string Name);

    private sealed class PickleDict
    {
        public List<KeyValuePair<object?, object?>> Items { get; } = new();
    }

    private sealed class Mark;

    /// <summary>The subset of the pickle machine (protocols 2–5) that torch.save's state_dicts use.</summary>
    private sealed class Unpickler(byte[] data, string path)
    {
        private readonly List<object?> stack = new();
        private readonly Dictionary<long, object?> memo = new();
        private int pos;

        public object? Load()
        {
            while (true)
            {
                byte op = U8();
                switch (op)
                {
                    case 0x80: pos++; break;                                        // PROTO
                    case 0x95: pos += 8; break;                                     // FRAME
                    case (byte)'.': return Pop();                                   // STOP
                    case (byte)'(': stack.Add(new Mark()); break;                   // MARK
                    case (byte)'}': stack.Add(new PickleDict()); break;             // EMPTY_DICT
                    case (byte)']': stack.Add(new List<object?>()); break;          // EMPTY_LIST
                    case (byte)')': stack.Add(Array.Empty<object?>()); break;       // EMPTY_TUPLE
                    case (byte)'N': stack.Add(null); break;
                    case 0x88: stack.Add(true); break;
                    case 0x89: stack.Add(false); break;
                    case (byte)'K': stack.Add((long)U8()); break;                   // BININT1
                    case (byte)'M': stack.Add((long)BinaryPrimitives.ReadUInt16LittleEndian(Take(2))); break;
                    case (byte)'J': stack.Add((long)BinaryPrimitives.ReadInt32LittleEndian(Take(4))); break;
                    case 0x8a: stack.Add(Long(U8())); break;                        // LONG1
                    case (byte)'G': stack.Add(BinaryPrimitives.ReadDoubleBigEndian(Take(8))); break;
                    case (byte)'X': stack.Add(Str(BinaryPrimitives.ReadInt32LittleEndian(Take(4)))); break;
                    case 0x8c: stack.Add(Str(U8())); break;                         // SHORT_BINUNICODE
                    case (byte)'T': stack.Add(Str(BinaryPrimitives.ReadInt32LittleEndian(Take(4)))); break;
                    case (byte)'U': stack.Add(Str(U8())); break;
                    case (byte)'c': stack.Add(new Global(Line(), Line())); break;   // GLOBAL
                    case 0x93: { var n = (string)Pop()!; var m = (string)Pop()!; stack.Add(new Global(m, n)); break; }
                    case (byte)'q': memo[U8()] = stack[^1]; break;                  // BINPUT
                    case (byte)'r': memo[BinaryPrimitives.ReadUInt32LittleEndian(Take(4))] = stack[^1]; break;
                    case 0x94: memo[memo.Count] = stack[^1]; break;                 // MEMOIZE
                    case (byte)'h': stack.Add(memo[U8()]); break;                   // BINGET
                    case (byte)'j': stack.Add(memo[BinaryPrimitives.ReadUInt32LittleEndian(Take(4))]); break;
                    case (byte)'t': stack.Add(PopMark().ToArray()); break;          // TUPLE
                    case 0x85: stack.Add(new[] { Pop() }); break;
                    case 0x86: { var b = Pop(); var a = Pop(); stack.Add(new[] { a, b }); break; }
                    case 0x87: { var c = Pop(); var b = Pop(); var a = Pop(); stack.Add(new[] { a, b, c }); break; }
                    case (byte)'a': { var v = Pop(); ((List<object?>)stack[^1]!).Add(v); break; }
                    case (byte)'e': { var items = PopMark(); ((List<object?>)stack[^1]!).AddRange(items); break; }
                    case (byte)'s': { var v = Pop(); var k = Pop(); AddItem(stack[^1], k, v); break; }
                    case (byte)'u':
                    {
                        var items = PopMark();
                        for (var i = 0; i + 1 < items.Count; i += 2) AddItem(stack[^1], items[i], items[i + 1]);
                        break;
                    }
                    case (byte)'b': Pop(); break;                                   // BUILD: state (e.g. _metadata) ignored
                    case (byte)'Q': stack.Add(PersistentLoad(Pop())); break;        // BINPERSID
                    case (byte)'R': { var args = (object?[])Pop()!; var f = Pop(); stack.Add(Reduce(f, args)); break; }
                    case 0x81: { var args = (object?[])Pop()!; var cls = Pop(); stack.Add(Reduce(cls, args)); break; } // NEWOBJ
                    default:
                        throw new CheckpointException($"{path}: unsupported pickle opcode 0x{op:x2} at byte {pos - 1}; not a plain state_dict?");
                }
            }
        }

        private static void AddItem(object? target, object? key, object? value)
        {
            if (target is not PickleDict dict) throw new InvalidDataException("SETITEM on a non-dict");
            dict.Items.Add(new(key, value));
        }

        private object PersistentLoad(object? pid)
        {
            if (pid is object?[] { Length: >= 5 } t && Equals(t[0], "storage") && t[1] is Global type && t[2] is string key)
                return new StorageRef(type.Name, key);
            throw new InvalidDataException("unexpected persistent id");
        }

        private object? Reduce(object? callable, object?[] args)
        {
            if (callable is not Global g) throw new InvalidDataException("REDUCE on a non-global");
            switch ($"{g.Module}.{g.Name}")
            {
                case "collections.OrderedDict":
                case "builtins.dict":
                    return new PickleDict();
                case "torch._utils._rebuild_tensor_v2":
                case "torch._utils._rebuild_tensor":
                    return new TensorRef((StorageRef)args[0]!, (long)args[1]!, Longs(args[2]), Longs(args[3]));
                case "torch._utils._rebuild_parameter":
                case "torch._utils._rebuild_parameter_with_state":
                    return args[0];
                default:
                    return g;                                                       // unknown objects are kept opaque
            }
        }

        private static long[] Longs(object? tuple) => ((object?[])tuple!).Select(o => (long)o!).ToArray();

        private List<object?> PopMark()
        {
            var i = stack.FindLastIndex(o => o is Mark);
            if (i < 0) throw new InvalidDataException("pickle MARK missing");
            var items = stack.GetRange(i + 1, stack.Count - i - 1);
            stack.RemoveRange(i, stack.Count - i);
            return items;
        }

        private object? Pop()
        {
            if (stack.Count == 0) throw new InvalidDataException("pickle stack underflow");
            var o = stack[^1];
            stack.RemoveAt(stack.Count - 1);
            return o;
        }

        private byte U8() => pos < data.Length ? data[pos++] : throw new EndOfStreamException("pickle ends early");

        private ReadOnlySpan<byte> Take(int n)
        {
            if (n < 0 || pos + n > data.Length) throw new EndOfStreamException("pickle ends early");
            var span = data.AsSpan(pos, n);
            pos += n;
            return span;
        }

        private string Str(int n) => Encoding.UTF8.GetString(Take(n));

        private string Line()
        {
            var end = Array.IndexOf(data, (byte)'\n', pos);
            if (end < 0) throw new EndOfStreamException("pickle ends early");
            var s = Encoding.ASCII.GetString(data, pos, end - pos);
            pos = end + 1;
            return s;
        }

        private long Long(int n)
        {
            var bytes = Take(n);
            long v = 0;
            for (var i = n - 1; i >= 0; i--) v = (v << 8) | bytes[i];
            if (n > 0 && n < 8 && (bytes[n - 1] & 0x80) != 0) v -= 1L << (8 * n);   // two's complement
            return v;
        }
    }
}

using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using static TorchSharp.torch;

namespace ByteFormer.Interop;

/// <summary>
/// Reads a state_dict written by <c>torch.save</c> in its zip format (PyTorch ≥ 1.6): <c>*/data.pkl</c> holds
/// a pickle of an OrderedDict whose tensors point at storages in <c>*/data/&lt;key&gt;</c>. Only the pickle
/// opcodes and globals that a state_dict uses are understood; nothing from the file is executed, and any other
/// global is refused wherever it appears. The file is untrusted: entries are read bounded (the pickle at most
/// <see cref="MaxPickleBytes"/>, each storage exactly the bytes the pickle declares for it) and checked against
/// their CRC-32, and whatever is wrong with it is a <see cref="CheckpointException"/> saying what.
/// Floating-point tensors are returned as float32.
/// </summary>
public static class TorchCheckpoint
{
    /// <summary>The most bytes <c>data.pkl</c> may inflate to (a state_dict's pickle is kilobytes).</summary>
    public const long MaxPickleBytes = 64L << 20;

    /// <summary>The globals a state_dict's pickle may name; any other is refused wherever it appears.</summary>
    private static readonly HashSet<string> AllowedGlobals = new(StringComparer.Ordinal)
    {
        "collections.OrderedDict", "builtins.dict",
        "torch._utils._rebuild_tensor", "torch._utils._rebuild_tensor_v2",
        "torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state",
        "torch.FloatStorage", "torch.DoubleStorage", "torch.HalfStorage", "torch.BFloat16Storage",
        "torch.LongStorage", "torch.IntStorage", "torch.ShortStorage", "torch.CharStorage", "torch.ByteStorage", "torch.BoolStorage",
    };

    /// <summary>Reads the flat state_dict in <paramref name="path"/> (a "state_dict" or "model" wrapper is unwrapped).
    /// Anything wrong with the file, however malformed, is a <see cref="CheckpointException"/> saying what.</summary>
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
        catch (Exception e) when (IsMalformedInput(e))
        {
            throw new CheckpointException($"{path} is not a PyTorch checkpoint (its zip directory is corrupt: {e.Message})", e);
        }
        using (zip)
        {
            try
            {
                return ReadZip(zip, path);
            }
            catch (Exception e) when (IsMalformedInput(e))
            {
                throw new CheckpointException($"{path} is not a readable PyTorch checkpoint ({e.Message})", e);
            }
        }
    }

    /// <summary>What reading untrusted bytes can throw besides our own errors; none of it is a bug of the caller.</summary>
    private static bool IsMalformedInput(Exception e) => e is not ByteFormerException and not OutOfMemoryException;

    private static NamedTensors ReadZip(ZipArchive zip, string path)
    {
        var pickle = zip.Entries.FirstOrDefault(e => e.FullName.EndsWith("data.pkl", StringComparison.Ordinal))
                     ?? throw new CheckpointException($"{path} is a zip archive but not a PyTorch checkpoint (no data.pkl)");
        var prefix = pickle.FullName[..^"data.pkl".Length];
        var byteOrder = zip.GetEntry(prefix + "byteorder");
        if (byteOrder is not null)
        {
            var text = Encoding.ASCII.GetString(ZipEntryReader.ReadAll(byteOrder, 64, path, "a byte order"));
            if (text.Trim() != "little")
                throw new CheckpointException($"{path} stores big-endian tensors, which are not supported");
        }

        var pickleBytes = ZipEntryReader.ReadAll(pickle, MaxPickleBytes, path, "a state_dict's pickle");
        var root = new Unpickler(pickleBytes, path).Load();
        var dict = root as PickleDict ?? throw new CheckpointException($"{path} does not hold a state_dict (its root object is not a dict)");
        if (!dict.Items.Any(kv => kv.Value is TensorRef))
            foreach (var wrapper in new[] { "state_dict", "model", "model_state_dict" })
                if (dict.Items.FirstOrDefault(kv => Equals(kv.Key, wrapper)).Value is PickleDict inner)
                {
                    dict = inner;
                    break;
                }

        var refs = dict.Items.Where(kv => kv.Key is string && kv.Value is TensorRef)
            .Select(kv => (Name: (string)kv.Key!, T: (TensorRef)kv.Value!)).ToList();
        if (refs.Count == 0) throw new CheckpointException($"{path} holds no tensors");
        long tensorElements = 0, storageElements = 0;
        foreach (var (name, t) in refs) tensorElements += Validate(t, name, path);
        foreach (var storage in refs.GroupBy(r => r.T.Storage.Key)) storageElements += storage.Max(r => r.T.Storage.Elements);
        // Tensors may share a storage (tied weights), but a few storages read into many copies is a memory bomb.
        if (tensorElements > 2 * storageElements + (1 << 20))
            throw new CheckpointException(
                $"{path}: its {refs.Count} tensors hold {tensorElements:N0} elements, their storages only {storageElements:N0}; storages shared many times over are refused (a memory bomb?)");

        var uses = refs.GroupBy(r => r.T.Storage.Key).ToDictionary(g => g.Key, g => g.Count());
        var shared = new Dictionary<string, Tensor>();
        var result = new NamedTensors();
        try
        {
            foreach (var (name, t) in refs)
            {
                var key = t.Storage.Key;
                if (!shared.TryGetValue(key, out var flat))
                {
                    flat = ReadStorage(zip, prefix, t, name, path);
                    if (uses[key] > 1) shared[key] = flat;
                }
                try
                {
                    result.Add(name, flat.as_strided(t.Shape, t.Stride, t.Offset).contiguous());
                }
                finally
                {
                    if (--uses[key] == 0)
                    {
                        flat.Dispose();
                        shared.Remove(key);
                    }
                }
            }
        }
        catch
        {
            result.Dispose();
            foreach (var flat in shared.Values) flat.Dispose();
            throw;
        }
        return result;
    }

    /// <summary>Checks a tensor's layout against its storage, before anything is read; its element count.</summary>
    private static long Validate(TensorRef t, string name, string path)
    {
        long elements = t.Storage.Elements;
        string Bad(string why) => $"{path}: tensor '{Printable.Of(name)}' {why} (corrupt?)";
        if (t.Shape.Length != t.Stride.Length)
            throw new CheckpointException(Bad($"has {t.Shape.Length} dimensions but {t.Stride.Length} strides"));
        if (t.Offset < 0 || t.Shape.Any(d => d < 0) || t.Stride.Any(s => s < 0))
            throw new CheckpointException(Bad($"has a negative offset, size or stride (offset {t.Offset}, shape [{string.Join(", ", t.Shape)}], stride [{string.Join(", ", t.Stride)}])"));
        long numel, needed;
        try
        {
            numel = t.Shape.Aggregate(1L, (a, d) => checked(a * d));
            needed = numel == 0 ? 0 : checked(t.Offset + 1 + t.Shape.Select((d, i) => checked((d - 1) * t.Stride[i])).Aggregate(0L, (a, b) => checked(a + b)));
            _ = checked(elements * t.Storage.ElementSize);
        }
        catch (OverflowException)
        {
            throw new CheckpointException(Bad($"has an impossible shape [{string.Join(", ", t.Shape)}], stride [{string.Join(", ", t.Stride)}] or storage size {elements}"));
        }
        if (needed > elements)
            throw new CheckpointException($"{path}: storage of '{Printable.Of(name)}' has {elements} elements, its shape needs {needed} (truncated?)");
        if (numel > elements)
            throw new CheckpointException(Bad($"has {numel} elements but its storage only {elements} (a broadcast view, not supported)"));
        return numel;
    }

    /// <summary>A tensor's storage as a flat float32 tensor, read bounded by the size the pickle declares for it.</summary>
    private static Tensor ReadStorage(ZipArchive zip, string prefix, TensorRef t, string name, string path)
    {
        FloatKind kind = t.Storage.Type switch
        {
            "FloatStorage" => FloatKind.F32,
            "DoubleStorage" => FloatKind.F64,
            "HalfStorage" => FloatKind.F16,
            "BFloat16Storage" => FloatKind.BF16,
            _ => throw new CheckpointException($"{path}: tensor '{Printable.Of(name)}' is a {t.Storage.Type}; ByteFormer weights are floating point"),
        };
        var entry = zip.GetEntry($"{prefix}data/{t.Storage.Key}")
                    ?? throw new CheckpointException($"{path}: storage of '{Printable.Of(name)}' is missing (truncated?)");
        var raw = ZipEntryReader.ReadExactly(entry, t.Storage.Elements * t.Storage.ElementSize, path, $"the pickle's storage of '{Printable.Of(name)}'");
        return tensor(FloatDecoding.ToFloat32(raw, kind));
    }

    private static bool IsLegacyPickle(string path)
    {
        using var s = File.OpenRead(path);
        return s.ReadByte() == 0x80;                                               // pickle PROTO opcode
    }

    private sealed record StorageRef(string Type, string Key, long Elements)
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

    /// <summary>A malformed pickle; turned into a <see cref="CheckpointException"/> naming the byte.</summary>
    private sealed class PickleError(string message) : Exception(message);

    /// <summary>The subset of the pickle machine (protocols 2–5) that torch.save's state_dicts use. Nothing is
    /// executed: only the globals in <see cref="AllowedGlobals"/> may be named, and they build inert records.</summary>
    private sealed class Unpickler(byte[] data, string path)
    {
        private const int MaxStack = 1 << 22;
        private readonly List<object?> stack = new();
        private readonly Dictionary<long, object?> memo = new();
        private int pos;

        public object? Load()
        {
            var at = 0;
            try
            {
                while (true)
                {
                    at = pos;
                    if (Step()) return Pop();
                    if (stack.Count > MaxStack) throw new PickleError("its stack grows past 4 million items");
                }
            }
            catch (ByteFormerException)
            {
                throw;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                var why = e is PickleError or EndOfStreamException ? e.Message : $"{e.GetType().Name}: {e.Message}";
                throw new CheckpointException($"{path}: data.pkl is malformed at byte {at} ({why}); the file is corrupt or not a state_dict", e);
            }
        }

        /// <summary>Runs one opcode; true at STOP.</summary>
        private bool Step()
        {
            byte op = U8();
            switch (op)
            {
                case 0x80: U8(); break;                                             // PROTO
                case 0x95: Take(8); break;                                          // FRAME
                case (byte)'.': return true;                                        // STOP
                case (byte)'(': stack.Add(new Mark()); break;                       // MARK
                case (byte)'}': stack.Add(new PickleDict()); break;                 // EMPTY_DICT
                case (byte)']': stack.Add(new List<object?>()); break;              // EMPTY_LIST
                case (byte)')': stack.Add(Array.Empty<object?>()); break;           // EMPTY_TUPLE
                case (byte)'N': stack.Add(null); break;
                case 0x88: stack.Add(true); break;
                case 0x89: stack.Add(false); break;
                case (byte)'K': stack.Add((long)U8()); break;                       // BININT1
                case (byte)'M': stack.Add((long)BinaryPrimitives.ReadUInt16LittleEndian(Take(2))); break;
                case (byte)'J': stack.Add((long)BinaryPrimitives.ReadInt32LittleEndian(Take(4))); break;
                case 0x8a: stack.Add(Long(U8())); break;                            // LONG1
                case (byte)'G': stack.Add(BinaryPrimitives.ReadDoubleBigEndian(Take(8))); break;
                case (byte)'X': stack.Add(Str(BinaryPrimitives.ReadInt32LittleEndian(Take(4)))); break;
                case 0x8c: stack.Add(Str(U8())); break;                             // SHORT_BINUNICODE
                case (byte)'T': stack.Add(Str(BinaryPrimitives.ReadInt32LittleEndian(Take(4)))); break;
                case (byte)'U': stack.Add(Str(U8())); break;
                case (byte)'c': { var m = Line(); var n = Line(); stack.Add(MakeGlobal(m, n)); break; }  // GLOBAL
                case 0x93:                                                          // STACK_GLOBAL
                {
                    var n = Pop() as string ?? throw new PickleError("STACK_GLOBAL without a name");
                    var m = Pop() as string ?? throw new PickleError("STACK_GLOBAL without a module");
                    stack.Add(MakeGlobal(m, n));
                    break;
                }
                case (byte)'q': memo[U8()] = Peek(); break;                         // BINPUT
                case (byte)'r': memo[BinaryPrimitives.ReadUInt32LittleEndian(Take(4))] = Peek(); break;
                case 0x94: memo[memo.Count] = Peek(); break;                        // MEMOIZE
                case (byte)'h': stack.Add(Memo(U8())); break;                       // BINGET
                case (byte)'j': stack.Add(Memo(BinaryPrimitives.ReadUInt32LittleEndian(Take(4)))); break;
                case (byte)'t': stack.Add(PopMark().ToArray()); break;              // TUPLE
                case 0x85: stack.Add(new[] { Pop() }); break;
                case 0x86: { var b = Pop(); var a = Pop(); stack.Add(new[] { a, b }); break; }
                case 0x87: { var c = Pop(); var b = Pop(); var a = Pop(); stack.Add(new[] { a, b, c }); break; }
                case (byte)'a': { var v = Pop(); ListTarget().Add(v); break; }      // APPEND
                case (byte)'e': { var items = PopMark(); ListTarget().AddRange(items); break; }
                case (byte)'s': { var v = Pop(); var k = Pop(); DictTarget().Items.Add(new(k, v)); break; }
                case (byte)'u':                                                     // SETITEMS
                {
                    var items = PopMark();
                    if (items.Count % 2 != 0) throw new PickleError("SETITEMS with an odd number of items");
                    var dict = DictTarget();
                    for (var i = 0; i + 1 < items.Count; i += 2) dict.Items.Add(new(items[i], items[i + 1]));
                    break;
                }
                case (byte)'b': Pop(); Peek(); break;                               // BUILD: state (e.g. _metadata) ignored
                case (byte)'Q': stack.Add(PersistentLoad(Pop())); break;            // BINPERSID
                case (byte)'R':                                                     // REDUCE
                case 0x81:                                                          // NEWOBJ
                {
                    var args = Pop() as object?[] ?? throw new PickleError("REDUCE without an argument tuple");
                    var callable = Pop();
                    stack.Add(Reduce(callable, args));
                    break;
                }
                default:
                    throw new CheckpointException($"{path}: unsupported pickle opcode 0x{op:x2} at byte {pos - 1}; not a plain state_dict?");
            }
            return false;
        }

        private Global MakeGlobal(string module, string name)
        {
            var full = $"{module}.{name}";
            if (!AllowedGlobals.Contains(full))
                throw new CheckpointException(
                    $"{path}: data.pkl refers to {Printable(full)}, which a state_dict never holds; refused (only tensors, storages and dicts are read)");
            return new Global(module, name);
        }

        private static string Printable(string s)
        {
            var clean = new string(s.Select(c => char.IsControl(c) ? '?' : c).ToArray());
            return clean.Length > 120 ? clean[..120] + "…" : clean;
        }

        private object? Memo(long key) =>
            memo.TryGetValue(key, out var v) ? v : throw new PickleError($"memo slot {key} is read before it is written");

        private List<object?> ListTarget() => Peek() as List<object?> ?? throw new PickleError("APPEND to a non-list");

        private PickleDict DictTarget() => Peek() as PickleDict ?? throw new PickleError("SETITEM on a non-dict");

        private object PersistentLoad(object? pid)
        {
            if (pid is object?[] { Length: >= 5 } t && Equals(t[0], "storage") && t[1] is Global type && t[2] is string key
                && t[4] is long elements and >= 0)
                return new StorageRef(type.Name, key, elements);
            throw new PickleError("unexpected persistent id (not a storage)");
        }

        private object? Reduce(object? callable, object?[] args)
        {
            if (callable is not Global g) throw new PickleError("REDUCE on a non-global");
            switch ($"{g.Module}.{g.Name}")
            {
                case "collections.OrderedDict":
                case "builtins.dict":
                    return new PickleDict();
                case "torch._utils._rebuild_tensor_v2":
                case "torch._utils._rebuild_tensor":
                    if (args is not [StorageRef storage, long offset, object?[] shape, object?[] stride, ..])
                        throw new PickleError($"{g.Name} with unexpected arguments");
                    return new TensorRef(storage, offset, Longs(shape), Longs(stride));
                case "torch._utils._rebuild_parameter":
                case "torch._utils._rebuild_parameter_with_state":
                    return args.Length > 0 ? args[0] : throw new PickleError($"{g.Name} without arguments");
                default:
                    return g;                                                       // allowed but inert (a storage type)
            }
        }

        private static long[] Longs(object?[] tuple) =>
            tuple.Select(o => o as long? ?? throw new PickleError("a tensor size or stride is not an integer")).ToArray();

        private List<object?> PopMark()
        {
            var i = stack.FindLastIndex(o => o is Mark);
            if (i < 0) throw new PickleError("MARK missing");
            var items = stack.GetRange(i + 1, stack.Count - i - 1);
            stack.RemoveRange(i, stack.Count - i);
            return items;
        }

        private object? Peek() => stack.Count > 0 ? stack[^1] : throw new PickleError("stack underflow");

        private object? Pop()
        {
            var o = Peek();
            stack.RemoveAt(stack.Count - 1);
            if (o is Mark) throw new PickleError("MARK used as a value");
            return o;
        }

        private byte U8() => pos < data.Length ? data[pos++] : throw new EndOfStreamException("pickle ends early");

        private ReadOnlySpan<byte> Take(int n)
        {
            if (n < 0 || n > data.Length - pos) throw new EndOfStreamException("pickle ends early");
            var span = data.AsSpan(pos, n);
            pos += n;
            return span;
        }

        private static readonly UTF8Encoding StrictUtf8 = new(false, throwOnInvalidBytes: true);

        private string Str(int n)
        {
            try
            {
                return StrictUtf8.GetString(Take(n));
            }
            catch (DecoderFallbackException)
            {
                throw new PickleError("a string is not valid UTF-8");
            }
        }

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
            if (n > 8) throw new PickleError($"a {n}-byte integer is too large");
            var bytes = Take(n);
            long v = 0;
            for (var i = n - 1; i >= 0; i--) v = (v << 8) | bytes[i];
            if (n > 0 && n < 8 && (bytes[n - 1] & 0x80) != 0) v -= 1L << (8 * n);   // two's complement
            return v;
        }
    }
}

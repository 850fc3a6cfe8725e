using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using TorchSharp;
using static TorchSharp.torch;

namespace ByteFormer.Interop;

/// <summary>
/// Reads and writes the safetensors format: 8-byte little-endian header size, a JSON header with
/// <c>dtype</c>, <c>shape</c> and <c>data_offsets</c> per tensor and an optional <c>__metadata__</c> map of
/// strings, then the raw little-endian data. Floating-point tensors are returned as float32.
/// </summary>
public static class Safetensors
{
    private const long MaxHeaderBytes = 100L << 20;

    /// <summary>The tensors and metadata of a safetensors file, in header order.</summary>
    public static (NamedTensors Tensors, IReadOnlyDictionary<string, string> Metadata) Read(string path)
    {
        using var stream = OpenForRead(path);
        return Read(stream, path);
    }

    /// <summary>Reads from a seekable stream; <paramref name="sourceName"/> names it in errors. The file is checked
    /// as the safetensors specification requires before any tensor is read: a sane header size, a JSON object
    /// header, known dtypes, byte ranges that fit their shapes and tile the data section exactly (no overlap,
    /// no hole, nothing after the last tensor). Anything wrong is a <see cref="CheckpointException"/>.</summary>
    public static (NamedTensors Tensors, IReadOnlyDictionary<string, string> Metadata) Read(Stream stream, string sourceName)
    {
        try
        {
            return ReadChecked(stream, sourceName);
        }
        catch (Exception e) when (e is not ByteFormerException and not OutOfMemoryException)
        {
            throw Corrupt(sourceName, $"{e.GetType().Name}: {e.Message}");
        }
    }

    private sealed record Entry(string Name, string Dtype, long[] Shape, long Start, long End);

    private static (NamedTensors Tensors, IReadOnlyDictionary<string, string> Metadata) ReadChecked(Stream stream, string sourceName)
    {
        long fileLength = stream.Length;
        if (fileLength < 8) throw Corrupt(sourceName, $"only {fileLength} bytes");
        Span<byte> prefix = stackalloc byte[8];
        stream.ReadExactly(prefix);
        long headerLength = BinaryPrimitives.ReadInt64LittleEndian(prefix);
        if (headerLength < 2 || headerLength > MaxHeaderBytes)
            throw Corrupt(sourceName, $"header size {headerLength} is absurd (at most {MaxHeaderBytes:N0} bytes are allowed)");
        if (headerLength > fileLength - 8)
            throw Corrupt(sourceName, $"header size {headerLength} does not fit a file of {fileLength} bytes (truncated?)");
        var headerBytes = new byte[headerLength];
        stream.ReadExactly(headerBytes);
        if (headerBytes[0] != (byte)'{') throw Corrupt(sourceName, "its header does not start with '{'");
        JsonObject header;
        try
        {
            var strict = new UTF8Encoding(false, throwOnInvalidBytes: true);
            header = JsonNode.Parse(strict.GetString(headerBytes), documentOptions: new JsonDocumentOptions { AllowDuplicateProperties = false })
                         ?.AsObject() ?? throw Corrupt(sourceName, "empty header");
            _ = header.Count;                                                      // JsonObject builds lazily: duplicates fail here
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or ArgumentException or DecoderFallbackException)
        {
            throw Corrupt(sourceName, "its header is not valid JSON (or repeats a name)");
        }

        long dataStart = 8 + headerLength, dataLength = fileLength - dataStart;
        var metadata = new Dictionary<string, string>();
        var entries = new List<Entry>();
        foreach (var (name, node) in header)
        {
            if (name == "__metadata__")
            {
                if (node is not JsonObject meta) throw Corrupt(sourceName, "__metadata__ is not an object");
                foreach (var (key, value) in meta)
                    metadata[key] = value is JsonValue v && v.GetValueKind() == JsonValueKind.String
                        ? v.GetValue<string>()
                        : throw Corrupt(sourceName, $"__metadata__ value '{Printable.Of(key)}' is not a string");
                continue;
            }
            entries.Add(ParseEntry(name, node, dataLength, sourceName));
        }
        CheckCoverage(entries, dataLength, sourceName);

        var tensors = new NamedTensors();
        try
        {
            foreach (var entry in entries)
            {
                var kind = Kind(entry.Dtype, entry.Name, sourceName);
                stream.Position = dataStart + entry.Start;
                var raw = new byte[entry.End - entry.Start];
                stream.ReadExactly(raw);
                tensors.Add(entry.Name, tensor(FloatDecoding.ToFloat32(raw, kind), entry.Shape));
            }
        }
        catch
        {
            tensors.Dispose();
            throw;
        }
        return (tensors, metadata);
    }

    private static Entry ParseEntry(string name, JsonNode? node, long dataLength, string source)
    {
        if (node is not JsonObject entry) throw Corrupt(source, $"entry '{Printable.Of(name)}' is not an object");
        var dtype = entry["dtype"] is JsonValue d && d.GetValueKind() == JsonValueKind.String
            ? d.GetValue<string>() : throw Corrupt(source, $"tensor '{Printable.Of(name)}' has no dtype");
        var size = DtypeSize(dtype) ?? throw Corrupt(source, $"tensor '{Printable.Of(name)}' has an unknown dtype '{Printable.Of(dtype)}'");
        var shape = Integers(entry["shape"]) ?? throw Corrupt(source, $"tensor '{Printable.Of(name)}' has no valid shape");
        var offsets = Integers(entry["data_offsets"]);
        if (offsets is not { Length: 2 } || offsets[0] < 0 || offsets[1] < offsets[0])
            throw Corrupt(source, $"tensor '{Printable.Of(name)}' has invalid data_offsets");
        if (offsets[1] > dataLength)
            throw Corrupt(source, $"tensor '{Printable.Of(name)}' ends at byte {offsets[1]} of a data section of {dataLength} bytes: it lies outside the file (truncated?)");
        if (shape.Any(x => x < 0)) throw Corrupt(source, $"tensor '{Printable.Of(name)}' has a negative size in shape [{string.Join(", ", shape)}]");
        long bytes;
        try
        {
            bytes = checked(shape.Aggregate(1L, (a, b) => checked(a * b)) * size);
        }
        catch (OverflowException)
        {
            bytes = -1;
        }
        if (bytes != offsets[1] - offsets[0])
            throw Corrupt(source, $"tensor '{Printable.Of(name)}' has {offsets[1] - offsets[0]} bytes for shape [{string.Join(", ", shape)}] of {dtype}");
        return new Entry(name, dtype, shape, offsets[0], offsets[1]);
    }

    /// <summary>The spec's rule: the byte ranges, in order, tile the data section from 0 to its end.</summary>
    private static void CheckCoverage(List<Entry> entries, long dataLength, string source)
    {
        long cursor = 0;
        Entry? previous = null;
        foreach (var e in entries.OrderBy(e => e.Start).ThenBy(e => e.End))
        {
            if (e.Start < cursor)
                throw Corrupt(source, $"tensors '{Printable.Of(previous!.Name)}' and '{Printable.Of(e.Name)}' overlap (bytes {e.Start}..{Math.Min(cursor, e.End)})");
            if (e.Start > cursor)
                throw Corrupt(source, $"bytes {cursor}..{e.Start} of the data section belong to no tensor (holes are not allowed)");
            if (e.End > e.Start || previous is null) previous = e;
            cursor = e.End;
        }
        if (cursor != dataLength)
            throw Corrupt(source, $"{dataLength - cursor} bytes after the last tensor belong to no tensor (the data section must be covered exactly)");
    }

    private static long[]? Integers(JsonNode? node)
    {
        if (node is not JsonArray array) return null;
        var result = new long[array.Count];
        for (var i = 0; i < result.Length; i++)
        {
            if (array[i] is not JsonValue v || v.GetValueKind() != JsonValueKind.Number || !v.TryGetValue(out long x)) return null;
            result[i] = x;
        }
        return result;
    }

    private static int? DtypeSize(string dtype) => dtype switch
    {
        "F64" or "I64" or "U64" or "C64" => 8,
        "F32" or "I32" or "U32" => 4,
        "F16" or "BF16" or "I16" or "U16" => 2,
        "F8_E5M2" or "F8_E4M3" or "F8_E8M0" or "I8" or "U8" or "BOOL" => 1,
        _ => null,
    };

    /// <summary>Writes float32 tensors and string metadata to <paramref name="stream"/>.</summary>
    public static void WriteTo(Stream stream, IEnumerable<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata)
    {
        var header = new JsonObject();
        if (metadata is { Count: > 0 })
        {
            var meta = new JsonObject();
            foreach (var (k, v) in metadata) meta[k] = v;
            header["__metadata__"] = meta;
        }
        var blobs = new List<byte[]>();
        long offset = 0;
        foreach (var (name, tensor) in tensors)
        {
            using var cpu = tensor.detach().to(ScalarType.Float32, CPU).contiguous();
            var bytes = cpu.numel() == 0 ? [] : MemoryMarshal.AsBytes(cpu.data<float>().ToArray().AsSpan()).ToArray();
            header[name] = new JsonObject
            {
                ["dtype"] = "F32",
                ["shape"] = new JsonArray(cpu.shape.Select(d => (JsonNode)d).ToArray()),
                ["data_offsets"] = new JsonArray(offset, offset + bytes.Length),
            };
            blobs.Add(bytes);
            offset += bytes.Length;
        }
        var json = Encoding.UTF8.GetBytes(header.ToJsonString());
        var padded = (json.Length + 7) / 8 * 8;                                   // data starts 8-byte aligned
        Span<byte> prefix = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(prefix, padded);
        stream.Write(prefix);
        stream.Write(json);
        for (var i = json.Length; i < padded; i++) stream.WriteByte((byte)' ');
        foreach (var blob in blobs) stream.Write(blob);
    }

    /// <summary>Writes float32 tensors and string metadata atomically (temporary file, then rename).</summary>
    public static void Write(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata) =>
        AtomicFile.Write(path, stream => WriteTo(stream, tensors, metadata));

    internal static FileStream OpenForRead(string path)
    {
        if (Directory.Exists(path)) throw new CheckpointException($"{path} is a folder, not a weights file");
        if (!File.Exists(path)) throw new CheckpointException($"{path}: no such file");
        return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
    }

    private static FloatKind Kind(string dtype, string name, string source) => dtype switch
    {
        "F32" => FloatKind.F32,
        "F64" => FloatKind.F64,
        "F16" => FloatKind.F16,
        "BF16" => FloatKind.BF16,
        _ => throw new CheckpointException($"{source}: tensor '{Printable.Of(name)}' has dtype {Printable.Of(dtype)}; ByteFormer weights are floating point"),
    };

    private static CheckpointException Corrupt(string source, string why) =>
        new($"{source} is not a valid safetensors file: {why}");
}

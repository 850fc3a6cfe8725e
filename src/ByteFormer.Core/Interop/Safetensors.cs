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

    /// <summary>Reads from a seekable stream; <paramref name="sourceName"/> names it in errors.</summary>
    public static (NamedTensors Tensors, IReadOnlyDictionary<string, string> Metadata) Read(Stream stream, string sourceName)
    {
        long fileLength = stream.Length;
        if (fileLength < 8) throw Corrupt(sourceName, $"only {fileLength} bytes");
        Span<byte> prefix = stackalloc byte[8];
        stream.ReadExactly(prefix);
        long headerLength = BinaryPrimitives.ReadInt64LittleEndian(prefix);
        if (headerLength <= 1 || headerLength > MaxHeaderBytes || 8 + headerLength > fileLength)
            throw Corrupt(sourceName, $"header size {headerLength} does not fit a file of {fileLength} bytes");
        var headerBytes = new byte[headerLength];
        stream.ReadExactly(headerBytes);
        JsonObject header;
        try
        {
            header = JsonNode.Parse(headerBytes)?.AsObject() ?? throw Corrupt(sourceName, "empty header");
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            throw Corrupt(sourceName, "its header is not valid JSON");
        }

        long dataStart = 8 + headerLength, dataLength = fileLength - dataStart;
        var metadata = new Dictionary<string, string>();
        var tensors = new NamedTensors();
        try
        {
            foreach (var (name, node) in header)
            {
                if (name == "__metadata__")
                {
                    foreach (var (key, value) in node?.AsObject() ?? new JsonObject())
                        metadata[key] = value?.GetValue<string>() ?? "";
                    continue;
                }
                var entry = node?.AsObject() ?? throw Corrupt(sourceName, $"entry '{name}' is empty");
                var dtype = entry["dtype"]?.GetValue<string>() ?? throw Corrupt(sourceName, $"entry '{name}' has no dtype");
                var shape = entry["shape"]?.AsArray().Select(d => d!.GetValue<long>()).ToArray()
                            ?? throw Corrupt(sourceName, $"entry '{name}' has no shape");
                var offsets = entry["data_offsets"]?.AsArray().Select(d => d!.GetValue<long>()).ToArray();
                if (offsets is not { Length: 2 } || offsets[0] < 0 || offsets[1] < offsets[0] || offsets[1] > dataLength)
                    throw Corrupt(sourceName, $"tensor '{name}' lies outside the file (truncated?)");
                long numel = shape.Aggregate(1L, (a, b) => a * b);
                var kind = Kind(dtype, name, sourceName);
                int size = FloatDecoding.Size(kind);
                if (numel < 0 || numel * size != offsets[1] - offsets[0])
                    throw Corrupt(sourceName, $"tensor '{name}' has {offsets[1] - offsets[0]} bytes for shape [{string.Join(", ", shape)}] of {dtype}");
                stream.Position = dataStart + offsets[0];
                var raw = new byte[offsets[1] - offsets[0]];
                stream.ReadExactly(raw);
                tensors.Add(name, tensor(FloatDecoding.ToFloat32(raw, kind), shape));
            }
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or EndOfStreamException)
        {
            tensors.Dispose();
            throw Corrupt(sourceName, e.Message);
        }
        catch
        {
            tensors.Dispose();
            throw;
        }
        return (tensors, metadata);
    }

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
            var bytes = MemoryMarshal.AsBytes(cpu.data<float>().ToArray().AsSpan()).ToArray();
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
        _ => throw new CheckpointException($"{source}: tensor '{name}' has dtype {dtype}; ByteFormer weights are floating point"),
    };

    private static CheckpointException Corrupt(string source, string why) =>
        new($"{source} is not a valid safetensors file: {why}");
}

using System.IO.Compression;
using System.Text;
using ByteFormer.Bytes;
using ByteFormer.Codecs;
using ByteFormer.Codecs.Audio;
using ByteFormer.Data;
using ByteFormer.Inference;
using ByteFormer.Interop;
using ByteFormer.Model;
using ByteFormer.Training;

namespace ByteFormer.Fuzz;

/// <summary>Every target, by name. One more loader is one more class and one more line here.</summary>
public static class Targets
{
    /// <summary>The names, in the order <c>list</c> and <c>scripts/fuzz.sh</c> use.</summary>
    public static IReadOnlyList<string> Names { get; } =
        ["safetensors", "torch-zip", "torch-pickle", "model-file", "corenet-config", "key-file", "wav", "image-header", "idx", "checkpoint", "multipart"];

    /// <summary>A fresh instance of the target <paramref name="name"/>; dispose it when done (file targets keep a scratch file).</summary>
    public static FuzzTarget Create(string name) => name switch
    {
        "safetensors" => new SafetensorsTarget(),
        "torch-zip" => new TorchZipTarget(),
        "torch-pickle" => new TorchPickleTarget(),
        "model-file" => new ModelFileTarget(),
        "corenet-config" => new CorenetConfigTarget(),
        "key-file" => new KeyFileTarget(),
        "wav" => new WavTarget(),
        "image-header" => new ImageHeaderTarget(),
        "idx" => new IdxTarget(),
        "checkpoint" => new CheckpointTarget(),
        "multipart" => new MultipartTarget(),
        _ => throw new ArgumentException($"unknown fuzz target '{name}' (known: {string.Join(", ", Names)})"),
    };

    internal static byte[][] Tokens(params string[] tokens) => tokens.Select(Encoding.UTF8.GetBytes).ToArray();

    internal static readonly string[] JsonTokens =
    [
        "{", "}", "[", "]", "\"", ":", ",", "null", "true", "false", "-1", "0", "1.5", "1e308", "1e400", "-0",
        "2147483648", "-2147483649", "9223372036854775807", "9223372036854775808", "99999999999", "\"\\u0000\"", "\\",
        "\"\\ud800\"", "{\"a\":1,\"a\":2}",
    ];
}

/// <summary>Safetensors: the 8-byte header size, the JSON header, the data section.</summary>
public sealed class SafetensorsTarget : FuzzTarget
{
    /// <inheritdoc />
    public override string Name => "safetensors";
    /// <inheritdoc />
    public override string Description => "Safetensors.Read: header size, JSON header, dtypes, offsets, data";
    /// <inheritdoc />
    public override IReadOnlyList<byte[]> Dictionary { get; } = Targets.Tokens(
        [.. Targets.JsonTokens, "\"dtype\"", "\"shape\"", "\"data_offsets\"", "\"__metadata__\"", "\"F32\"", "\"F16\"", "\"BF16\"", "\"F64\"", "\"I64\"", "\"BOOL\""]);

    /// <inheritdoc />
    protected override void Load(ReadOnlySpan<byte> input)
    {
        var (tensors, _) = Safetensors.Read(new MemoryStream(input.ToArray(), writable: false), "fuzz.safetensors");
        tensors.Dispose();
    }
}

/// <summary>A torch.save zip as a whole: the zip directory, byteorder, data.pkl, the storages and their CRC-32.</summary>
public sealed class TorchZipTarget : FileFuzzTarget
{
    /// <inheritdoc />
    public override string Name => "torch-zip";
    /// <inheritdoc />
    public override string Description => "TorchCheckpoint.Read on a whole .pt file (zip directory, entries, CRC-32, pickle, storages)";
    /// <inheritdoc />
    protected override string Extension => ".pt";
    /// <inheritdoc />
    protected override void LoadFile(string path) => TorchCheckpoint.Read(path).Dispose();
}

/// <summary>
/// The unpickler behind the zip: the input is data.pkl, packed into a valid zip (with its CRC-32) beside the
/// storages of the seed pickle, so every mutation reaches the pickle machine instead of failing the CRC.
/// </summary>
public sealed class TorchPickleTarget : FileFuzzTarget
{
    /// <summary>The storages the generated seed pickle names: key and float count.</summary>
    public static readonly (string Key, int Floats)[] Storages = [("0", 12), ("1", 4)];

    /// <inheritdoc />
    public override string Name => "torch-pickle";
    /// <inheritdoc />
    public override string Description => "TorchCheckpoint.Read with the input as data.pkl of an otherwise valid zip (the unpickler)";
    /// <inheritdoc />
    protected override string Extension => ".pt";
    /// <inheritdoc />
    public override IReadOnlyList<byte[]> Dictionary { get; } = Targets.Tokens(
        "ccollections\nOrderedDict\n", "ctorch._utils\n_rebuild_tensor_v2\n", "ctorch\nFloatStorage\n", "ctorch\nLongStorage\n",
        "cos\nsystem\n", "X\x05\0\0\0storage", "\x8c\x07storage", "(", "t", "R", "Q", "u", "s", "}", "]", ")", ".", "\x93", "\x94",
        "J\xff\xff\xff\xff", "J\xff\xff\xff\x7f", "\x8a\x08\xff\xff\xff\xff\xff\xff\xff\x7f", "\x8a\x09", "h\0", "q\0", "r\xff\xff\xff\xff",
        "j\xff\xff\xff\x7f", "X\xff\xff\xff\x7f", "\x80\x02", "\x95\xff\xff\xff\xff\xff\xff\xff\xff");


    /// <summary>The zip for <paramref name="pickle"/>, as the target loads it.</summary>
    public static byte[] Pack(ReadOnlySpan<byte> pickle)
    {
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            void Entry(string name, ReadOnlySpan<byte> data)
            {
                using var s = zip.CreateEntry("archive/" + name, CompressionLevel.NoCompression).Open();
                s.Write(data);
            }
            Entry("data.pkl", pickle);
            Entry("byteorder", "little"u8);
            foreach (var (key, floats) in Storages) Entry("data/" + key, new byte[floats * 4]);
        }
        return buffer.ToArray();
    }

    /// <inheritdoc />
    protected override byte[] Prepare(ReadOnlySpan<byte> input) => Pack(input);

    /// <inheritdoc />
    protected override void LoadFile(string path) => TorchCheckpoint.Read(path).Dispose();
}

/// <summary>A model file: safetensors whose metadata holds the configuration, labels, encodings and byte transforms.</summary>
public sealed class ModelFileTarget : FileFuzzTarget
{
    /// <inheritdoc />
    public override string Name => "model-file";
    /// <inheritdoc />
    public override string Description => "ModelFile.Load + its input contract (config JSON, labels JSON, encodings, byte-transform spec)";
    /// <inheritdoc />
    protected override string Extension => ".safetensors";
    /// <inheritdoc />
    public override IReadOnlyList<byte[]> Dictionary { get; } = Targets.Tokens(
        [.. Targets.JsonTokens, "\\\"", "embed_dim", "max_num_tokens", "n_transformer_layers", "ffn_dim", "n_attn_heads", "n_classes",
         "window_sizes", "window_shifts", "downsample", "byteformer.architecture", "pixel-vit", "byteformer.encoding",
         "byteformer.byte_transforms", "permute:", "reference", "noise:", "keep:", "shuffle:", ",", " + ", ": ", "tiff", "png", "wav-int16@8k",
         "mulaw@8k", "x", "28x28", "\"F32\"", "data_offsets"]);

    /// <inheritdoc />
    protected override void LoadFile(string path)
    {
        using var loaded = ModelFile.Load(path);
        var contract = loaded.Contract;
        _ = contract.Transforms(prePermuted: contract.NeedsKey);
        _ = contract.ImageFormats;
        _ = contract.ExpectedAudio;
    }
}

/// <summary>A CoreNet configuration, YAML or JSON (chosen by content, as <c>byteformer import</c> does).</summary>
public sealed class CorenetConfigTarget : FileFuzzTarget
{
    /// <inheritdoc />
    public override string Name => "corenet-config";
    /// <inheritdoc />
    public override string Description => "CorenetConfig.Load: CoreNet YAML or JSON with corenet_options";
    /// <inheritdoc />
    protected override string Extension => ".yaml";
    /// <inheritdoc />
    public override IReadOnlyList<byte[]> Dictionary { get; } = Targets.Tokens(
        [.. Targets.JsonTokens, "\n", "\n  ", "- ", "? ", ": ", "&a ", "*a", "<<: ", "!!str ", "!!binary ", "!!int ", "|", ">", "---\n", "...\n",
         "%YAML 1.2\n", "%TAG ! tag:x,2000:\n", "~", "'", "#", "model:\n", "classification:\n", "byteformer:\n", "mode: ", "tiny", "huge",
         "max_num_tokens", "vocab_size", "window_sizes", "window_shifts", "downsample", "model.classification.byteformer.",
         "corenet_options", "byteformer_get_configuration", "embed_dim", "n_classes", "[[[[[[[[[[[[[[[[", "{{{{{{{{{{{{{{{{"]);

    /// <inheritdoc />
    protected override void LoadFile(string path) => CorenetConfig.Load(path);
}

/// <summary>A byte-permutation key file (JSON: format, table, fingerprint).</summary>
public sealed class KeyFileTarget : FileFuzzTarget
{
    /// <inheritdoc />
    public override string Name => "key-file";
    /// <inheritdoc />
    public override string Description => "BytePermutation.Load: a key file's JSON, table and fingerprint";
    /// <inheritdoc />
    protected override string Extension => ".key";
    /// <inheritdoc />
    public override IReadOnlyList<byte[]> Dictionary { get; } = Targets.Tokens(
        [.. Targets.JsonTokens, "\"format\"", "\"table\"", "\"fingerprint\"", "\"byteformer-byte-permutation/1\"", "255", "256"]);

    /// <inheritdoc />
    protected override void LoadFile(string path) => BytePermutation.Load(path);
}

/// <summary>A WAV file: RIFF chunks, the fmt chunk, the data chunk, the samples.</summary>
public sealed class WavTarget : FuzzTarget
{
    /// <inheritdoc />
    public override string Name => "wav";
    /// <inheritdoc />
    public override string Description => "WavCodec.ReadHeader and Decode";
    /// <inheritdoc />
    public override IReadOnlyList<byte[]> Dictionary { get; } = Targets.Tokens("RIFF", "WAVE", "fmt ", "data", "fact", "LIST");

    /// <inheritdoc />
    protected override void Load(ReadOnlySpan<byte> input)
    {
        var header = WavCodec.ReadHeader(input, "fuzz.wav");
        _ = header.Format;
        WavCodec.Decode(input, "fuzz.wav");
    }
}

/// <summary>The image sniffer: must never throw, whatever the bytes.</summary>
public sealed class ImageHeaderTarget : FuzzTarget
{
    /// <inheritdoc />
    public override string Name => "image-header";
    /// <inheritdoc />
    public override string Description => "ImageHeader.TryRead (PNG, BMP, TIFF, JPEG, WebP headers): never throws";
    /// <inheritdoc />
    protected override bool NeverThrows => true;
    /// <inheritdoc />
    public override IReadOnlyList<byte[]> Dictionary { get; } = Targets.Tokens("II*\0", "MM\0*", "RIFF", "WEBP", "VP8X", "VP8 ", "VP8L", "BM", "IHDR");

    /// <inheritdoc />
    protected override void Load(ReadOnlySpan<byte> input) => _ = ImageHeader.TryRead(input)?.FormatName;
}

/// <summary>IDX (the Fashion-MNIST files, decompressed): magic, dimensions, data; then the images made from them.</summary>
public sealed class IdxTarget : FuzzTarget
{
    /// <inheritdoc />
    public override string Name => "idx";
    /// <inheritdoc />
    public override string Description => "FashionMnist IDX parsing (3-dim images, 1-dim labels) and the images made from them";

    /// <inheritdoc />
    protected override void Load(ReadOnlySpan<byte> input)
    {
        try
        {
            FashionMnist.ParseIdx(input, 1, "fuzz-labels.idx");
        }
        catch (ByteFormerException)
        {
        }
        var images = FashionMnist.ParseIdx(input, 3, "fuzz-images.idx");
        var labels = new byte[Math.Min(images.Dims[0], 1000)];
        FashionMnist.FromIdx(images, (Dims: [labels.Length], Data: labels), "fuzz", limit: labels.Length);
    }
}

/// <summary>
/// A training checkpoint (checkpoint.zip): the header (architecture, options, labels, config) is read as
/// <c>train --resume</c> reads it, then the weights and optimizer state are restored into a network of that
/// configuration. Networks are cached by configuration: building one is what is slow, not reading.
/// </summary>
public sealed class CheckpointTarget : FileFuzzTarget
{
    private readonly Dictionary<string, (ByteClassifier Model, ByteClassifier Ema, AdamW Optimizer)> built = new();

    /// <inheritdoc />
    public override string Name => "checkpoint";
    /// <inheritdoc />
    public override string Description => "Checkpoint.ReadHeader and Restore of a run's checkpoint.zip";
    /// <inheritdoc />
    protected override string Extension => ".zip";
    /// <inheritdoc />
    public override IReadOnlyList<byte[]> Dictionary { get; } = Targets.Tokens([.. Targets.JsonTokens, "PK\x03\x04", "PK\x01\x02", "PK\x05\x06"]);

    /// <inheritdoc />
    protected override void LoadFile(string path)
    {
        var header = Checkpoint.ReadHeader(path);
        _ = header.ByteBudget;
        var key = header.Architecture + "\n" + header.ConfigJson;
        if (!built.TryGetValue(key, out var net))
        {
            if (built.Count >= 4) return;                      // a mutated config that still parses: the header was the test
            var model = header.BuildModel();
            var ema = header.BuildModel();
            net = (model, ema, new AdamW([(model.parameters(), 0.0)], 1e-3));
            built[key] = net;
        }
        Checkpoint.Restore(path, net.Model, net.Ema, net.Optimizer);
    }
}

/// <summary>
/// The service's upload reader on a multipart body (boundary <see cref="Boundary"/>), as <c>POST /v1/models/{name}/classify</c>
/// reads it: sections, headers, file names, each file cut to a byte budget. Its documented refusal is an HTTP error
/// (400, 413, 415) with one clear line, turned here into the refusal every target shares.
/// </summary>
public sealed class MultipartTarget : FuzzTarget
{
    /// <summary>The boundary the corpus's bodies use.</summary>
    public const string Boundary = "fuzzboundary";

    /// <inheritdoc />
    public override string Name => "multipart";

    /// <inheritdoc />
    public override string Description => "the service's multipart upload reader (sections, headers, file names, byte budget)";

    /// <inheritdoc />
    public override IReadOnlyList<byte[]> Dictionary { get; } = Targets.Tokens(
        ["--" + Boundary, "--" + Boundary + "--", "\r\n", "Content-Disposition: form-data; name=\"file\"; filename=\"", "Content-Type: ", "\""]);

    /// <inheritdoc />
    protected override void Load(ReadOnlySpan<byte> input)
    {
        var context = new Microsoft.AspNetCore.Http.DefaultHttpContext();
        context.Request.Method = "POST";
        context.Request.ContentType = $"multipart/form-data; boundary={Boundary}";
        context.Request.Body = new MemoryStream(input.ToArray(), writable: false);
        context.Request.ContentLength = input.Length;
        try
        {
            ByteFormer.Service.UploadReader.ReadAsync(context.Request, budget: 4096, uploadLimit: 1 << 20, maxFiles: 64, CancellationToken.None)
                .GetAwaiter().GetResult();
        }
        catch (ByteFormer.Service.ApiError e)
        {
            throw new ByteFormerException(e.Message);
        }
    }
}

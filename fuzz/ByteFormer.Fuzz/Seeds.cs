using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using ByteFormer.Bytes;
using ByteFormer.Codecs;
using ByteFormer.Codecs.Audio;
using ByteFormer.Inference;
using ByteFormer.Interop;
using ByteFormer.Model;
using ByteFormer.Training;
using SkiaSharp;
using static TorchSharp.torch;

namespace ByteFormer.Fuzz;

/// <summary>
/// Writes the seed corpus (fuzz/corpus/TARGET/): small valid files made with the library itself, so the mutations
/// start from what the loaders accept. Deterministic except for the model weights' random init, which no loader
/// cares about.
/// </summary>
public static class Seeds
{
    /// <summary>The smallest ByteFormer that is still a ByteFormer: a few thousand parameters.</summary>
    public static ByteFormerConfig TinyConfig => ByteFormerConfig.Preset("nano") with
    {
        EmbedDim = 4, NTransformerLayers = 1, NAttnHeads = 1, FfnDim = 8, ConvKernelSize = 2, MaxNumTokens = 16, NClasses = 2,
        WindowSizes = [8], WindowShifts = [0], Downsample = [false],
    };

    /// <summary>Writes every target's seeds under <paramref name="root"/> (one folder per target); the fixtures folder
    /// (shared/fixtures/corenet-byteformer) adds the reference's own pickle and configuration when given.</summary>
    public static void Write(string root, string? fixtures)
    {
        void Put(string target, string name, byte[] bytes)
        {
            var dir = Path.Combine(root, target);
            Directory.CreateDirectory(dir);
            File.WriteAllBytes(Path.Combine(dir, name), bytes);
        }

        Put("safetensors", "three.safetensors", SmallSafetensors());
        Put("torch-pickle", "state_dict.pkl", StateDictPickle());
        Put("torch-zip", "stored.pt", TorchPickleTarget.Pack(StateDictPickle()));
        Put("torch-zip", "deflated.pt", Deflated(TorchPickleTarget.Pack(StateDictPickle())));
        if (fixtures is not null)
        {
            using var zip = ZipFile.OpenRead(Path.Combine(fixtures, "small_small64", "weights.pt"));
            using var pkl = zip.Entries.First(e => e.FullName.EndsWith("data.pkl", StringComparison.Ordinal)).Open();
            using var copy = new MemoryStream();
            pkl.CopyTo(copy);
            Put("torch-pickle", "small64-data.pkl", copy.ToArray());
            var config = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(fixtures, "small_small64", "config.json")))!;
            var options = new System.Text.Json.Nodes.JsonObject
            {
                ["corenet_options"] = config["corenet_options"]!.DeepClone(),
                ["byteformer_get_configuration"] = config["byteformer_get_configuration"]!.DeepClone(),
            };
            Put("corenet-config", "small64.json", Encoding.UTF8.GetBytes(options.ToJsonString()));
        }
        Put("corenet-config", "tiny-tiff.yaml", Encoding.UTF8.GetBytes(CorenetYaml));

        using (var model = new ByteFormerModel(TinyConfig))
        {
            Put("model-file", "tiny-noise.safetensors", ModelFileBytes(model, new Dictionary<string, string>
            {
                [ModelMetadata.Encoding] = "tiff,png",
                [ModelMetadata.ByteTransforms] = "noise:-5:5",
                [ModelMetadata.ImageSize] = "28x28",
            }));
            Put("model-file", "tiny-keyed.safetensors", ModelFileBytes(model, new Dictionary<string, string>
            {
                [ModelMetadata.Encoding] = "fashion-mnist: tiff + speech: mulaw@8k",
                [ModelMetadata.ByteTransforms] = "keep:0.5," + Key().Spec,
            }));
            Put("checkpoint", "checkpoint.zip", CheckpointBytes(model));
        }

        Put("key-file", "key.json", Encoding.UTF8.GetBytes(Key().ToKeyJson() + "\n"));
        Put("key-file", "reference.json", Encoding.UTF8.GetBytes(BytePermutation.Reference.ToKeyJson() + "\n"));

        var clip = new AudioClip(Enumerable.Range(0, 64).Select(i => MathF.Sin(i * 0.3f) * 0.8f).ToArray(), 8000);
        foreach (var format in Enum.GetValues<WavSampleFormat>())
            Put("wav", $"{format.ToString().ToLowerInvariant()}.wav", WavCodec.Encode(clip, format));

        var image = new PixelImage(4, 3, 1, Enumerable.Range(0, 12).Select(i => (byte)(i * 20)).ToArray());
        Put("image-header", "image.tiff", TiffEncoder.Encode(image));
        Put("image-header", "image.png", PngEncoder.Encode(image, compress: true));
        Put("image-header", "image.bmp", BmpEncoder.Encode(image));
        Put("image-header", "image.jpeg", SkiaEncoder.Encode(image, SKEncodedImageFormat.Jpeg, 75));
        Put("image-header", "image.webp", SkiaEncoder.Encode(image, SKEncodedImageFormat.Webp, 75));

        Put("idx", "images-idx3", Idx([3, 4, 4], Enumerable.Range(0, 48).Select(i => (byte)i).ToArray()));
        Put("idx", "labels-idx1", Idx([3], [0, 7, 9]));

        string Part(string name, string type, string body) =>
            $"--{MultipartTarget.Boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: {type}\r\n\r\n{body}\r\n";
        Put("multipart", "one-file", Encoding.UTF8.GetBytes(Part("a.txt", "application/octet-stream", "hello bytes") + $"--{MultipartTarget.Boundary}--\r\n"));
        Put("multipart", "two-files", Encoding.UTF8.GetBytes(Part("a.bin", "image/tiff", "II*\0 tiff-ish") + Part("b.wav", "audio/wav", "RIFF....WAVE")
            + $"--{MultipartTarget.Boundary}--\r\n"));
    }

    /// <summary>A key made from a fixed seed, so the corpus does not change when rewritten.</summary>
    private static BytePermutation Key()
    {
        var values = Enumerable.Range(0, 256).ToArray();
        new Random(23).Shuffle(values);
        return new BytePermutation(values);
    }

    private static byte[] SmallSafetensors()
    {
        using var m = new MemoryStream();
        using (var a = arange(12, dtype: ScalarType.Float32).reshape(4, 3))
        using (var b = ones(4))
        using (var c = zeros(0, 2))
            Safetensors.WriteTo(m, [new("a.weight", a), new("a.bias", b), new("empty", c)],
                new Dictionary<string, string> { ["format"] = "pt" });
        return m.ToArray();
    }

    private static byte[] ModelFileBytes(ByteClassifier model, Dictionary<string, string> extra)
    {
        var path = Path.Combine(Path.GetTempPath(), $"byteformer-seed-{Guid.NewGuid():N}.safetensors");
        try
        {
            ModelFile.Save(path, model, ["cat", "dog"], extra);
            return File.ReadAllBytes(path);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static byte[] CheckpointBytes(ByteClassifier model)
    {
        var path = Path.Combine(Path.GetTempPath(), $"byteformer-seed-{Guid.NewGuid():N}.zip");
        try
        {
            using var ema = model.CreateSibling();
            using var optimizer = new AdamW([(model.parameters(), 0.0)], 1e-3);
            var state = new TrainingState { Epoch = 1, Step = 3, History = [] };
            Checkpoint.Save(path, state, new TrainOptions(), model, ema, optimizer, ["cat", "dog"]);
            return File.ReadAllBytes(path);
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>A protocol-2 pickle of an OrderedDict of two float tensors, with the opcodes torch.save emits,
    /// on the storages <see cref="TorchPickleTarget.Storages"/> names.</summary>
    public static byte[] StateDictPickle()
    {
        var p = new MemoryStream();
        void Op(int op) => p.WriteByte((byte)op);
        void Raw(string s) => p.Write(Encoding.UTF8.GetBytes(s));
        void Global(string module, string name) { Op('c'); Raw($"{module}\n{name}\n"); }
        void Str(string s) { Op('X'); var b = Encoding.UTF8.GetBytes(s); Span<byte> n = stackalloc byte[4]; BinaryPrimitives.WriteInt32LittleEndian(n, b.Length); p.Write(n); p.Write(b); }
        void Int(int v) { Op('J'); Span<byte> n = stackalloc byte[4]; BinaryPrimitives.WriteInt32LittleEndian(n, v); p.Write(n); }
        Op(0x80); Op(2);
        Global("collections", "OrderedDict"); Op(')'); Op('R');
        Op('q'); Op(0);
        Op('(');
        (string Name, int[] Shape)[] tensors = [("a.weight", [4, 3]), ("a.bias", [4])];
        for (var i = 0; i < tensors.Length; i++)
        {
            var (name, shape) = tensors[i];
            Str(name);
            Global("torch._utils", "_rebuild_tensor_v2");
            Op('(');
            Op('('); Str("storage"); Global("torch", "FloatStorage"); Str(TorchPickleTarget.Storages[i].Key); Str("cpu");
            Int(TorchPickleTarget.Storages[i].Floats); Op('t');
            Op('Q');
            Int(0);
            Op('('); foreach (var d in shape) Int(d); Op('t');
            var strides = new int[shape.Length];
            for (int s = 1, k = shape.Length - 1; k >= 0; s *= shape[k], k--) strides[k] = s;
            Op('('); foreach (var s in strides) Int(s); Op('t');
            Op(0x89);
            Global("collections", "OrderedDict"); Op(')'); Op('R');
            Op('t'); Op('R');
            Op('q'); Op(i + 1);
        }
        Op('u'); Op('.');
        return p.ToArray();
    }

    private static byte[] Deflated(byte[] storedZip)
    {
        using var input = new ZipArchive(new MemoryStream(storedZip), ZipArchiveMode.Read);
        using var buffer = new MemoryStream();
        using (var output = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
            foreach (var entry in input.Entries)
            {
                using var from = entry.Open();
                using var to = output.CreateEntry(entry.FullName, CompressionLevel.Optimal).Open();
                from.CopyTo(to);
            }
        return buffer.ToArray();
    }

    private static byte[] Idx(int[] dims, byte[] data)
    {
        var bytes = new byte[4 + 4 * dims.Length + data.Length];
        bytes[2] = 0x08;
        bytes[3] = (byte)dims.Length;
        for (var i = 0; i < dims.Length; i++) BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + 4 * i), dims[i]);
        data.CopyTo(bytes, 4 + 4 * dims.Length);
        return bytes;
    }

    /// <summary>The shape of CoreNet's projects/byteformer YAMLs (TIFF, tiny), with the options the reader looks at and some it ignores.</summary>
    private const string CorenetYaml = """
        taskname: '+ ByteFormer tiny, TIFF'
        common:
          run_label: "train"
          accum_freq: 1
          mixed_precision: true
        dataset:
          root_train: "/mnt/imagenet/training"
          name: "imagenet"
          category: "classification"
          train_batch_size0: 48
        image_augmentation:
          pil_save:
            enable: true
            file_encoding: "TIFF"
        model:
          classification:
            name: "byteformer"
            n_classes: 1000
            byteformer:
              mode: "tiny"
              max_num_tokens: 50000
              conv_kernel_size: 32
              window_sizes: [128]
              window_shifts: [0, 64, 0, 64, 0, 64, 0, 64, 0, 64, 0, 64]
              downsample: [True, True, False, True, False, True, False, True, False, True, False, False]
              dummy_input_token_length: 48564
          activation:
            name: "gelu"
          normalization:
            name: "layer_norm"
        ema:
          enable: true
          momentum: 0.0001
        """;
}

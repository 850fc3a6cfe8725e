using System.IO.Compression;
using System.Text.Json;
using ByteFormer.Interop;
using ByteFormer.Model;

namespace ByteFormer.Training;

/// <summary>Where a run stands: enough, with the weights and optimizer state, to continue it exactly.</summary>
public sealed record TrainingState
{
    public int Epoch { get; init; }
    public int StepInEpoch { get; init; }
    public long Step { get; init; }
    public double ElapsedSeconds { get; init; }
    public List<EpochMetrics> History { get; init; } = new();
}

/// <summary>
/// A run's checkpoint: one zip (stored, not compressed) with state.json, the configuration, the model and
/// EMA weights as safetensors and the AdamW state. Written to a temporary file and renamed, so a kill or a
/// full disk leaves the previous checkpoint intact.
/// </summary>
public static class Checkpoint
{
    public const string FileName = "checkpoint.zip";
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public static void Save(string path, TrainingState state, TrainOptions options, ByteClassifier model,
        ByteClassifier? ema, AdamW optimizer, IReadOnlyList<string> labels)
    {
        AtomicFile.Write(path, stream =>
        {
            using var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true);
            void Entry(string name, Action<Stream> write)
            {
                using var s = zip.CreateEntry(name, CompressionLevel.NoCompression).Open();
                write(s);
            }
            Entry("state.json", s => JsonSerializer.Serialize(s, state, Json));
            Entry("options.json", s => JsonSerializer.Serialize(s, options, Json));
            Entry("architecture.txt", s => s.Write(System.Text.Encoding.UTF8.GetBytes(model.Architecture)));
            Entry("config.json", s => s.Write(System.Text.Encoding.UTF8.GetBytes(model.ConfigJson())));
            Entry("labels.json", s => JsonSerializer.Serialize(s, labels));
            Entry("model.safetensors", s => Safetensors.WriteTo(s, model.state_dict(), null));
            if (ema is not null) Entry("ema.safetensors", s => Safetensors.WriteTo(s, ema.state_dict(), null));
            Entry("optimizer.bin", s =>
            {
                using var w = new BinaryWriter(s, System.Text.Encoding.UTF8, leaveOpen: true);
                optimizer.Save(w);
            });
        });
    }

    /// <summary>
    /// The network a checkpoint was made with (freshly initialised, to pass to <see cref="Restore"/>), its
    /// options and labels. Checkpoints without architecture.txt are ByteFormer's.
    /// </summary>
    public static (ByteClassifier Model, TrainOptions Options, IReadOnlyList<string> Labels) ReadHeader(string path)
    {
        using var zip = Open(path);
        var architecture = ReadArchitecture(path);
        var options = JsonSerializer.Deserialize<TrainOptions>(ReadText(zip, "options.json", path))!;
        var labels = JsonSerializer.Deserialize<string[]>(ReadText(zip, "labels.json", path))!;
        var model = Inference.ModelFile.Build(architecture, ReadText(zip, "config.json", path), path);
        return (model, options, labels);
    }

    /// <summary>The architecture a checkpoint was made with ("byteformer" when it does not say).</summary>
    public static string ReadArchitecture(string path)
    {
        using var zip = Open(path);
        return zip.GetEntry("architecture.txt") is null ? "byteformer" : ReadText(zip, "architecture.txt", path).Trim();
    }

    /// <summary>Loads weights, EMA and optimizer state into freshly built objects and returns the run state.</summary>
    public static TrainingState Restore(string path, ByteClassifier model, ByteClassifier? ema, AdamW optimizer)
    {
        using var zip = Open(path);
        Load(zip, "model.safetensors", model, path);
        if (ema is not null) Load(zip, zip.GetEntry("ema.safetensors") is null ? "model.safetensors" : "ema.safetensors", ema, path);
        var entry = zip.GetEntry("optimizer.bin") ?? throw new CheckpointException($"{path} lacks the optimizer state");
        using (var s = new MemoryStream())
        {
            using (var e = entry.Open()) e.CopyTo(s);
            s.Position = 0;
            using var r = new BinaryReader(s);
            optimizer.Load(r);
        }
        return JsonSerializer.Deserialize<TrainingState>(ReadText(zip, "state.json", path))
               ?? throw new CheckpointException($"{path}: empty state");
    }

    /// <summary>Loads a checkpoint's raw weights, or its EMA weights with <paramref name="ema"/>, into <paramref name="model"/>.</summary>
    public static void LoadWeights(string path, ByteClassifier model, bool ema)
    {
        using var zip = Open(path);
        if (ema && zip.GetEntry("ema.safetensors") is null) throw new CheckpointException($"{path} holds no EMA weights (the run had EMA off)");
        Load(zip, ema ? "ema.safetensors" : "model.safetensors", model, path);
    }

    private static void Load(ZipArchive zip, string name, ByteClassifier model, string path)
    {
        var entry = zip.GetEntry(name) ?? throw new CheckpointException($"{path} lacks {name}");
        using var s = new MemoryStream();
        using (var e = entry.Open()) e.CopyTo(s);
        s.Position = 0;
        var (tensors, _) = Safetensors.Read(s, $"{path}:{name}");
        using (tensors) WeightLoader.Load(model, tensors, $"{path}:{name}");
    }

    private static ZipArchive Open(string path)
    {
        if (!File.Exists(path)) throw new CheckpointException($"{path}: no such checkpoint");
        try
        {
            return ZipFile.OpenRead(path);
        }
        catch (InvalidDataException)
        {
            throw new CheckpointException($"{path} is not a readable checkpoint (truncated or corrupt)");
        }
    }

    private static string ReadText(ZipArchive zip, string name, string path)
    {
        var entry = zip.GetEntry(name) ?? throw new CheckpointException($"{path} lacks {name}");
        using var r = new StreamReader(entry.Open());
        return r.ReadToEnd();
    }
}

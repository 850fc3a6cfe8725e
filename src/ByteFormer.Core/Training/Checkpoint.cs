using System.IO.Compression;
using System.Text.Json;
using ByteFormer.Interop;
using ByteFormer.Model;

namespace ByteFormer.Training;

/// <summary>Where a run stands: enough, with the weights and optimizer state, to continue it exactly.</summary>
public sealed record TrainingState
{
    /// <summary>The epoch in progress (0-based); equal to the epoch count when the run is done.</summary>
    public int Epoch { get; init; }
    /// <summary>Optimizer steps done in <see cref="Epoch"/>.</summary>
    public int StepInEpoch { get; init; }
    /// <summary>Optimizer steps done in the whole run.</summary>
    public long Step { get; init; }
    /// <summary>Training time so far, over every session of the run.</summary>
    public double ElapsedSeconds { get; init; }
    /// <summary>One entry per finished epoch.</summary>
    public List<EpochMetrics> History { get; init; } = new();
    /// <summary>The epoch in progress so far: its summed training loss (over samples), for the epoch's metrics after a resume.</summary>
    public double EpochLossSum { get; init; }
    /// <summary>The epoch in progress so far: training samples whose top class was their label.</summary>
    public long EpochHits { get; init; }
    /// <summary>The epoch in progress so far: training samples seen.</summary>
    public long EpochSeen { get; init; }
    /// <summary>The epoch in progress so far: seconds of training (over every session).</summary>
    public double EpochSeconds { get; init; }
}

/// <summary>A checkpoint's network, options and labels, read without building the network.</summary>
/// <param name="Architecture">The network's architecture (<see cref="ModelArchitecture.Names"/>).</param>
/// <param name="ConfigJson">Its configuration as JSON.</param>
/// <param name="Options">The run's training options (after a time budget fixed the epoch count).</param>
/// <param name="Labels">The class labels.</param>
/// <param name="Source">The checkpoint's path, for messages.</param>
public sealed record CheckpointHeader(string Architecture, string ConfigJson, TrainOptions Options, IReadOnlyList<string> Labels, string Source)
{
    /// <summary>The most bytes the network reads.</summary>
    public long ByteBudget => ModelArchitecture.ByteBudgetOf(Architecture, ConfigJson, Source);

    /// <summary>A freshly initialised network of this architecture and configuration, to pass to <see cref="Checkpoint.Restore"/>.</summary>
    public ByteClassifier BuildModel() => ModelArchitecture.Build(Architecture, ConfigJson, Source);
}

/// <summary>
/// A run's checkpoint: one zip (stored, not compressed) with state.json, the configuration, the model and
/// EMA weights as safetensors and the AdamW state. Written to a temporary file and renamed, so a kill or a
/// full disk leaves the previous checkpoint intact.
/// </summary>
public static class Checkpoint
{
    /// <summary>The checkpoint's file name in a run folder.</summary>
    public const string FileName = "checkpoint.zip";
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    /// <summary>Writes the checkpoint atomically: the previous one stays whole until the new one is complete.</summary>
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
    /// What a checkpoint's network is (architecture and configuration, read without building it), its options and
    /// labels. Checkpoints without architecture.txt are ByteFormer's.
    /// </summary>
    /// <exception cref="CheckpointException">No such checkpoint, or one that is corrupt or lacks an entry.</exception>
    public static CheckpointHeader ReadHeader(string path) => Guarded(path, () =>
    {
        using var zip = Open(path);
        var architecture = ReadArchitecture(zip, path);
        try
        {
            var options = JsonSerializer.Deserialize<TrainOptions>(ReadText(zip, "options.json", path))
                          ?? throw new CheckpointException($"{path}: empty options");
            var labels = JsonSerializer.Deserialize<string[]>(ReadText(zip, "labels.json", path))
                         ?? throw new CheckpointException($"{path}: empty labels");
            if (labels.Any(l => l is null)) throw new CheckpointException($"{path}: a label is null");
            var header = new CheckpointHeader(architecture, ReadText(zip, "config.json", path), options, labels, path);
            _ = header.ByteBudget;                                              // an unreadable configuration fails here
            // The network is built from this header before its weights are read: refuse a size the weights cannot fill.
            var weights = zip.GetEntry("model.safetensors") ?? throw new CheckpointException($"{path} lacks model.safetensors");
            ModelArchitecture.CheckFits(architecture, header.ConfigJson, weights.Length / 4.0, path);
            return header;
        }
        catch (JsonException e)
        {
            throw new CheckpointException($"{path}: its options or labels are not readable ({e.Message.Split('\n')[0]})");
        }
    });

    /// <summary>The architecture a checkpoint was made with ("byteformer" when it does not say).</summary>
    public static string ReadArchitecture(string path) => Guarded(path, () =>
    {
        using var zip = Open(path);
        return ReadArchitecture(zip, path);
    });

    private static string ReadArchitecture(ZipArchive zip, string path) =>
        zip.GetEntry("architecture.txt") is null ? ModelArchitecture.ByteFormer : ReadText(zip, "architecture.txt", path).Trim();

    /// <summary>Loads weights, EMA and optimizer state into freshly built objects and returns the run state.</summary>
    public static TrainingState Restore(string path, ByteClassifier model, ByteClassifier? ema, AdamW optimizer) => Guarded(path, () =>
    {
        using var zip = Open(path);
        Load(zip, "model.safetensors", model, path);
        if (ema is not null) Load(zip, zip.GetEntry("ema.safetensors") is null ? "model.safetensors" : "ema.safetensors", ema, path);
        var entry = zip.GetEntry("optimizer.bin") ?? throw new CheckpointException($"{path} lacks the optimizer state");
        // AdamW keeps two moments per parameter: about twice the weights' bytes.
        using (var s = new MemoryStream(ZipEntryReader.ReadAll(entry, 2 * MostWeightBytes(model), path, "an optimizer state")))
        {
            using var r = new BinaryReader(s);
            try
            {
                optimizer.Load(r);
            }
            catch (EndOfStreamException)
            {
                throw new CheckpointException($"{path}: its optimizer state ends early (truncated or forged)");
            }
        }
        try
        {
            return JsonSerializer.Deserialize<TrainingState>(ReadText(zip, "state.json", path))
                   ?? throw new CheckpointException($"{path}: empty state");
        }
        catch (JsonException e)
        {
            throw new CheckpointException($"{path}: its state.json is not readable ({e.Message.Split('\n')[0]})");
        }
    });

    /// <summary>Loads a checkpoint's raw weights, or its EMA weights with <paramref name="ema"/>, into <paramref name="model"/>.</summary>
    public static void LoadWeights(string path, ByteClassifier model, bool ema) => Guarded(path, () =>
    {
        using var zip = Open(path);
        if (ema && zip.GetEntry("ema.safetensors") is null) throw new CheckpointException($"{path} holds no EMA weights (the run had EMA off)");
        Load(zip, ema ? "ema.safetensors" : "model.safetensors", model, path);
        return 0;
    });

    /// <summary>Runs a read of the checkpoint at <paramref name="path"/>: the zip's directory is read lazily, so a
    /// damaged one can surface as an <see cref="InvalidDataException"/> from any entry lookup, not only on opening.</summary>
    private static T Guarded<T>(string path, Func<T> read)
    {
        try
        {
            return read();
        }
        catch (InvalidDataException e)
        {
            throw new CheckpointException($"{path} is not a readable checkpoint (its zip is corrupt: {e.Message.Split('\n')[0]})");
        }
    }

    private static void Load(ZipArchive zip, string name, ByteClassifier model, string path)
    {
        var entry = zip.GetEntry(name) ?? throw new CheckpointException($"{path} lacks {name}");
        // Read bounded by what the model's weights can take, and CRC-checked: a corrupt or forged entry is refused.
        using var s = new MemoryStream(ZipEntryReader.ReadAll(entry, MostWeightBytes(model), path, "the model's weights"));
        var (tensors, _) = Safetensors.Read(s, $"{path}:{name}");
        using (tensors) WeightLoader.Load(model, tensors, $"{path}:{name}");
    }

    /// <summary>The most bytes a weights entry of <paramref name="model"/> can take: 8 bytes an element (no dtype is
    /// wider), plus room for the header.</summary>
    private static long MostWeightBytes(ByteClassifier model) =>
        8 * (model.parameters().Sum(p => p.numel()) + model.buffers().Sum(b => b.numel())) + (16 << 20);

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

    /// <summary>The most bytes a text entry (state, options, labels, configuration) may hold; they are kilobytes.</summary>
    private const long MaxTextBytes = 16L << 20;

    private static string ReadText(ZipArchive zip, string name, string path)
    {
        var entry = zip.GetEntry(name) ?? throw new CheckpointException($"{path} lacks {name}");
        // Bounded and CRC-checked like the weights: a damaged entry is refused, not parsed.
        return System.Text.Encoding.UTF8.GetString(ZipEntryReader.ReadAll(entry, MaxTextBytes, path, "a checkpoint's text entry"));
    }
}

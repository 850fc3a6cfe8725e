using System.Text.Json;
using System.Text.Json.Serialization;
using ByteFormer.Interop;
using ByteFormer.Model;
using TorchSharp;

namespace ByteFormer.Inference;

/// <summary>A loaded model file: the network (in eval mode), its class labels, any extra metadata and the input
/// contract that metadata records. Dispose it (or its <see cref="Model"/>) to free the weights.</summary>
/// <param name="Model">The network, in eval mode.</param>
/// <param name="Labels">One label per class, in the model's class order.</param>
/// <param name="Metadata">The file's other metadata (<see cref="ModelMetadata"/> names the keys).</param>
public sealed record LoadedModel(ByteClassifier Model, IReadOnlyList<string> Labels, IReadOnlyDictionary<string, string> Metadata) : IDisposable
{
    /// <summary>The path it was loaded from, for messages ("model" when made in memory).</summary>
    public string Source { get; init; } = "model";

    /// <summary>What the model's inputs must be: encodings, byte transforms, byte budget.</summary>
    public InputContract Contract => contract ??= InputContract.FromMetadata(Source, Metadata, Model.ByteBudget, Model.MinimumBytes);
    private InputContract? contract;

    /// <summary>
    /// The one call that makes a predictor that honours the model's input contract: its byte transforms (a keyed
    /// model refuses to run without its key, or <see cref="InferenceOptions.PrePermuted"/>, and refuses another key),
    /// its byte budget, and a note for a clip unlike a keyword model's training files.
    /// </summary>
    /// <exception cref="ByteFormerException">The key is missing or wrong, or the recorded contract is unreadable.</exception>
    public Predictor CreatePredictor(PredictorOptions? options = null) => CreatePredictor(options, owner: null);

    /// <summary><see cref="CreatePredictor(PredictorOptions?)"/>, the predictor disposing <paramref name="owner"/> with itself.</summary>
    internal TorchPredictor CreatePredictor(PredictorOptions? options, IDisposable? owner)
    {
        options ??= new PredictorOptions();
        var transforms = Contract.Transforms(options.Key, options.PrePermuted);
        if (options.Device is { } device) Model.to(device);
        return new TorchPredictor(Model, Labels, options.BatchSize, options.Device, owner) { Transforms = transforms, Contract = Contract };
    }

    /// <summary>Frees the network's weights.</summary>
    public void Dispose() => Model.Dispose();
}

/// <summary>
/// The project's model file: one safetensors file whose <c>__metadata__</c> holds the configuration
/// (<c>byteformer.config</c>, JSON with CoreNet's option names), the class labels (<c>byteformer.labels</c>)
/// and a format marker; the tensors are the state_dict under CoreNet's names. Python's safetensors reads it too.
/// </summary>
public static class ModelFile
{
    /// <summary>The value of the <see cref="ModelMetadata.Format"/> key this version writes and reads.</summary>
    public const string FormatValue = "byteformer-model/1";
    private const string FormatKey = ModelMetadata.Format, ConfigKey = ModelMetadata.Config, LabelsKey = ModelMetadata.Labels,
        ArchitectureKey = ModelMetadata.Architecture;

    /// <summary>Writes <paramref name="model"/> with its labels atomically.</summary>
    public static void Save(string path, ByteClassifier model, IReadOnlyList<string> labels,
        IReadOnlyDictionary<string, string>? extraMetadata = null)
    {
        if (labels.Count != model.NClasses)
            throw new ArgumentException($"{labels.Count} labels for a model of {model.NClasses} classes");
        var metadata = new Dictionary<string, string>(extraMetadata ?? new Dictionary<string, string>())
        {
            [FormatKey] = FormatValue,
            [ConfigKey] = model.ConfigJson(),
            [LabelsKey] = JsonSerializer.Serialize(labels),
        };
        // ByteFormer files stay as they were (no architecture key), so older readers still load them.
        if (model.Architecture != ModelArchitecture.ByteFormer) metadata[ArchitectureKey] = model.Architecture;
        Safetensors.Write(path, model.state_dict(), metadata);
    }

    /// <summary>Loads a model file, checking that its configuration and weights agree.</summary>
    public static LoadedModel Load(string path)
    {
        var (weights, metadata) = Safetensors.Read(path);
        using (weights)
        {
            if (!metadata.TryGetValue(FormatKey, out var format) || !metadata.TryGetValue(ConfigKey, out var configJson))
                throw new CheckpointException(
                    $"{path} is a safetensors file but not a ByteFormer model file (no configuration inside); to use CoreNet weights, run 'byteformer import' first");
            if (format != FormatValue)
                throw new CheckpointException($"{path} is a model file of format '{Printable.Of(format)}'; this version reads '{FormatValue}'");
            var architecture = metadata.GetValueOrDefault(ArchitectureKey, ModelArchitecture.ByteFormer);
            ModelArchitecture.CheckFits(architecture, configJson, weights.Items.Sum(kv => (double)kv.Value.numel()), path);
            var model = ModelArchitecture.Build(architecture, configJson, path);
            IReadOnlyList<string> labels;
            try
            {
                labels = ReadLabels(metadata, model.NClasses, path);
                WeightLoader.Load(model, weights, path);
            }
            catch
            {
                model.Dispose();
                throw;
            }
            model.eval();
            var extra = metadata.Where(kv => kv.Key is not (FormatKey or ConfigKey or LabelsKey or ArchitectureKey))
                .ToDictionary(kv => kv.Key, kv => kv.Value);
            return new LoadedModel(model, labels, extra) { Source = path };
        }
    }

    /// <summary>"class_0", "class_1", ...: labels for a model whose class names are unknown.</summary>
    public static IReadOnlyList<string> DefaultLabels(int classes) =>
        Enumerable.Range(0, classes).Select(i => $"class_{i}").ToArray();

    private static IReadOnlyList<string> ReadLabels(IReadOnlyDictionary<string, string> metadata, int classes, string path)
    {
        if (!metadata.TryGetValue(LabelsKey, out var json)) return DefaultLabels(classes);
        string[]? labels;
        try
        {
            labels = JsonSerializer.Deserialize<string[]>(json);
        }
        catch (JsonException)
        {
            labels = null;
        }
        if (labels is null || labels.Length != classes)
            throw new CheckpointException($"{path}: its labels do not match its {classes} classes");
        return labels;
    }
}

using System.Text.Json;
using System.Text.Json.Serialization;
using ByteFormer.Interop;
using ByteFormer.Model;

namespace ByteFormer.Inference;

/// <summary>A loaded model file: the network (in eval mode), its class labels and any extra metadata.</summary>
public sealed record LoadedModel(ByteClassifier Model, IReadOnlyList<string> Labels, IReadOnlyDictionary<string, string> Metadata);

/// <summary>
/// The project's model file: one safetensors file whose <c>__metadata__</c> holds the configuration
/// (<c>byteformer.config</c>, JSON with CoreNet's option names), the class labels (<c>byteformer.labels</c>)
/// and a format marker; the tensors are the state_dict under CoreNet's names. Python's safetensors reads it too.
/// </summary>
public static class ModelFile
{
    public const string FormatKey = "format";
    public const string FormatValue = "byteformer-model/1";
    public const string ConfigKey = "byteformer.config";
    public const string LabelsKey = "byteformer.labels";

    public const string ArchitectureKey = "byteformer.architecture";

    /// <summary>Configuration as JSON (CoreNet option names, plus the size fields and attention_semantics).</summary>
    public static string ConfigToJson(ByteFormerConfig config) => config.ToJson();

    /// <summary>Parses <see cref="ConfigToJson"/>'s output.</summary>
    public static ByteFormerConfig ConfigFromJson(string json, string source) => ParseConfig(ByteFormerConfig.FromJson, json, source);

    /// <summary>
    /// Builds the network that <paramref name="architecture"/> and its configuration JSON describe
    /// ("byteformer", the default, or "pixel-vit").
    /// </summary>
    public static ByteClassifier Build(string architecture, string configJson, string source) => architecture switch
    {
        "byteformer" => new ByteFormerModel(ParseConfig(ByteFormerConfig.FromJson, configJson, source)),
        "pixel-vit" => new PixelVisionTransformer(ParseConfig(PixelVitConfig.FromJson, configJson, source)),
        _ => throw new CheckpointException($"{source}: unknown architecture '{architecture}' (this version knows byteformer and pixel-vit)"),
    };

    private static T ParseConfig<T>(Func<string, T> parse, string json, string source)
    {
        try
        {
            return parse(json);
        }
        catch (JsonException e)
        {
            throw new CheckpointException($"{source}: its configuration is not readable ({e.Message.Split('\n')[0]})");
        }
    }

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
        if (model.Architecture != "byteformer") metadata[ArchitectureKey] = model.Architecture;
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
                throw new CheckpointException($"{path} is a model file of format '{format}'; this version reads '{FormatValue}'");
            var architecture = metadata.GetValueOrDefault(ArchitectureKey, "byteformer");
            var model = Build(architecture, configJson, path);
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
            return new LoadedModel(model, labels, extra);
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

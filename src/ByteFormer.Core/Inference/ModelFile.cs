using System.Text.Json;
using System.Text.Json.Serialization;
using ByteFormer.Interop;
using ByteFormer.Model;

namespace ByteFormer.Inference;

/// <summary>A loaded model file: the network (in eval mode), its class labels and any extra metadata.</summary>
public sealed record LoadedModel(ByteFormerModel Model, IReadOnlyList<string> Labels, IReadOnlyDictionary<string, string> Metadata);

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

    private static readonly JsonSerializerOptions Json = new()
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    /// <summary>Configuration as JSON (CoreNet option names, plus the size fields and attention_semantics).</summary>
    public static string ConfigToJson(ByteFormerConfig config) => JsonSerializer.Serialize(config, Json);

    /// <summary>Parses <see cref="ConfigToJson"/>'s output.</summary>
    public static ByteFormerConfig ConfigFromJson(string json, string source)
    {
        try
        {
            return JsonSerializer.Deserialize<ByteFormerConfig>(json, Json)?.Validate()
                   ?? throw new CheckpointException($"{source}: empty configuration");
        }
        catch (JsonException e)
        {
            throw new CheckpointException($"{source}: its configuration is not readable ({e.Message.Split('\n')[0]})");
        }
    }

    /// <summary>Writes <paramref name="model"/> with its labels atomically.</summary>
    public static void Save(string path, ByteFormerModel model, IReadOnlyList<string> labels,
        IReadOnlyDictionary<string, string>? extraMetadata = null)
    {
        if (labels.Count != model.Config.NClasses)
            throw new ArgumentException($"{labels.Count} labels for a model of {model.Config.NClasses} classes");
        var metadata = new Dictionary<string, string>(extraMetadata ?? new Dictionary<string, string>())
        {
            [FormatKey] = FormatValue,
            [ConfigKey] = ConfigToJson(model.Config),
            [LabelsKey] = JsonSerializer.Serialize(labels),
        };
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
            var config = ConfigFromJson(configJson, path);
            var labels = ReadLabels(metadata, config, path);
            var model = new ByteFormerModel(config);
            try
            {
                WeightLoader.Load(model, weights, path);
            }
            catch
            {
                model.Dispose();
                throw;
            }
            model.eval();
            var extra = metadata.Where(kv => kv.Key is not (FormatKey or ConfigKey or LabelsKey))
                .ToDictionary(kv => kv.Key, kv => kv.Value);
            return new LoadedModel(model, labels, extra);
        }
    }

    /// <summary>"class_0", "class_1", ...: labels for a model whose class names are unknown.</summary>
    public static IReadOnlyList<string> DefaultLabels(int classes) =>
        Enumerable.Range(0, classes).Select(i => $"class_{i}").ToArray();

    private static IReadOnlyList<string> ReadLabels(IReadOnlyDictionary<string, string> metadata, ByteFormerConfig config, string path)
    {
        if (!metadata.TryGetValue(LabelsKey, out var json)) return DefaultLabels(config.NClasses);
        string[]? labels;
        try
        {
            labels = JsonSerializer.Deserialize<string[]>(json);
        }
        catch (JsonException)
        {
            labels = null;
        }
        if (labels is null || labels.Length != config.NClasses)
            throw new CheckpointException($"{path}: its labels do not match its {config.NClasses} classes");
        return labels;
    }
}

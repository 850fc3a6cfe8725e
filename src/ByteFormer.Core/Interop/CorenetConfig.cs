using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ByteFormer.Model;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace ByteFormer.Interop;

/// <summary>
/// Turns a CoreNet configuration into a <see cref="ByteFormerConfig"/> in <see cref="AttentionSemantics.Corenet"/>
/// semantics. Accepts a CoreNet YAML (as in its projects/byteformer folder) or a JSON file with
/// <c>corenet_options</c> (dotted option names) and, for sizes outside the named modes,
/// <c>byteformer_get_configuration</c>. Options CoreNet would default are defaulted the same way.
/// </summary>
public static class CorenetConfig
{
    private const string Prefix = "model.classification.byteformer.";

    private static readonly HashSet<string> KnownOptions =
    [
        "mode", "vocab_size", "max_num_tokens", "conv_kernel_size", "window_sizes", "window_shifts", "downsample",
        "dropout", "stochastic_dropout", "norm_layer", "sinusoidal_pos_emb", "use_pytorch_mha", "padding_index",
        "dummy_input_token_length",
    ];

    private static readonly string[] CorenetModes = ["tiny", "small", "base", "huge"];

    /// <summary>CoreNet's configurations are a few kilobytes; a file far larger is not one.</summary>
    private const long MaxFileBytes = 1 << 20;

    /// <summary>How deep YAML or JSON may nest (CoreNet's YAMLs nest about five deep); deeper would exhaust the stack.</summary>
    private const int MaxDepth = 64;

    /// <summary>How many YAML nodes may be visited, counting each use of an alias again (a billion-laughs file expands past any limit).</summary>
    private const int MaxNodes = 100_000;

    /// <summary>Reads <paramref name="path"/> (YAML or JSON, by content).</summary>
    public static ByteFormerConfig Load(string path)
    {
        if (!File.Exists(path)) throw new ConfigurationException($"{path}: no such file");
        var length = new FileInfo(path).Length;
        if (length > MaxFileBytes)
            throw new ConfigurationException($"{path} is not a CoreNet configuration ({length:N0} bytes; they are a few kilobytes)");
        var text = File.ReadAllText(path);
        if (string.IsNullOrWhiteSpace(text)) throw new ConfigurationException($"{path} is empty");
        return text.TrimStart().StartsWith('{') ? FromJson(text, path) : FromYaml(text, path);
    }

    /// <summary>A JSON object with <c>corenet_options</c> and optionally <c>byteformer_get_configuration</c>.</summary>
    public static ByteFormerConfig FromJson(string json, string source)
    {
        Dictionary<string, object?> flat;
        Dictionary<string, object?>? sizes;
        try
        {
            var root = JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { MaxDepth = MaxDepth })?.AsObject()
                       ?? throw new ConfigurationException($"{source} is empty");
            var options = root["corenet_options"] as JsonObject
                          ?? throw new ConfigurationException($"{source} has no 'corenet_options' object");
            flat = options.ToDictionary(kv => kv.Key, kv => FromJsonNode(kv.Value));
            sizes = root["byteformer_get_configuration"] is JsonObject s
                ? s.ToDictionary(kv => kv.Key, kv => FromJsonNode(kv.Value))
                : null;
        }
        // JsonObject reads its members lazily: a repeated name (ArgumentException) shows only when they are read.
        catch (Exception e) when (e is JsonException or InvalidOperationException or ArgumentException)
        {
            throw new ConfigurationException($"{source} is not valid JSON (or repeats a name): {e.Message.Split('\n')[0]}");
        }
        return FromOptions(flat, sizes, source);
    }

    /// <summary>A CoreNet YAML: its <c>model:</c> section is read, everything else ignored.</summary>
    public static ByteFormerConfig FromYaml(string yaml, string source)
    {
        var yamlStream = new YamlStream();
        try
        {
            CheckNesting(yaml, source);
            yamlStream.Load(new StringReader(yaml));
        }
        // YamlDotNet's scanner and loader also throw InvalidOperationException and ArgumentException on some malformed input.
        catch (Exception e) when (e is YamlException or InvalidOperationException or ArgumentException)
        {
            throw new ConfigurationException($"{source} is not valid YAML: {OneLine(e.Message)}");
        }
        if (yamlStream.Documents.Count == 0 || yamlStream.Documents[0].RootNode is not YamlMappingNode rootNode)
            throw new ConfigurationException($"{source} is not a CoreNet YAML (no top-level mapping)");
        var flat = new Dictionary<string, object?>();
        var budget = new NodeBudget(source);
        Flatten(rootNode, "", flat, budget, 0);
        return FromOptions(flat, null, source);
    }

    /// <summary>Builds the configuration from dotted CoreNet options.</summary>
    public static ByteFormerConfig FromOptions(IReadOnlyDictionary<string, object?> options,
        IReadOnlyDictionary<string, object?>? sizes, string source)
    {
        var byteformer = options.Where(kv => kv.Key.StartsWith(Prefix, StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key[Prefix.Length..], kv => kv.Value);
        if (byteformer.Count == 0)
            throw new ConfigurationException($"{source} has no {Prefix}* options; is it a ByteFormer config?");
        var unknown = byteformer.Keys.FirstOrDefault(k => !KnownOptions.Contains(k));
        if (unknown is not null)
            throw new ConfigurationException($"{source}: unknown option '{Printable.Of(Prefix + unknown)}'");

        var mode = Str(byteformer, "mode", source) ?? "tiny";
        var cfg = new ByteFormerConfig();                                           // CoreNet's defaults
        if (CorenetModes.Contains(mode))
        {
            var preset = ByteFormerConfig.Preset(mode);
            cfg = cfg with
            {
                EmbedDim = preset.EmbedDim, NTransformerLayers = preset.NTransformerLayers,
                NAttnHeads = preset.NAttnHeads, FfnDim = preset.FfnDim,
                // CoreNet has no 32-entry defaults for huge; use this project's (see ByteFormerConfig.Preset).
                WindowShifts = mode == "huge" ? preset.WindowShifts : cfg.WindowShifts,
                Downsample = mode == "huge" ? preset.Downsample : cfg.Downsample,
            };
        }
        else if (sizes is not null)
        {
            cfg = cfg with
            {
                EmbedDim = Int(sizes, "embed_dim", source) ?? throw Missing(source, "embed_dim"),
                NTransformerLayers = Int(sizes, "n_transformer_layers", source) ?? throw Missing(source, "n_transformer_layers"),
                NAttnHeads = Int(sizes, "n_attn_heads", source) ?? throw Missing(source, "n_attn_heads"),
                FfnDim = Int(sizes, "ffn_dim", source) ?? throw Missing(source, "ffn_dim"),
                AttnDropout = Dbl(sizes, "attn_dropout", source) ?? 0,
                FfnDropout = Dbl(sizes, "ffn_dropout", source) ?? 0,
            };
        }
        else
            throw new ConfigurationException(
                $"{source}: unknown ByteFormer mode '{Printable.Of(mode)}' (CoreNet knows {string.Join(", ", CorenetModes)}; other sizes need 'byteformer_get_configuration')");

        cfg = cfg with
        {
            Mode = mode,
            Semantics = AttentionSemantics.Corenet,
            VocabSize = Int(byteformer, "vocab_size", source) ?? cfg.VocabSize,
            MaxNumTokens = Int(byteformer, "max_num_tokens", source) ?? cfg.MaxNumTokens,
            ConvKernelSize = Int(byteformer, "conv_kernel_size", source) ?? cfg.ConvKernelSize,
            WindowSizes = Ints(byteformer, "window_sizes", source) ?? cfg.WindowSizes,
            WindowShifts = Ints(byteformer, "window_shifts", source) ?? cfg.WindowShifts,
            Downsample = Bools(byteformer, "downsample", source) ?? cfg.Downsample,
            Dropout = Dbl(byteformer, "dropout", source) ?? cfg.Dropout,
            StochasticDropout = Dbl(byteformer, "stochastic_dropout", source) ?? cfg.StochasticDropout,
            NormLayer = Str(byteformer, "norm_layer", source) ?? cfg.NormLayer,
            SinusoidalPosEmb = Bool(byteformer, "sinusoidal_pos_emb", source) ?? cfg.SinusoidalPosEmb,
            UsePytorchMha = Bool(byteformer, "use_pytorch_mha", source) ?? cfg.UsePytorchMha,
            PaddingIndex = Int(byteformer, "padding_index", source) ?? cfg.PaddingIndex,
            DummyInputTokenLength = Int(byteformer, "dummy_input_token_length", source) ?? cfg.DummyInputTokenLength,
            NClasses = Int(options, "model.classification.n_classes", source) ?? cfg.NClasses,
            Activation = Str(options, "model.activation.name", source) ?? cfg.Activation,
        };
        try
        {
            return cfg.Validate();
        }
        catch (ConfigurationException e)
        {
            throw new ConfigurationException($"{source}: {e.Message}");
        }
    }

    /// <summary>Walks the parser's events (iteratively) before the representation model, which recurses, is built:
    /// too deep a nesting is refused here rather than overflowing the stack there.</summary>
    private static void CheckNesting(string yaml, string source)
    {
        var parser = new Parser(new StringReader(yaml));
        var depth = 0;
        while (parser.MoveNext())
        {
            if (parser.Current is YamlDotNet.Core.Events.NodeEvent and (YamlDotNet.Core.Events.SequenceStart or YamlDotNet.Core.Events.MappingStart))
            {
                if (++depth > MaxDepth) throw new ConfigurationException($"{source}: YAML nested more than {MaxDepth} deep; not a CoreNet configuration");
            }
            else if (parser.Current is YamlDotNet.Core.Events.SequenceEnd or YamlDotNet.Core.Events.MappingEnd)
                depth--;
        }
    }

    /// <summary>Counts the nodes a walk visits, aliases included, so neither a cycle nor an exponential expansion can run away.</summary>
    private sealed class NodeBudget(string source)
    {
        private int visited;

        public string Source => source;

        public void Visit(int depth)
        {
            if (++visited > MaxNodes || depth > MaxDepth)
                throw new ConfigurationException($"{source}: its YAML aliases expand past {MaxNodes:N0} nodes or {MaxDepth} levels; not a CoreNet configuration");
        }
    }

    private static void Flatten(YamlNode node, string prefix, Dictionary<string, object?> into, NodeBudget budget, int depth)
    {
        budget.Visit(depth);
        if (node is YamlMappingNode map)
        {
            foreach (var (key, value) in map.Children)
            {
                if (key is not YamlScalarNode { Value: var name })
                    throw new ConfigurationException($"{budget.Source}: option '{prefix}…' has a key that is not a plain name");
                Flatten(value, prefix + name + (value is YamlMappingNode ? "." : ""), into, budget, depth + 1);
            }
            return;
        }
        into[prefix] = FromYamlNode(node, budget, depth);
    }

    private static object? FromYamlNode(YamlNode node, NodeBudget budget, int depth)
    {
        budget.Visit(depth);
        return node switch
        {
            YamlSequenceNode seq => seq.Children.Select(child => FromYamlNode(child, budget, depth + 1)).ToList(),
            YamlScalarNode { Value: null or "null" or "~" or "" } => null,
            YamlScalarNode s when s.Style is ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted => s.Value,
            YamlScalarNode s when bool.TryParse(s.Value, out var b) => b,
            YamlScalarNode s when long.TryParse(s.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var l) => l,
            YamlScalarNode s when double.TryParse(s.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => d,
            YamlScalarNode s => s.Value,
            _ => null,
        };
    }

    private static object? FromJsonNode(JsonNode? node) => node switch
    {
        null => null,
        JsonArray a => a.Select(FromJsonNode).ToList(),
        JsonValue v when v.TryGetValue<bool>(out var b) => b,
        JsonValue v when v.TryGetValue<long>(out var l) => l,
        JsonValue v when v.TryGetValue<double>(out var d) => d,
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        _ => node.ToJsonString(),
    };

    private static string OneLine(string message) => string.Join(' ', message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    private static ConfigurationException Missing(string source, string key) =>
        new($"{source}: byteformer_get_configuration lacks '{key}'");

    private static ConfigurationException Wrong(string source, string key, string expected, object? value) =>
        new($"{source}: option '{Printable.Of(key)}' should be {expected}, got '{Printable.Of(value is IEnumerable<object?> list ? $"[{string.Join(", ", list)}]" : value?.ToString())}'");

    private static string? Str(IReadOnlyDictionary<string, object?> d, string key, string source) =>
        d.TryGetValue(key, out var v) && v is not null ? v as string ?? throw Wrong(source, key, "a string", v) : null;

    private static int? Int(IReadOnlyDictionary<string, object?> d, string key, string source) =>
        d.TryGetValue(key, out var v) && v is not null ? v is long l and >= int.MinValue and <= int.MaxValue ? (int)l : throw Wrong(source, key, "an integer", v) : null;

    private static double? Dbl(IReadOnlyDictionary<string, object?> d, string key, string source) =>
        d.TryGetValue(key, out var v) && v is not null ? v switch { long l => l, double x => x, _ => throw Wrong(source, key, "a number", v) } : null;

    private static bool? Bool(IReadOnlyDictionary<string, object?> d, string key, string source) =>
        d.TryGetValue(key, out var v) && v is not null ? v is bool b ? b : throw Wrong(source, key, "true or false", v) : null;

    private static int[]? Ints(IReadOnlyDictionary<string, object?> d, string key, string source)
    {
        if (!d.TryGetValue(key, out var v) || v is null) return null;
        if (v is long single and >= int.MinValue and <= int.MaxValue) return [(int)single];
        if (v is List<object?> list && list.All(x => x is long and >= int.MinValue and <= int.MaxValue)) return list.Select(x => (int)(long)x!).ToArray();
        throw Wrong(source, key, "a list of integers", v);
    }

    private static bool[]? Bools(IReadOnlyDictionary<string, object?> d, string key, string source)
    {
        if (!d.TryGetValue(key, out var v) || v is null) return null;
        if (v is List<object?> list && list.All(x => x is bool)) return list.Select(x => (bool)x!).ToArray();
        throw Wrong(source, key, "a list of true/false", v);
    }
}

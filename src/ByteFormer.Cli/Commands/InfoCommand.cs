using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using ByteFormer.Cli.Output;
using ByteFormer.Inference;
using ByteFormer.Model;
using Spectre.Console;

namespace ByteFormer.Cli.Commands;

/// <summary><c>byteformer info MODEL|PRESET [--bytes N] [--json]</c>: configuration, parameters by part, tokens per stage.</summary>
internal static class InfoCommand
{
    public static Command Create(CliIO io)
    {
        var target = new Argument<string>("model-or-preset")
        {
            Description = $"A model file, or a preset: {string.Join(", ", ByteFormerConfig.PresetNames)}",
        };
        var bytes = new Option<long>("--bytes")
        {
            Description = "Input size in bytes for the token trace",
            DefaultValueFactory = _ => 1000,
        };
        var json = new Option<bool>("--json") { Description = "Print one JSON object" };
        var command = new Command("info", "Describe a model or preset: configuration, parameters, tokens per stage") { target, bytes, json };
        command.SetAction(parse => ErrorReporter.Guard(io, () =>
            Run(io, parse.GetValue(target)!, parse.GetValue(bytes), parse.GetValue(json))));
        return command;
    }

    private static int Run(CliIO io, string target, long bytes, bool asJson)
    {
        if (bytes <= 0) throw new ByteFormerException($"--bytes must be positive, got {bytes}");
        var (maybeConfig, loaded) = CommonOptions.ModelOrPreset(target);
        using var _ = loaded?.Model;
        if (maybeConfig is not { } config) return RunOther(io, target, loaded!, asJson);
        var counts = config.CountParameters();
        var trace = TokenTrace.For(config, bytes);
        long budget = config.ByteBudget;
        if (asJson)
        {
            var obj = new JsonObject
            {
                ["source"] = loaded is null ? $"preset {config.Mode}" : target,
                ["config"] = JsonNode.Parse(config.ToJson()),
                ["labels"] = loaded is null ? null : new JsonArray(loaded.Labels.Select(l => (JsonNode)l!).ToArray()),
                ["parameters"] = JsonSerializer.SerializeToNode(counts),
                ["byte_budget"] = budget,
                ["trace"] = JsonSerializer.SerializeToNode(trace),
                ["recorded"] = loaded is null ? null : RecordedJson(loaded),
            };
            io.Out.WriteLine(obj.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            return 0;
        }

        var console = io.Console;
        console.WriteLine(loaded is null ? $"Preset {config.Mode}" : $"Model file {target} ({loaded.Labels.Count} classes: {Shorten(loaded.Labels)})");
        var cfg = new Table().AddColumn("setting").AddColumn("value");
        cfg.AddRow("attention semantics", config.Semantics.ToString().ToLowerInvariant());
        cfg.AddRow("embed_dim / layers / heads / ffn", $"{config.EmbedDim} / {config.NTransformerLayers} / {config.NAttnHeads} / {config.FfnDim}");
        cfg.AddRow("conv kernel / stride", $"{config.ConvKernelSize} / {config.ConvStride}");
        cfg.AddRow("window sizes", string.Join(" ", Enumerable.Range(0, config.NTransformerLayers).Select(config.WindowSize)));
        cfg.AddRow("window shifts", string.Join(" ", config.WindowShifts));
        cfg.AddRow("merge after blocks", string.Join(" ", Enumerable.Range(0, config.NTransformerLayers).Where(i => config.Downsample[i])));
        cfg.AddRow("position encoding", config.Positions.ToString().ToLowerInvariant());
        cfg.AddRow("positions (max_num_tokens)", $"{config.MaxNumTokens:N0}");
        cfg.AddRow("byte budget per input", $"{budget:N0}");
        cfg.AddRow("classes", $"{config.NClasses}");
        console.Write(cfg);
        if (loaded is not null) WriteRecorded(console, loaded);

        var parts = new Table().AddColumn("part").AddColumn(new TableColumn("parameters").RightAligned());
        parts.AddRow("byte embedding", $"{counts.Embedding:N0}");
        parts.AddRow("token reduction (Conv1d)", $"{counts.TokenReduction:N0}");
        parts.AddRow("positional table", $"{counts.PositionalTable:N0}");
        if (counts.RelativePositions > 0) parts.AddRow("relative position biases", $"{counts.RelativePositions:N0}");
        parts.AddRow($"transformer blocks ({config.NTransformerLayers})", $"{counts.Blocks:N0}");
        parts.AddRow($"token merging ({config.MergeCount})", $"{counts.TokenMerging:N0}");
        parts.AddRow("final LayerNorm", $"{counts.FinalNorm:N0}");
        parts.AddRow("classifier", $"{counts.Classifier:N0}");
        parts.AddRow("[bold]total[/]", $"[bold]{counts.Total:N0}[/]");
        console.Write(parts);

        var stages = new Table().Title($"tokens for a {bytes:N0}-byte input").AddColumn("stage")
            .AddColumn(new TableColumn("tokens").RightAligned()).AddColumn(new TableColumn("windows (padded length)").RightAligned());
        foreach (var s in trace)
            stages.AddRow(s.Stage, $"{s.Tokens:N0}", s.Windows is null ? "" : $"{s.Windows} ({s.PaddedLength:N0})");
        console.Write(stages);
        if (bytes > budget)
            console.WriteLine($"Note: {bytes:N0} bytes exceed the budget; predict reads the first {budget:N0}.");
        return 0;
    }

    private static string Shorten(IReadOnlyList<string> labels) =>
        labels.Count <= 6 ? string.Join(", ", labels) : string.Join(", ", labels.Take(5)) + $", … ({labels.Count - 5} more)";

    /// <summary>A model file of another architecture (the pixel baseline): its configuration, size and labels.</summary>
    private static int RunOther(CliIO io, string target, LoadedModel loaded, bool asJson)
    {
        var parameters = loaded.Model.parameters().Sum(p => p.numel());
        if (asJson)
        {
            var obj = new JsonObject
            {
                ["source"] = target,
                ["architecture"] = loaded.Model.Architecture,
                ["config"] = JsonNode.Parse(loaded.Model.ConfigJson()),
                ["labels"] = new JsonArray(loaded.Labels.Select(l => (JsonNode)l!).ToArray()),
                ["parameters"] = parameters,
                ["byte_budget"] = loaded.Model.ByteBudget,
                ["recorded"] = RecordedJson(loaded),
            };
            io.Out.WriteLine(obj.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            return 0;
        }
        io.Console.WriteLine($"Model file {target} ({loaded.Labels.Count} classes: {Shorten(loaded.Labels)})");
        var table = new Table().AddColumn("setting").AddColumn("value");
        table.AddRow("architecture", loaded.Model.Architecture);
        table.AddRow("configuration", Markup.Escape(loaded.Model.ConfigJson()));
        table.AddRow("parameters", $"{parameters:N0}");
        table.AddRow("byte budget per input", $"{loaded.Model.ByteBudget:N0}");
        io.Console.Write(table);
        WriteRecorded(io.Console, loaded);
        return 0;
    }

    /// <summary>What the model file records about its training, as (what, value) rows in a fixed order; absent ones left out.</summary>
    private static List<(string What, string Value)> Recorded(LoadedModel loaded)
    {
        var m = loaded.Metadata;
        var rows = new List<(string, string)>();
        void Add(string what, string? value)
        {
            if (!string.IsNullOrWhiteSpace(value)) rows.Add((what, value));
        }
        Add("trained on (encodings)", loaded.Contract.Encodings.IsEmpty ? null : loaded.Contract.Encodings.ToString());
        Add("image writers", m.GetValueOrDefault(ModelMetadata.Writers)?.Replace(",", ", "));
        Add("image size", m.GetValueOrDefault(ModelMetadata.ImageSize));
        Add("training data", m.GetValueOrDefault(ModelMetadata.Data));
        if (m.TryGetValue(ModelMetadata.TestTop1, out var top1) && double.TryParse(top1, System.Globalization.CultureInfo.InvariantCulture, out var t))
            Add("test top-1", $"{t:P2}");
        foreach (var (key, value) in m.Where(kv => kv.Key.StartsWith(ModelMetadata.TestTop1Prefix, StringComparison.Ordinal)).OrderBy(kv => kv.Key, StringComparer.Ordinal))
            if (double.TryParse(value, System.Globalization.CultureInfo.InvariantCulture, out var part))
                Add($"test top-1, {key[ModelMetadata.TestTop1Prefix.Length..]}", $"{part:P2}");
        Add("weights", m.GetValueOrDefault(ModelMetadata.WeightsChoice) ?? m.GetValueOrDefault(ModelMetadata.Weights));
        Add("byte transforms", m.GetValueOrDefault(ModelMetadata.ByteTransforms));
        Add("initialised from", m.GetValueOrDefault(ModelMetadata.InitFrom));
        Add("imported from", m.GetValueOrDefault(ModelMetadata.ImportedFrom) is { } weights
            ? weights + (m.GetValueOrDefault(ModelMetadata.CorenetConfig) is { } config ? $" (CoreNet configuration {config})" : "") : null);
        Add("trained with", m.GetValueOrDefault(ModelMetadata.TrainCommand));
        return rows;
    }

    private static JsonObject RecordedJson(LoadedModel loaded) =>
        new(loaded.Metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value)));

    private static void WriteRecorded(IAnsiConsole console, LoadedModel loaded)
    {
        var rows = Recorded(loaded);
        if (rows.Count == 0)
        {
            console.WriteLine("The file records nothing about its training.");
            return;
        }
        var table = new Table().Title("what the file records").AddColumn("what").AddColumn("value");
        foreach (var (what, value) in rows) table.AddRow(Markup.Escape(what), Markup.Escape(value));
        console.Write(table);
    }
}

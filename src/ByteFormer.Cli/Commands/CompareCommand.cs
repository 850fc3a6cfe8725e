using System.CommandLine;
using System.Text.Json;
using ByteFormer.Plotting;
using ByteFormer.Cli.Output;
using ByteFormer.Model;
using ByteFormer.Runs;
using ByteFormer.Training;
using Spectre.Console;

namespace ByteFormer.Cli.Commands;

/// <summary>
/// <c>byteformer compare RUN... [--out PREFIX] [--title T] [--against keep-fraction]</c>: the last epoch of each
/// training run side by side (what it trained on, byte transforms included, epochs, time, test top-1 raw and EMA),
/// as a table, PREFIX.json and a bar plot PREFIX.png: the accuracy-by-encoding figure of docs/results.md comes
/// from it. <c>--against keep-fraction</c> draws accuracy against the privacy camera's keep fraction instead.
/// </summary>
internal static class CompareCommand
{
    /// <summary>One run's final figures.</summary>
    internal sealed record RunSummary(
        string Run, string Label, string Architecture, string? Data, string? Encoding, int Epochs, double TrainMinutes,
        double TrainSamplesPerS, double? TestTop1, double? EmaTestTop1, double KeepFraction);

    public static Command Create(CliIO io)
    {
        var runs = new Argument<string[]>("runs") { Description = "Run folders (as written by 'byteformer train --run-dir')", Arity = ArgumentArity.OneOrMore };
        var force = CommonOptions.ForceOption();
        var output = new Option<string?>("--out") { Description = "Write PREFIX.json and PREFIX.png (default: print the table only)" };
        var title = new Option<string>("--title") { Description = "Plot title", DefaultValueFactory = _ => "Test top-1 by run" };
        var against = new Option<string?>("--against") { Description = "Plot accuracy against keep-fraction (the privacy camera's) instead of bars (default: bars)" };
        against.AcceptOnlyFromAmong("keep-fraction");
        var command = new Command("compare", "Final accuracy of several training runs side by side (table, JSON, bar plot)") { runs, output, title, against, force };
        command.SetAction(parse => ErrorReporter.Guard(io, () =>
        {
            if (parse.GetValue(output) is { } prefix) CommonOptions.RefuseToReplace(parse.GetValue(force), prefix + ".json", prefix + ".png");
            return Run(io, parse.GetValue(runs)!, parse.GetValue(output), parse.GetValue(title)!, parse.GetValue(against) is not null);
        }));
        return command;
    }

    private static int Run(CliIO io, string[] runDirs, string? output, string title, bool againstKeepFraction)
    {
        var rows = runDirs.Select(Summarize).ToList();
        var table = new Table().AddColumn("run").AddColumn("trained on").AddColumn(new TableColumn("epochs").RightAligned())
            .AddColumn(new TableColumn("minutes").RightAligned()).AddColumn(new TableColumn("samples/s").RightAligned())
            .AddColumn(new TableColumn("test top-1").RightAligned()).AddColumn(new TableColumn("EMA top-1").RightAligned());
        foreach (var r in rows)
            table.AddRow(Markup.Escape(r.Run), Markup.Escape(r.Label), $"{r.Epochs}", $"{r.TrainMinutes:F1}", $"{r.TrainSamplesPerS:F0}",
                r.TestTop1 is { } t ? $"{t:P2}" : "-", r.EmaTestTop1 is { } e ? $"{e:P2}" : "-");
        io.Console.Write(table);
        if (output is null) return 0;
        var dir = Path.GetDirectoryName(Path.GetFullPath(output))!;
        Directory.CreateDirectory(dir);
        var json = JsonSerializer.Serialize(rows, new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower });
        AtomicFile.Write(output + ".json", s => s.Write(System.Text.Encoding.UTF8.GetBytes(json + "\n")));
        var plotted = rows.Where(r => r.TestTop1 is not null).Select(r => (r.Label, r.TestTop1!.Value, r.EmaTestTop1)).ToList();
        if (plotted.Count > 0 && againstKeepFraction)
        {
            var points = rows.Where(r => r.TestTop1 is not null).OrderBy(r => r.KeepFraction).ToList();
            var x = points.Select(r => r.KeepFraction).ToArray();
            var series = new List<(string, double[], double[])> { ("test top-1", x, points.Select(r => r.TestTop1!.Value).ToArray()) };
            if (points.All(r => r.EmaTestTop1 is not null)) series.Add(("EMA weights", x, points.Select(r => r.EmaTestTop1!.Value).ToArray()));
            Plots.Curves(series, title, "share of byte positions kept", output + ".png");
        }
        else if (plotted.Count > 0) Plots.AccuracyBars(plotted, title, output + ".png");
        io.Out.WriteLine($"Wrote {output}.json" + (plotted.Count > 0 ? $" and {output}.png" : ""));
        return 0;
    }

    private static RunSummary Summarize(string runDir)
    {
        var folder = new RunFolder(runDir);
        var metricsPath = folder.MetricsPath;
        if (!File.Exists(metricsPath)) throw new ByteFormerException($"{runDir}: no {Trainer.MetricsFileName} (not a run folder, or no epoch finished yet)");
        var lines = File.ReadAllLines(metricsPath).Where(l => l.Trim().Length > 0).ToList();
        if (lines.Count == 0) throw new ByteFormerException($"{metricsPath} is empty: no epoch finished yet");
        JsonElement last;
        try
        {
            last = JsonDocument.Parse(lines[^1]).RootElement;
        }
        catch (JsonException)
        {
            throw new ByteFormerException($"{metricsPath}: its last line is not JSON");
        }
        double? Optional(string name) => last.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;
        var spec = folder.ReadSpec();
        string? data = spec?.Data, encoding = spec?.Encoding;
        var keep = spec?.KeepFraction ?? 1.0;
        // The byte transforms make runs on the same encoding differ: they go into the label.
        var transforms = new List<string>();
        if (spec?.KeepFraction is { } k) transforms.Add($"keep {k:0.###}");
        if (spec?.ShuffleBytes is { } order) transforms.Add(order);
        if (spec?.PermutationKey is not null) transforms.Add("permuted");
        if (spec?.NoiseWidth is { } w) transforms.Add($"noise ±{w:0}");
        var architecture = folder.HoldsRun ? Checkpoint.ReadArchitecture(folder.CheckpointPath) : ModelArchitecture.ByteFormer;
        var source = encoding ?? (data is null ? "?" : Path.GetFileName(Path.TrimEndingDirectorySeparator(data)));
        if (transforms.Count > 0) source += ", " + string.Join(", ", transforms);
        var label = architecture == ModelArchitecture.ByteFormer ? source : $"{architecture} ({source})";
        return new RunSummary(Path.GetFileName(Path.TrimEndingDirectorySeparator(runDir)), label, architecture, data, encoding,
            last.GetProperty("epoch").GetInt32(), last.GetProperty("elapsed_seconds").GetDouble() / 60,
            last.GetProperty("train_samples_per_s").GetDouble(), Optional("test_accuracy"), Optional("ema_test_accuracy"), keep);
    }
}

using System.CommandLine;
using System.Text.Json;
using ByteFormer.Cli.Output;
using ByteFormer.Training;
using Spectre.Console;

namespace ByteFormer.Cli.Commands;

/// <summary>
/// <c>byteformer compare RUN... [--out PREFIX] [--title T]</c>: the last epoch of each training run side by
/// side (what it trained on, epochs, time, test top-1 raw and EMA), as a table, PREFIX.json and a bar plot
/// PREFIX.png: the accuracy-by-encoding figure of docs/results.md comes from it.
/// </summary>
internal static class CompareCommand
{
    /// <summary>One run's final figures.</summary>
    internal sealed record RunSummary(
        string Run, string Label, string Architecture, string? Data, string? Encoding, int Epochs, double TrainMinutes,
        double TrainSamplesPerS, double? TestTop1, double? EmaTestTop1);

    public static Command Create(CliIO io)
    {
        var runs = new Argument<string[]>("runs") { Description = "Run folders (as written by 'byteformer train --run-dir')", Arity = ArgumentArity.OneOrMore };
        var output = new Option<string?>("--out") { Description = "Write PREFIX.json and PREFIX.png" };
        var title = new Option<string>("--title") { Description = "Plot title", DefaultValueFactory = _ => "Test top-1 by run" };
        var command = new Command("compare", "Final accuracy of several training runs side by side (table, JSON, bar plot)") { runs, output, title };
        command.SetAction(parse => ErrorReporter.Guard(io, () => Run(io, parse.GetValue(runs)!, parse.GetValue(output), parse.GetValue(title)!)));
        return command;
    }

    private static int Run(CliIO io, string[] runDirs, string? output, string title)
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
        if (plotted.Count > 0) Plots.AccuracyBars(plotted, title, output + ".png");
        io.Out.WriteLine($"Wrote {output}.json" + (plotted.Count > 0 ? $" and {output}.png" : ""));
        return 0;
    }

    private static RunSummary Summarize(string runDir)
    {
        var metricsPath = Path.Combine(runDir, "metrics.jsonl");
        if (!File.Exists(metricsPath)) throw new ByteFormerException($"{runDir}: no metrics.jsonl (not a run folder, or no epoch finished yet)");
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
        string? data = null, encoding = null;
        var specPath = Path.Combine(runDir, "data.json");
        if (File.Exists(specPath))
        {
            var spec = JsonDocument.Parse(File.ReadAllText(specPath)).RootElement;
            data = spec.TryGetProperty("Data", out var d) ? d.GetString() : null;
            encoding = spec.TryGetProperty("Encoding", out var e) ? e.GetString() : null;
        }
        var checkpoint = Path.Combine(runDir, Checkpoint.FileName);
        var architecture = File.Exists(checkpoint) ? Checkpoint.ReadArchitecture(checkpoint) : "byteformer";
        var source = encoding ?? (data is null ? "?" : Path.GetFileName(Path.TrimEndingDirectorySeparator(data)));
        var label = architecture == "byteformer" ? source : $"{architecture} ({source})";
        return new RunSummary(Path.GetFileName(Path.TrimEndingDirectorySeparator(runDir)), label, architecture, data, encoding,
            last.GetProperty("epoch").GetInt32(), last.GetProperty("elapsed_seconds").GetDouble() / 60,
            last.GetProperty("train_samples_per_s").GetDouble(), Optional("test_accuracy"), Optional("ema_test_accuracy"));
    }
}

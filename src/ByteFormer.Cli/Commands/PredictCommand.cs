using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using ByteFormer.Cli.Output;
using ByteFormer.Inference;
using Spectre.Console;
using TorchSharp;

namespace ByteFormer.Cli.Commands;

/// <summary><c>byteformer predict MODEL FILE... [--json] [--logits] [--top-k K]</c>.</summary>
internal static class PredictCommand
{
    public static Command Create(CliIO io)
    {
        var model = new Argument<string>("model") { Description = "Model file (made by 'byteformer train' or 'byteformer import')" };
        var files = new Argument<string[]>("files") { Description = "Files to classify; '-' reads standard input", Arity = ArgumentArity.OneOrMore };
        var json = new Option<bool>("--json") { Description = "Print a JSON array instead of a table" };
        var logits = new Option<bool>("--logits") { Description = "Include the raw logits" };
        var topK = new Option<int>("--top-k") { Description = "Classes to report per file", DefaultValueFactory = _ => 1 };
        var batchSize = new Option<int>("--batch-size") { Description = "Files per forward pass", DefaultValueFactory = _ => 16 };
        var device = CommonOptions.DeviceOption();
        var command = new Command("predict", "Classify files from their bytes") { model, files, json, logits, topK, batchSize, device };
        command.SetAction(parse => ErrorReporter.Guard(io, () => Run(io, parse.GetValue(model)!, parse.GetValue(files)!,
            parse.GetValue(json), parse.GetValue(logits), parse.GetValue(topK), parse.GetValue(batchSize), parse.GetValue(device))));
        return command;
    }

    private static int Run(CliIO io, string modelPath, string[] files, bool asJson, bool withLogits, int topK, int batchSize, ComputeDevice device)
    {
        if (topK < 1) throw new ByteFormerException($"--top-k must be at least 1, got {topK}");
        if (batchSize < 1) throw new ByteFormerException($"--batch-size must be at least 1, got {batchSize}");
        var target = CommonOptions.Resolve(device);
        var loaded = ModelFile.Load(modelPath);
        using var _ = loaded.Model;
        loaded.Model.to(target);
        var predictor = new Predictor(loaded.Model, loaded.Labels, batchSize, target);

        var inputs = new List<ByteInput>();
        var failed = 0;
        foreach (var file in files)
        {
            try
            {
                inputs.Add(file == "-"
                    ? predictor.ReadStream(Console.OpenStandardInput(), "-")
                    : predictor.ReadFile(file));
            }
            catch (ByteFormerException e)
            {
                io.Error(e.Message);                                                // reported; the rest go on
                failed++;
            }
        }
        var predictions = inputs.Count > 0 ? predictor.Predict(inputs, topK) : [];
        if (asJson) WriteJson(io, predictions, withLogits);
        else if (predictions.Count > 0) WriteTable(io, predictions, withLogits, topK);
        return failed == 0 ? 0 : ErrorReporter.Failure;
    }

    private static void WriteJson(CliIO io, IReadOnlyList<Prediction> predictions, bool withLogits)
    {
        var array = new JsonArray();
        foreach (var p in predictions)
        {
            var row = new JsonObject
            {
                ["file"] = p.Input.Name,
                ["label"] = p.Best.Label,
                ["index"] = p.Best.Index,
                ["score"] = p.Best.Probability,
                ["top"] = new JsonArray(p.Top.Select(s => (JsonNode)new JsonObject
                    { ["label"] = s.Label, ["index"] = s.Index, ["score"] = s.Probability }).ToArray()),
                ["bytes_read"] = p.Input.Bytes.Length,
                ["file_bytes"] = p.Input.OriginalLength,
            };
            if (p.Note is not null) row["note"] = p.Note;
            if (withLogits) row["logits"] = new JsonArray(p.Logits.Select(l => (JsonNode)l).ToArray());
            array.Add(row);
        }
        io.Out.WriteLine(array.ToJsonString(new JsonSerializerOptions { WriteIndented = false }));
    }

    private static void WriteTable(CliIO io, IReadOnlyList<Prediction> predictions, bool withLogits, int topK)
    {
        var table = new Table().AddColumn("file").AddColumn("class").AddColumn(new TableColumn("score").RightAligned());
        if (topK > 1) table.AddColumn("top classes");
        if (withLogits) table.AddColumn("logits");
        table.AddColumn("note");
        foreach (var p in predictions)
        {
            var cells = new List<string> { Markup.Escape(p.Input.Name), Markup.Escape(p.Best.Label), $"{p.Best.Probability:0.000}" };
            if (topK > 1) cells.Add(Markup.Escape(string.Join(", ", p.Top.Select(s => $"{s.Label} {s.Probability:0.000}"))));
            if (withLogits) cells.Add(string.Join(" ", p.Logits.Select(l => l.ToString("0.0000"))));
            cells.Add(Markup.Escape(p.Note ?? ""));
            table.AddRow(cells.ToArray());
        }
        io.Console.Write(table);
    }
}

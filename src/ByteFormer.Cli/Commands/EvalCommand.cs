using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using ByteFormer.Plotting;
using ByteFormer.Cli.Output;
using ByteFormer.Data;
using ByteFormer.Data.Speech;
using ByteFormer.Inference;
using ByteFormer.Runs;
using ByteFormer.Training;
using Spectre.Console;
using TorchSharp;

namespace ByteFormer.Cli.Commands;

/// <summary><c>byteformer eval MODEL DIR [--json] [--report DIR]</c>: accuracy on files laid out as DIR/&lt;class&gt;/*.</summary>
internal static class EvalCommand
{
    public static Command Create(CliIO io)
    {
        var model = new Argument<string>("model") { Description = BundledModel.Describe("Model file, an ONNX model ('byteformer export --format onnx')") };
        var data = new Argument<string>("data") { Description = "Folder of DIR/<class>/<files> (class names must be the model's labels), a Speech Commands folder, or 'fashion-mnist' (its test set)" };
        var json = new Option<bool>("--json") { Description = "Print one JSON object (with the confusion matrix)" };
        var report = new Option<string?>("--report") { Description = "Also write eval.json and confusion.png into this folder (default: none)" };
        var batchSize = new Option<int>("--batch-size") { Description = "Files per forward pass", DefaultValueFactory = _ => 128 };
        var split = new Option<string>("--split") { Description = "Speech Commands folder: test, validation or train", DefaultValueFactory = _ => "test" };
        split.AcceptOnlyFromAmong("test", "validation", "train");
        var encoding = new Option<string?>("--encoding") { Description = "fashion-mnist or a Speech Commands folder: the encoding of the files (default: the one the model was trained on)" };
        var limit = new Option<int?>("--limit") { Description = "Evaluate only N files: Fashion-MNIST's first N, or N spread over every class of a folder or Speech Commands set (default: all)" };
        var key = CommonOptions.KeyOption();
        var prePermuted = CommonOptions.PrePermutedOption();
        var threads = CommonOptions.ThreadsOption();
        var device = CommonOptions.DeviceOption();
        var force = CommonOptions.ForceOption();
        var writers = new Option<string?>("--writers") { Description = "fashion-mnist: write the test images with these image writers (one drawn per image) in place of --encoding (default: none)" };
        var metadataBytes = new Option<int?>("--metadata-bytes") { Description = "With --writers: insert exactly this many bytes of valid metadata before the pixels of every file (default: none)" };
        var byVoice = new Option<bool>("--by-voice") { Description = "A synthesized Speech Commands set: top-1 per voice too (each recorded voice, espeak-ng's together; from its voices.tsv)" };
        var command = new Command("eval", "Top-1, top-5, per-class accuracy and confusion matrix on a folder of files (or a Speech Commands set)")
        {
            model, data, json, report, batchSize, split, encoding, limit, key, prePermuted, byVoice, threads, writers, metadataBytes, device, force,
        };
        command.SetAction(parse => ErrorReporter.Guard(io, () =>
        {
            if (parse.GetValue(report) is { } folder)
                CommonOptions.RefuseToReplace(parse.GetValue(force), Path.Combine(folder, "eval.json"), Path.Combine(folder, "confusion.png"));
            return CommonOptions.WithThreads(parse.GetValue(threads), () => Run(io,
                parse.GetValue(model)!, parse.GetValue(data)!, parse.GetValue(json), parse.GetValue(report), parse.GetValue(batchSize),
                parse.GetValue(split)!, parse.GetValue(encoding), parse.GetValue(key), parse.GetValue(prePermuted), parse.GetValue(limit),
                parse.GetValue(byVoice), parse.GetValue(writers), parse.GetValue(metadataBytes), parse.GetValue(device)!));
        }));
        return command;
    }

    private static int Run(CliIO io, string modelPath, string dataDir, bool asJson, string? reportDir, int batchSize, string split, string? encodingName,
        string? key, bool prePermuted, int? limit, bool byVoice, string? writers, int? metadataBytes, string deviceName)
    {
        var device = CommonOptions.Resolve(deviceName);
        if (byVoice && !(Directory.Exists(dataDir) && SpeechCommandsDataset.IsSpeechCommands(dataDir)))
            throw new ByteFormerException("--by-voice is for a Speech Commands folder made by 'byteformer data speech-synth'");
        if (byVoice && !File.Exists(Path.Combine(dataDir, "voices.tsv")))
            throw new ByteFormerException($"--by-voice needs {Path.Combine(dataDir, "voices.tsv")}, which 'byteformer data speech-synth' writes");
        if (byVoice && limit is not null) throw new ByteFormerException("--by-voice takes the whole split: leave out --limit");
        if (limit is < 1) throw new ByteFormerException($"--limit must be at least 1, got {limit}");
        if (batchSize < 1) throw new ByteFormerException($"--batch-size must be at least 1, got {batchSize}");
        // A model file or an ONNX model, with its input contract (key, byte transforms) enforced alike.
        using var predictor = Predictors.Open(BundledModel.Resolve(modelPath), new PredictorOptions
        {
            Key = CommonOptions.LoadKey(key), PrePermuted = prePermuted, BatchSize = batchSize, Device = device,
        });
        var (dataset, speechSet, notes) = DataSource.OpenEvaluation(dataDir, predictor, encodingName, split, limit,
            writers: writers, metadataBytes: metadataBytes);
        foreach (var note in notes) io.Err.WriteLine($"byteformer: {note}");
        var evaluated = TransformedDataset.Wrap(dataset, predictor.Transforms, 0);
        // TorchSharp keeps its evaluator (data read ahead on another thread); any other backend goes through the predictor.
        var result = predictor is TorchPredictor torch
            ? Evaluator.Evaluate(torch.Model, evaluated, batchSize, device: device)
            : PredictorEvaluator.Evaluate(predictor, evaluated, batchSize);
        var node = ToJson(modelPath, dataDir, result);
        var voices = byVoice ? ByVoice(result, speechSet!, dataset, Path.Combine(dataDir, "voices.tsv")) : null;
        if (voices is not null)
            node["by_voice"] = new JsonArray(voices.Select(v => (JsonNode)new JsonObject { ["voice"] = v.Voice, ["clips"] = v.Clips, ["top1"] = v.Top1 }).ToArray());
        if (reportDir is not null)
        {
            Directory.CreateDirectory(reportDir);
            var text = node.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
            AtomicFile.Write(Path.Combine(reportDir, "eval.json"), s => s.Write(System.Text.Encoding.UTF8.GetBytes(text)));
            Plots.ConfusionMatrix(result.Confusion, result.ClassNames, Path.Combine(reportDir, "confusion.png"));
        }
        if (asJson)
        {
            io.Out.WriteLine(node.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            return 0;
        }
        // Top-5 says something only where there are more than five classes to choose from.
        var top5 = result.ClassNames.Count > 5 ? $", top-5 {result.Top5:P2}" : "";
        io.Console.WriteLine($"{result.Samples:N0} files: top-1 {result.Top1:P2}{top5}, loss {result.Loss:F4}, {result.SamplesPerS:F0} files/s");
        var table = new Table().AddColumn("class").AddColumn(new TableColumn("files").RightAligned()).AddColumn(new TableColumn("accuracy").RightAligned());
        for (var c = 0; c < result.ClassNames.Count; c++)
            table.AddRow(Markup.Escape(result.ClassNames[c]), $"{result.Confusion[c].Sum()}", double.IsNaN(result.PerClassAccuracy[c]) ? "-" : $"{result.PerClassAccuracy[c]:P1}");
        io.Console.Write(table);
        if (voices is not null)
        {
            var byVoiceTable = new Table().AddColumn("voice").AddColumn(new TableColumn("files").RightAligned()).AddColumn(new TableColumn("top-1").RightAligned());
            foreach (var v in voices) byVoiceTable.AddRow(Markup.Escape(v.Voice), $"{v.Clips}", $"{v.Top1:P1}");
            io.Console.Write(byVoiceTable);
        }
        if (reportDir is not null) io.Console.WriteLine($"Report: {Path.Combine(reportDir, "eval.json")}, {Path.Combine(reportDir, "confusion.png")}");
        return 0;
    }

    /// <summary>Top-1 per voice of a synthesized set: each recorded voice apart, espeak-ng's voices together, silence
    /// apart. <paramref name="evaluated"/> is the set in the model's label space, item for item.</summary>
    private static List<(string Voice, int Clips, double Top1)> ByVoice(EvalResult result, SpeechCommandsDataset set, IByteDataset evaluated, string voicesFile)
    {
        var voiceOf = new Dictionary<string, (string Engine, string Name)>();
        foreach (var line in File.ReadLines(voicesFile).Skip(1))
        {
            var f = line.Split('\t');
            if (f.Length >= 3) voiceOf[f[0]] = (f[1], f[2]);
        }
        var espeakVoices = new HashSet<string>();
        var groups = new Dictionary<string, (int Clips, int Hits)>();
        for (var i = 0; i < result.Predicted.Length; i++)
        {
            string group;
            if (set.Speaker(i) is not { } speaker) group = SpeechCommandsWords.Silence + " (background noise)";
            else if (!voiceOf.TryGetValue(speaker, out var v)) group = "not in voices.tsv";
            else if (v.Engine == "espeak-ng") { group = "espeak-ng"; espeakVoices.Add(speaker); }
            else group = $"{v.Engine} {v.Name}";
            var (clips, hits) = groups.GetValueOrDefault(group);
            groups[group] = (clips + 1, hits + (result.Predicted[i] == evaluated.Label(i) ? 1 : 0));
        }
        return groups.OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => (g.Key == "espeak-ng" ? $"espeak-ng ({espeakVoices.Count} voices)" : g.Key, g.Value.Clips, (double)g.Value.Hits / g.Value.Clips)).ToList();
    }

    private static JsonObject ToJson(string model, string data, EvalResult r) => new()
    {
        ["model"] = model,
        ["data"] = data,
        ["samples"] = r.Samples,
        ["top1"] = r.Top1,
        ["top5"] = r.ClassNames.Count > 5 ? r.Top5 : null,
        ["loss"] = r.Loss,
        ["samples_per_s"] = r.SamplesPerS,
        ["classes"] = new JsonArray(r.ClassNames.Select(c => (JsonNode)c).ToArray()),
        ["per_class_accuracy"] = new JsonArray(r.PerClassAccuracy.Select(a => (JsonNode?)(double.IsNaN(a) ? null : a)).ToArray()),
        ["confusion"] = new JsonArray(r.Confusion.Select(row => (JsonNode)new JsonArray(row.Select(v => (JsonNode)v).ToArray())).ToArray()),
    };
}

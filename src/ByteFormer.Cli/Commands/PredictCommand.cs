using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using ByteFormer.Cli.Output;
using ByteFormer.Data;
using ByteFormer.Inference;
using Spectre.Console;

namespace ByteFormer.Cli.Commands;

/// <summary><c>byteformer predict MODEL FILE... [--json] [--logits] [--top-k K]</c>.</summary>
internal static class PredictCommand
{
    public static Command Create(CliIO io)
    {
        var model = new Argument<string>("model") { Description = BundledModel.Describe("Model file (made by 'byteformer train' or 'byteformer import'), an ONNX model ('byteformer export --format onnx')") };
        var files = new Argument<string[]>("files") { Description = "Files to classify; '-' reads standard input", Arity = ArgumentArity.OneOrMore };
        var json = new Option<bool>("--json") { Description = "Print a JSON array instead of a table" };
        var jsonl = new Option<bool>("--jsonl") { Description = "Print one JSON object per line, as results come" };
        var recursive = new Option<bool>("--recursive", "-r") { Description = "Classify the files in folders given, and in their sub-folders" };
        var logits = new Option<bool>("--logits") { Description = "Include the raw logits" };
        var topK = new Option<int>("--top-k") { Description = "Classes to report per file", DefaultValueFactory = _ => 1 };
        var batchSize = new Option<int>("--batch-size") { Description = "Files per forward pass", DefaultValueFactory = _ => 16 };
        var device = CommonOptions.DeviceOption();
        var threads = CommonOptions.ThreadsOption($"1 for up to {FewFiles} files, where it gives the lowest latency; else one per core");
        var key = CommonOptions.KeyOption();
        var prePermuted = CommonOptions.PrePermutedOption();
        var command = new Command("predict", "Classify files from their bytes")
        {
            model, files, json, jsonl, recursive, logits, topK, batchSize, device, threads, key, prePermuted,
        };
        command.SetAction(parse => ErrorReporter.Guard(io, () =>
        {
            var entries = parse.GetValue(files)!;
            // A few small files: a second intra-op thread costs more in wake-ups than it saves (measured in
            // docs/performance.md: 1.8 ms against 3.3 ms for one Fashion-MNIST file), so use one unless told.
            var chosen = parse.GetValue(threads) ?? (entries.Length <= FewFiles && !entries.Any(Directory.Exists) ? 1 : null);
            return CommonOptions.WithThreads(chosen, () => Run(io, parse.GetValue(model)!, entries,
                parse.GetValue(json) ? Format.Json : parse.GetValue(jsonl) ? Format.JsonLines : Format.Table, parse.GetValue(recursive),
                parse.GetValue(logits), parse.GetValue(topK), parse.GetValue(batchSize), parse.GetValue(device)!,
                parse.GetValue(key), parse.GetValue(prePermuted), chosen));
        }));
        return command;
    }

    private enum Format { Table, Json, JsonLines }

    /// <summary>Up to this many files (no folders), predict runs on one intra-op thread by default.</summary>
    private const int FewFiles = 4;

    /// <summary>Files as given; folders expand to their files (sorted) with -r, else are an error for that entry.</summary>
    private static IEnumerable<string> Expand(CliIO io, string[] entries, bool recursive, Action fail)
    {
        foreach (var entry in entries)
        {
            if (entry != "-" && Directory.Exists(entry))
            {
                if (!recursive)
                {
                    io.Error($"{entry}: is a folder (use -r to classify the files in it)");
                    fail();
                    continue;
                }
                var any = false;
                foreach (var f in FileWalker.Files(entry, note => io.Err.WriteLine($"byteformer: {note}")).Order(StringComparer.Ordinal))
                {
                    any = true;
                    yield return f;
                }
                if (!any)
                {
                    io.Error($"{entry}: holds no files");
                    fail();
                }
                continue;
            }
            yield return entry;
        }
    }

    private static int Run(CliIO io, string modelPath, string[] entries, Format format, bool recursive, bool withLogits, int topK, int batchSize, string device,
        string? key, bool prePermuted, int? threads)
    {
        if (topK < 1) throw new ByteFormerException($"--top-k must be at least 1, got {topK}");
        if (batchSize < 1) throw new ByteFormerException($"--batch-size must be at least 1, got {batchSize}");
        var target = CommonOptions.Resolve(device);
        // The model's input contract (byte transforms, key, the audio format a keyword model expects) is the library's,
        // the same for a model file (TorchSharp) and an ONNX model (ONNX Runtime).
        using var predictor = Predictors.Open(BundledModel.Resolve(modelPath), new PredictorOptions
        {
            Key = CommonOptions.LoadKey(key), PrePermuted = prePermuted, BatchSize = batchSize, Device = target, Threads = threads,
        });

        var failed = 0;
        var files = Expand(io, entries, recursive, () => failed++).ToList();
        // Bounded memory: files are read, classified and reported a chunk at a time, and each file
        // contributes at most the byte budget.
        const int chunk = 1024;
        var all = new List<Prediction>();
        var errors = new List<JsonObject>();
        for (var start = 0; start < files.Count; start += chunk)
        {
            var inputs = new List<ByteInput>();
            foreach (var file in files.Skip(start).Take(chunk))
            {
                try
                {
                    inputs.Add(file == "-" ? predictor.ReadStream(Console.OpenStandardInput(), "-") : predictor.ReadFile(file));
                }
                catch (ByteFormerException e)
                {
                    io.Error(e.Message);                                            // reported; the rest go on
                    failed++;
                    var error = new JsonObject { ["file"] = file, ["error"] = e.Message };
                    if (format == Format.JsonLines) io.Out.WriteLine(error.ToJsonString());
                    else errors.Add(error);
                }
            }
            if (inputs.Count == 0) continue;
            var part = predictor.Predict(inputs, topK);
            if (format == Format.JsonLines)
                foreach (var p in part) io.Out.WriteLine(ToJson(p, withLogits).ToJsonString());
            else all.AddRange(part);
        }
        if (format == Format.Json)
            io.Out.WriteLine(new JsonArray(all.Select(p => (JsonNode)ToJson(p, withLogits)).Concat(errors).ToArray()).ToJsonString());
        else if (format == Format.Table && all.Count + errors.Count > 0)
        {
            WriteTable(io, all, errors, withLogits, topK);
            if (NamedScore(all, predictor.Labels) is { } score) io.Out.WriteLine(score);
        }
        return failed == 0 ? 0 : ErrorReporter.Failure;
    }

    /// <summary>
    /// The class a file's path names, for files laid out as samples are (<c>…/bag.tiff</c>) or as data sets are
    /// (<c>…/bag/0001.tiff</c>), and the folder it is counted in (the one above the class); null when no label is named.
    /// </summary>
    internal static (string Label, string Group)? NamedClass(string path, IReadOnlyList<string> labels)
    {
        var parts = path.Replace('\\', '/').Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0) return null;
        var stem = Path.GetFileNameWithoutExtension(parts[^1]);
        string Folder(int fromEnd) => parts.Length > fromEnd ? parts[^(fromEnd + 1)] : ".";
        if (labels.Contains(stem)) return (stem, Folder(1));
        if (parts.Length > 1 && labels.Contains(parts[^2])) return (parts[^2], Folder(2));
        return null;
    }

    /// <summary>"N of M files named for a class are right", by folder, when the files name their classes (the bundled samples do).</summary>
    internal static string? NamedScore(IReadOnlyList<Prediction> predictions, IReadOnlyList<string> labels)
    {
        var named = predictions.Select(p => (p, named: NamedClass(p.Input.Name, labels))).Where(x => x.named is not null).ToList();
        if (named.Count == 0) return null;
        var right = named.Count(x => x.p.Best.Label == x.named!.Value.Label);
        var groups = named.GroupBy(x => x.named!.Value.Group).Select(g => $"{g.Key} {g.Count(x => x.p.Best.Label == x.named!.Value.Label)}/{g.Count()}");
        return $"{right} of {named.Count} files named for their class are right ({100.0 * right / named.Count:0.#}%): {string.Join(", ", groups)}";
    }

    private static JsonObject ToJson(Prediction p, bool withLogits)
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
        return row;
    }

    private static void WriteTable(CliIO io, IReadOnlyList<Prediction> predictions, IReadOnlyList<JsonObject> errors, bool withLogits, int topK)
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
        foreach (var e in errors)
        {
            var cells = new List<string> { Markup.Escape(e["file"]!.GetValue<string>()), "-", "" };
            if (topK > 1) cells.Add("");
            if (withLogits) cells.Add("");
            cells.Add(Markup.Escape("error: " + e["error"]!.GetValue<string>()));
            table.AddRow(cells.ToArray());
        }
        io.Console.Write(table);
    }
}

using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ByteFormer.Plotting;
using ByteFormer.Cli.Output;
using ByteFormer.Codecs;
using ByteFormer.Data;
using ByteFormer.Inference;
using ByteFormer.Robustness;
using ByteFormer.Training;
using Spectre.Console;

namespace ByteFormer.Cli.Commands;

/// <summary>
/// <c>byteformer damage MODEL [--baseline PIXEL_MODEL]</c>: Fashion-MNIST test accuracy when files are cut short or
/// have bytes changed, from the bytes and (with a pixel model) by decode-then-classify.
/// </summary>
internal static class DamageCommand
{
    public static Command Create(CliIO io)
    {
        var model = new Argument<string>("model") { Description = "Byte model trained on Fashion-MNIST files" };
        var baseline = new Option<string?>("--baseline") { Description = "Pixel model (trained on fhwc pixels, e.g. --architecture pixel-vit) for decode-then-classify (default: the byte model alone)" };
        var encoding = new Option<string?>("--encoding") { Description = "Encoding of the test files (default: the model's own)" };
        var cut = new Option<string>("--cut") { Description = "Shares of each file's bytes that arrive (comma-separated)", DefaultValueFactory = _ => "1,0.99,0.95,0.9,0.75,0.5,0.25" };
        var flip = new Option<string>("--flip") { Description = "Shares of each file's bytes changed (comma-separated)", DefaultValueFactory = _ => "0,0.001,0.005,0.01,0.02,0.05,0.1" };
        var testLimit = new Option<int?>("--test-limit") { Description = "Use only the first N test images (default: all 10,000)" };
        var source = new Option<string>("--source") { Description = "Where Debian's dataset-fashion-mnist is", DefaultValueFactory = _ => FashionMnist.DefaultRoot };
        var force = CommonOptions.ForceOption();
        var output = new Option<string?>("--out") { Description = "Write PREFIX.json, PREFIX-cut.png and PREFIX-flip.png (default: print the table only)" };
        var json = new Option<bool>("--json") { Description = "Print one JSON object" };
        var key = CommonOptions.KeyOption();
        var threads = CommonOptions.ThreadsOption();
        var command = new Command("damage", "Accuracy on damaged files (cut short, bytes changed): byte model against decode-then-classify")
        {
            model, baseline, encoding, cut, flip, testLimit, source, output, json, key, threads, force,
        };
        command.SetAction(parse => ErrorReporter.Guard(io, () =>
        {
            if (parse.GetValue(output) is { } prefix)
                CommonOptions.RefuseToReplace(parse.GetValue(force), prefix + ".json", prefix + "-cut.png", prefix + "-flip.png");
            return CommonOptions.WithThreads(parse.GetValue(threads), () => Run(io,
                parse.GetValue(model)!, parse.GetValue(baseline), parse.GetValue(encoding), Levels(parse.GetValue(cut)!, "--cut"),
                Levels(parse.GetValue(flip)!, "--flip"), parse.GetValue(testLimit), parse.GetValue(source)!, parse.GetValue(output),
                parse.GetValue(json), parse.GetValue(key)));
        }));
        return command;
    }

    private static double[] Levels(string text, string option)
    {
        var levels = new List<double>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!double.TryParse(part, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || v is < 0 or > 1)
                throw new ByteFormerException($"{option}: '{part}' is not a share between 0 and 1");
            levels.Add(v);
        }
        return [.. levels];
    }

    private static int Run(CliIO io, string modelPath, string? baselinePath, string? encodingName, double[] cuts, double[] flips,
        int? testLimit, string source, string? output, bool asJson, string? key)
    {
        if (cuts.Any(c => c == 0)) throw new ByteFormerException("--cut: a share of 0 leaves no bytes (the smallest cut keeps one byte)");
        using var loaded = ModelFile.Load(modelPath);
        var encoding = encodingName is not null ? FileEncodings.Parse<ImageEncoding>(encodingName, EncodingKind.Image)
            : loaded.Contract.Encodings.For(EncodingKind.Image) as ImageEncoding
              ?? throw new ByteFormerException($"{modelPath} does not name one image encoding it was trained on: give --encoding");
        var transforms = loaded.Contract.Transforms(CommonOptions.LoadKey(key));
        LoadedModel? pixel = null;
        if (baselinePath is not null)
        {
            pixel = ModelFile.Load(baselinePath);
            if (pixel.Contract.Encodings.For(EncodingKind.Image) is not ImageEncoding { IsRawPixels: true })
            {
                pixel.Dispose();
                throw new ByteFormerException($"{baselinePath}: the baseline must be a model of decoded pixels (trained with --encoding fhwc)");
            }
        }
        using var __ = pixel;
        var test = FashionMnist.Load("test", source, testLimit);
        if (!test.ClassNames.SequenceEqual(loaded.Labels)) throw new ByteFormerException($"{modelPath}: its classes are not Fashion-MNIST's");
        var damages = cuts.Select(c => new FileDamage(DamageKind.Cut, c)).Concat(flips.Select(f => new FileDamage(DamageKind.Flip, f))).ToList();
        var points = DamageExperiment.Run(loaded.Model, transforms, pixel?.Model, test, encoding, damages,
            progress: asJson ? null : d => io.Err.WriteLine($"  {d} ..."));

        var node = new JsonObject
        {
            ["model"] = modelPath,
            ["baseline"] = baselinePath,
            ["encoding"] = encoding.ToString(),
            ["files"] = test.Images.Count,
            ["points"] = new JsonArray(points.Select(p => (JsonNode)new JsonObject
            {
                ["damage"] = p.Kind.ToString().ToLowerInvariant(),
                ["fraction"] = p.Fraction,
                ["byte_model_top1"] = p.ByteModelTop1,
                ["baseline_top1"] = p.BaselineTop1,
                ["decoded_share"] = p.DecodedShare,
            }).ToArray()),
        };
        if (output is not null)
        {
            var folder = Path.GetDirectoryName(Path.GetFullPath(output))!;
            Directory.CreateDirectory(folder);
            var text = node.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
            AtomicFile.Write(output + ".json", s => s.Write(System.Text.Encoding.UTF8.GetBytes(text)));
            foreach (var kind in new[] { DamageKind.Cut, DamageKind.Flip })
            {
                var rows = points.Where(p => p.Kind == kind).ToList();
                if (rows.Count == 0) continue;
                double X(DamagePoint p) => p.Fraction * 100;
                var series = new List<(string, double[], double[])> { ($"ByteFormer on {encoding} bytes", rows.Select(X).ToArray(), rows.Select(p => p.ByteModelTop1).ToArray()) };
                if (pixel is not null)
                    series.Add(("decode, then pixel model", rows.Select(X).ToArray(), rows.Select(p => p.BaselineTop1 ?? 0).ToArray()));
                Plots.Curves(series, $"Fashion-MNIST {encoding}: " + (kind == DamageKind.Cut ? "files cut short" : "bytes changed"),
                    kind == DamageKind.Cut ? "share of the file's bytes that arrive (%)" : "share of bytes changed (%)",
                    $"{output}-{kind.ToString().ToLowerInvariant()}.png");
            }
        }
        if (asJson)
        {
            io.Out.WriteLine(node.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            return 0;
        }
        var table = new Table().AddColumn("damage").AddColumn(new TableColumn("byte model").RightAligned());
        if (pixel is not null) table.AddColumn(new TableColumn("decode + pixel model").RightAligned()).AddColumn(new TableColumn("decoded").RightAligned());
        foreach (var p in points)
        {
            var cells = new List<string> { Markup.Escape(new FileDamage(p.Kind, p.Fraction).ToString()), $"{p.ByteModelTop1:P2}" };
            if (pixel is not null) cells.AddRange([$"{p.BaselineTop1:P2}", $"{p.DecodedShare:P1}"]);
            table.AddRow(cells.ToArray());
        }
        io.Console.WriteLine($"{test.Images.Count:N0} Fashion-MNIST test images as {encoding}");
        io.Console.Write(table);
        return 0;
    }
}

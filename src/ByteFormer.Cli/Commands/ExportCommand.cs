using System.CommandLine;
using ByteFormer.Cli.Output;
using ByteFormer.Inference;
using ByteFormer.Onnx;
using ByteFormer.Runs;
using ByteFormer.Training;

namespace ByteFormer.Cli.Commands;

/// <summary>
/// <c>byteformer export RUN [--weights raw|ema] --out MODEL</c>: a model file from a run's last checkpoint, by default
/// with the weights training chose (the better of raw and EMA on the validation split), so train and export agree.
/// <c>--format onnx</c> writes an ONNX model instead, from a model file or a run folder (with the same weights).
/// </summary>
internal static class ExportCommand
{
    private static readonly string[] Formats = ["model", "onnx"];

    public static Command Create(CliIO io)
    {
        var run = new Argument<string>("run") { Description = "Run folder (with checkpoint.zip and model.safetensors); with --format onnx also a model file" };
        var weights = new Option<string?>("--weights") { Description = "raw or ema, for a run folder (default: the weights training saved, the better of the two on its validation split)" };
        weights.AcceptOnlyFromAmong("raw", "ema");
        var format = new Option<string>("--format") { Description = "model (a model file) or onnx (an ONNX model for ONNX Runtime)", DefaultValueFactory = _ => "model" };
        var output = new Option<string>("--out") { Description = "File to write", Required = true };
        var force = CommonOptions.ForceOption();
        var command = new Command("export", "Write a model file from a run's checkpoint, with its raw or its EMA weights, or an ONNX model")
        {
            run, weights, format, output, force,
        };
        command.SetAction(parse => ErrorReporter.Guard(io, () =>
        {
            var chosen = parse.GetValue(format)!;
            if (!Formats.Contains(chosen))
                throw new ByteFormerException($"--format must be one of {string.Join(", ", Formats)}, got '{chosen}'");
            var path = parse.GetValue(output)!;
            CommonOptions.RefuseToReplace(parse.GetValue(force), path);
            var source = parse.GetValue(run)!;
            if (chosen == "onnx") return ExportOnnx(io, source, parse.GetValue(weights), path);

            using var fromRun = RunModel(new RunFolder(source), parse.GetValue(weights));
            ModelFile.Save(path, fromRun.Loaded.Model, fromRun.Loaded.Labels, fromRun.Loaded.Metadata);
            io.Out.WriteLine($"Wrote {path} ({fromRun.Description})");
            return 0;
        }));
        return command;
    }

    /// <summary>A run's model with the weights chosen, its metadata as the export writes it, and what they are in words.</summary>
    private sealed record RunWeights(LoadedModel Loaded, string Description) : IDisposable
    {
        public void Dispose() => Loaded.Dispose();
    }

    private static RunWeights RunModel(RunFolder folder, string? weights)
    {
        if (!folder.IsFinished) throw new ByteFormerException($"{folder.Path} holds no finished run (no {RunFolder.ModelFileName})");
        var loaded = ModelFile.Load(folder.ModelPath);
        try
        {
            // Runs from before the choice existed saved their EMA weights whenever EMA was on.
            // (The checkpoint is opened only for such an older run.)
            var saved = loaded.Metadata.TryGetValue(ModelMetadata.Weights, out var recorded) ? recorded
                : Checkpoint.ReadHeader(folder.CheckpointPath).Options.EmaMomentum > 0 ? "ema" : "raw";
            var ema = (weights ?? saved) == "ema";
            Checkpoint.LoadWeights(folder.CheckpointPath, loaded.Model, ema);
            // The run's figures belong to the weights they were measured on, so they go only with those weights.
            var same = (ema ? "ema" : "raw") == saved;
            var metadata = loaded.Metadata.Where(kv => same || !(kv.Key.StartsWith(ModelMetadata.TestTop1, StringComparison.Ordinal) || kv.Key == ModelMetadata.WeightsChoice))
                .ToDictionary(kv => kv.Key, kv => kv.Value);
            metadata[ModelMetadata.Weights] = ema ? "ema" : "raw";
            return new RunWeights(loaded with { Metadata = metadata },
                $"{(ema ? "EMA" : "raw")} weights of {folder.Path}{(same ? ", the ones training saved" : "")}");
        }
        catch
        {
            loaded.Dispose();
            throw;
        }
    }

    /// <summary>A model file, or a run folder's model with the weights chosen, as an ONNX model.</summary>
    private static int ExportOnnx(CliIO io, string source, string? weights, string path)
    {
        using var model = Directory.Exists(source)
            ? RunModel(new RunFolder(source), weights)
            : new RunWeights(ModelFile.Load(BundledModel.Resolve(source)), source);
        OnnxExporter.Export(model.Loaded, path, overwrite: true);                       // --force was checked above
        io.Out.WriteLine($"Wrote {path} (ONNX opset {OnnxExporter.Opset}, {new FileInfo(path).Length:N0} bytes, from {model.Description})");
        return 0;
    }
}

using System.CommandLine;
using ByteFormer.Cli.Output;
using ByteFormer.Inference;
using ByteFormer.Onnx;
using ByteFormer.Runs;
using ByteFormer.Training;

namespace ByteFormer.Cli.Commands;

/// <summary>
/// <c>byteformer export RUN --weights raw|ema --out MODEL</c>: a model file from a run's last checkpoint with the
/// weights chosen (training writes the EMA weights when EMA is on). <c>--format onnx</c> writes an ONNX model
/// instead, from a model file or a run folder.
/// </summary>
internal static class ExportCommand
{
    private static readonly string[] Formats = ["model", "onnx"];

    public static Command Create(CliIO io)
    {
        var run = new Argument<string>("run") { Description = "Run folder (with checkpoint.zip and model.safetensors); with --format onnx also a model file" };
        var weights = new Option<string>("--weights") { Description = "raw or ema (for a run folder)", DefaultValueFactory = _ => "raw" };
        weights.AcceptOnlyFromAmong("raw", "ema");
        var format = new Option<string>("--format") { Description = "model (a model file, the default) or onnx (an ONNX model for ONNX Runtime)", DefaultValueFactory = _ => "model" };
        var force = new Option<bool>("--force") { Description = "With --format onnx: replace --out if it exists" };
        var output = new Option<string>("--out") { Description = "File to write", Required = true };
        var command = new Command("export", "Write a model file from a run's checkpoint, with its raw or its EMA weights, or an ONNX model")
        {
            run, weights, format, force, output,
        };
        command.SetAction(parse => ErrorReporter.Guard(io, () =>
        {
            var chosen = parse.GetValue(format)!;
            if (!Formats.Contains(chosen))
                throw new ByteFormerException($"--format must be one of {string.Join(", ", Formats)}, got '{chosen}'");
            var source = parse.GetValue(run)!;
            var ema = parse.GetValue(weights) == "ema";
            var path = parse.GetValue(output)!;
            if (chosen == "onnx") return ExportOnnx(io, source, ema, path, parse.GetValue(force));

            var folder = new RunFolder(source);
            if (!folder.IsFinished) throw new ByteFormerException($"{folder.Path} holds no finished run (no {RunFolder.ModelFileName})");
            using var loaded = ModelFile.Load(folder.ModelPath);
            Checkpoint.LoadWeights(folder.CheckpointPath, loaded.Model, ema);
            ModelFile.Save(path, loaded.Model, loaded.Labels, RunMetadata(loaded, ema));
            io.Out.WriteLine($"Wrote {path} ({(ema ? "EMA" : "raw")} weights of {folder.Path})");
            return 0;
        }));
        return command;
    }

    /// <summary>The run's model metadata for the weights chosen.</summary>
    private static Dictionary<string, string> RunMetadata(LoadedModel loaded, bool ema)
    {
        // The run's figures belong to the weights they were measured on, so they go with the EMA weights only.
        var metadata = loaded.Metadata.Where(kv => ema || !kv.Key.StartsWith(ModelMetadata.TestTop1, StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key, kv => kv.Value);
        metadata[ModelMetadata.Weights] = ema ? "ema" : "raw";
        return metadata;
    }

    /// <summary>A model file, or a run folder's model with the weights chosen, as an ONNX model.</summary>
    private static int ExportOnnx(CliIO io, string source, bool ema, string path, bool force)
    {
        if (!force && (File.Exists(path) || Directory.Exists(path)))
            throw new ByteFormerException($"{path} exists; use --force to replace it");
        LoadedModel loaded;
        string what;
        if (Directory.Exists(source))
        {
            var folder = new RunFolder(source);
            if (!folder.IsFinished) throw new ByteFormerException($"{folder.Path} holds no finished run (no {RunFolder.ModelFileName})");
            loaded = ModelFile.Load(folder.ModelPath);
            try
            {
                Checkpoint.LoadWeights(folder.CheckpointPath, loaded.Model, ema);
            }
            catch
            {
                loaded.Dispose();
                throw;
            }
            loaded = loaded with { Metadata = RunMetadata(loaded, ema) };
            what = $"{(ema ? "EMA" : "raw")} weights of {folder.Path}";
        }
        else
        {
            loaded = ModelFile.Load(source);
            what = source;
        }
        using (loaded)
            OnnxExporter.Export(loaded, path, overwrite: force);
        io.Out.WriteLine($"Wrote {path} (ONNX opset {OnnxExporter.Opset}, {new FileInfo(path).Length:N0} bytes, from {what})");
        return 0;
    }
}

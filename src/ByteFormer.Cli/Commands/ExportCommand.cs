using System.CommandLine;
using ByteFormer.Cli.Output;
using ByteFormer.Inference;
using ByteFormer.Training;

namespace ByteFormer.Cli.Commands;

/// <summary>
/// <c>byteformer export RUN --weights raw|ema --out MODEL</c>: a model file from a run's last checkpoint with the
/// weights chosen (training writes the EMA weights when EMA is on).
/// </summary>
internal static class ExportCommand
{
    public static Command Create(CliIO io)
    {
        var run = new Argument<string>("run") { Description = "Run folder (with checkpoint.zip and model.safetensors)" };
        var weights = new Option<string>("--weights") { Description = "raw or ema", DefaultValueFactory = _ => "raw" };
        weights.AcceptOnlyFromAmong("raw", "ema");
        var output = new Option<string>("--out") { Description = "Model file to write", Required = true };
        var command = new Command("export", "Write a model file from a run's checkpoint, with its raw or its EMA weights") { run, weights, output };
        command.SetAction(parse => ErrorReporter.Guard(io, () =>
        {
            var folder = parse.GetValue(run)!;
            var modelFile = Path.Combine(folder, "model.safetensors");
            if (!File.Exists(modelFile)) throw new ByteFormerException($"{folder} holds no finished run (no model.safetensors)");
            var loaded = ModelFile.Load(modelFile);
            using var _ = loaded.Model;
            var ema = parse.GetValue(weights) == "ema";
            Checkpoint.LoadWeights(Path.Combine(folder, Checkpoint.FileName), loaded.Model, ema);
            // The run's figure belongs to the weights it was measured on, so it goes with the EMA weights only.
            var metadata = loaded.Metadata.Where(kv => ema || kv.Key != "byteformer.test_top1").ToDictionary(kv => kv.Key, kv => kv.Value);
            metadata["byteformer.weights"] = ema ? "ema" : "raw";
            var path = parse.GetValue(output)!;
            ModelFile.Save(path, loaded.Model, loaded.Labels, metadata);
            io.Out.WriteLine($"Wrote {path} ({(ema ? "EMA" : "raw")} weights of {folder})");
            return 0;
        }));
        return command;
    }
}

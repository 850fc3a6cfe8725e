using System.CommandLine;
using ByteFormer.Cli.Output;
using ByteFormer.Inference;
using ByteFormer.Runs;
using ByteFormer.Training;

namespace ByteFormer.Cli.Commands;

/// <summary>
/// <c>byteformer export RUN [--weights raw|ema] --out MODEL</c>: a model file from a run's last checkpoint, by default
/// with the weights training chose (the better of raw and EMA on the validation split), so train and export agree.
/// </summary>
internal static class ExportCommand
{
    public static Command Create(CliIO io)
    {
        var run = new Argument<string>("run") { Description = "Run folder (with checkpoint.zip and model.safetensors)" };
        var weights = new Option<string?>("--weights") { Description = "raw or ema (default: the weights training saved, the better of the two on its validation split)" };
        weights.AcceptOnlyFromAmong("raw", "ema");
        var output = new Option<string>("--out") { Description = "Model file to write", Required = true };
        var force = CommonOptions.ForceOption();
        var command = new Command("export", "Write a model file from a run's checkpoint, with its raw or its EMA weights") { run, weights, output, force };
        command.SetAction(parse => ErrorReporter.Guard(io, () =>
        {
            CommonOptions.RefuseToReplace(parse.GetValue(force), parse.GetValue(output)!);
            var folder = new RunFolder(parse.GetValue(run)!);
            if (!folder.IsFinished) throw new ByteFormerException($"{folder.Path} holds no finished run (no {RunFolder.ModelFileName})");
            using var loaded = ModelFile.Load(folder.ModelPath);
            // Runs from before the choice existed saved their EMA weights whenever EMA was on.
            var saved = loaded.Metadata.GetValueOrDefault(ModelMetadata.Weights, Checkpoint.ReadHeader(folder.CheckpointPath).Options.EmaMomentum > 0 ? "ema" : "raw");
            var ema = (parse.GetValue(weights) ?? saved) == "ema";
            Checkpoint.LoadWeights(folder.CheckpointPath, loaded.Model, ema);
            // The run's figures belong to the weights they were measured on, so they go only with those weights.
            var same = (ema ? "ema" : "raw") == saved;
            var metadata = loaded.Metadata.Where(kv => same || !(kv.Key.StartsWith(ModelMetadata.TestTop1, StringComparison.Ordinal) || kv.Key == ModelMetadata.WeightsChoice))
                .ToDictionary(kv => kv.Key, kv => kv.Value);
            metadata[ModelMetadata.Weights] = ema ? "ema" : "raw";
            var path = parse.GetValue(output)!;
            ModelFile.Save(path, loaded.Model, loaded.Labels, metadata);
            io.Out.WriteLine($"Wrote {path} ({(ema ? "EMA" : "raw")} weights of {folder.Path}{(same ? ", the ones training saved" : "")})");
            return 0;
        }));
        return command;
    }
}

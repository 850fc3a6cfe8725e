using System.CommandLine;
using ByteFormer.Cli.Output;
using ByteFormer.Interop;
using ByteFormer.Inference;
using ByteFormer.Model;

namespace ByteFormer.Cli.Commands;

/// <summary><c>byteformer import WEIGHTS --corenet-config CONFIG --out MODEL</c>: CoreNet checkpoint to a model file.</summary>
internal static class ImportCommand
{
    public static Command Create(CliIO io)
    {
        var weights = new Argument<string>("weights") { Description = "CoreNet state_dict: torch.save zip (.pt) or safetensors" };
        var config = new Option<string>("--corenet-config")
        {
            Description = "CoreNet YAML (projects/byteformer/...) or JSON with corenet_options", Required = true,
        };
        var output = new Option<string>("--out") { Description = "Model file to write", Required = true };
        var labels = new Option<string?>("--labels") { Description = "Text file with one class name per line (default class_0, class_1, ...)" };
        var maxTokens = new Option<int?>("--max-tokens") { Description = "Keep only this many rows of the positional table (smaller file; longer inputs are cut; default: the checkpoint's whole table)" };
        var force = CommonOptions.ForceOption();
        var command = new Command("import", "Import a CoreNet ByteFormer checkpoint (runs in corenet attention semantics)")
            { weights, config, output, labels, maxTokens, force };
        command.SetAction(parse => ErrorReporter.Guard(io, () =>
        {
            CommonOptions.RefuseToReplace(parse.GetValue(force), parse.GetValue(output)!);
            return Run(io, parse.GetValue(weights)!, parse.GetValue(config)!, parse.GetValue(output)!, parse.GetValue(labels), parse.GetValue(maxTokens));
        }));
        return command;
    }

    private static int Run(CliIO io, string weightsPath, string configPath, string outPath, string? labelsPath, int? maxTokens)
    {
        var config = CorenetConfig.Load(configPath);
        if (maxTokens is { } rows)
        {
            if (rows < 1) throw new ByteFormerException($"--max-tokens must be positive, got {rows}");
            config = config with { MaxNumTokens = Math.Min(rows, config.MaxNumTokens) };
        }
        var labels = labelsPath is null ? ModelFile.DefaultLabels(config.NClasses) : ReadLabels(labelsPath, config.NClasses);
        using var weights = ReadWeights(weightsPath);
        using var model = new ByteFormerModel(config);
        WeightLoader.Load(model, weights, weightsPath);
        ModelFile.Save(outPath, model, labels, new Dictionary<string, string>
        {
            [ModelMetadata.ImportedFrom] = Path.GetFileName(weightsPath),
            [ModelMetadata.CorenetConfig] = Path.GetFileName(configPath),
        });
        var table = weights.Find(WeightLoader.PositionTable);
        var cut = table is not null && table.shape[2] > config.MaxNumTokens
            ? $"; positional table cut from {table.shape[2]:N0} to {config.MaxNumTokens:N0} rows" : "";
        io.Out.WriteLine($"Imported {weights.Count} tensors ({config.CountParameters().Total:N0} parameters, mode {config.Mode}, " +
                         $"{config.NClasses} classes, corenet semantics{cut}) into {outPath}");
        return 0;
    }

    /// <summary>A zip (torch.save) or a safetensors file, told apart by content, not by extension.</summary>
    internal static NamedTensors ReadWeights(string path)
    {
        if (Directory.Exists(path)) throw new CheckpointException($"{path} is a folder, not a weights file");
        if (!File.Exists(path)) throw new CheckpointException($"{path}: no such file");
        var head = new byte[4];
        int read;
        using (var s = File.OpenRead(path)) read = s.Read(head, 0, 4);
        if (read == 0) throw new CheckpointException($"{path} is empty");
        var looksTorch = head[0] == (byte)'P' && head[1] == (byte)'K' || head[0] == 0x80
                         || Path.GetExtension(path).ToLowerInvariant() is ".pt" or ".pth" or ".ckpt";
        return looksTorch ? TorchCheckpoint.Read(path) : Safetensors.Read(path).Tensors;
    }

    private static IReadOnlyList<string> ReadLabels(string path, int classes)
    {
        if (!File.Exists(path)) throw new ByteFormerException($"{path}: no such file");
        var labels = File.ReadAllLines(path).Select(l => l.Trim()).Where(l => l.Length > 0).ToArray();
        if (labels.Length != classes)
            throw new ByteFormerException($"{path} has {labels.Length} labels; the model has {classes} classes");
        return labels;
    }
}

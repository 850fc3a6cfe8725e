using ByteFormer.Inference;
using ByteFormer.Model;
using static TorchSharp.torch;

namespace ByteFormer.Runs;

/// <summary>
/// Starting a run from a model file (bundled, trained or imported) in place of random weights: the network's
/// configuration and every weight come from the file; the head is kept when the run's classes are the file's
/// (in any order: its rows follow the classes) and re-initialised otherwise.
/// </summary>
public static class FineTuning
{
    /// <summary>The parameter-name prefix of the classification head, in every architecture of this library.</summary>
    public const string HeadPrefix = "classifier.";

    /// <summary>
    /// The builder of a run that starts from <paramref name="path"/> (labels → network) and the network's byte budget;
    /// the file is read once now, so a missing or broken file fails before any data is read.
    /// </summary>
    /// <exception cref="ByteFormerException">The file is missing, is not a model file, or is a pixel ViT asked to read
    /// anything but raw pixels.</exception>
    public static (Func<IReadOnlyList<string>, ByteClassifier> Build, long ByteBudget) Builder(string path, RunSpec spec)
    {
        if (!File.Exists(path)) throw new ByteFormerException($"{path}: no such model file to start from");
        long budget;
        using (var probe = ModelFile.Load(path))
        {
            if (probe.Model.Architecture == ModelArchitecture.PixelVit && spec.HasByteTransforms)
                throw new ByteFormerException("byte transforms are for the byte model, not the pixel ViT");
            budget = probe.Model.ByteBudget;
        }
        return (labels => Build(path, labels), budget);
    }

    /// <summary>The network of <paramref name="path"/> with its weights, its head fitted to <paramref name="labels"/>.</summary>
    public static ByteClassifier Build(string path, IReadOnlyList<string> labels)
    {
        using var source = ModelFile.Load(path);
        var rows = HeadRows(source.Labels, labels);
        var model = ModelArchitecture.Build(source.Model.Architecture, source.Model.ConfigJson(), path, labels.Count);
        using var _ = no_grad();
        var from = source.Model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var (name, parameter) in model.named_parameters())
        {
            if (!from.TryGetValue(name, out var value)) throw new ByteFormerException($"{path}: has no weight '{name}'");
            if (name.StartsWith(HeadPrefix, StringComparison.Ordinal))
            {
                // A head of other classes keeps the fresh (seeded) initialisation; the same classes take their rows.
                if (rows is null) continue;
                using var index = tensor(rows, ScalarType.Int64);
                using var picked = value.index_select(0, index);
                parameter.copy_(picked);
            }
            else parameter.copy_(value);
        }
        model.InvalidateCaches();
        return model;
    }

    /// <summary>For each of <paramref name="labels"/>, its row in the head of a model of <paramref name="sourceLabels"/>;
    /// null when the classes are not the same set (the head is then re-initialised).</summary>
    public static long[]? HeadRows(IReadOnlyList<string> sourceLabels, IReadOnlyList<string> labels)
    {
        if (sourceLabels.Count != labels.Count || sourceLabels.Distinct().Count() != sourceLabels.Count) return null;
        var rows = new long[labels.Count];
        for (var i = 0; i < labels.Count; i++)
        {
            var row = IndexOf(sourceLabels, labels[i]);
            if (row < 0) return null;
            rows[i] = row;
        }
        return rows;
    }

    /// <summary>What the model file records of its start: the file, its data, and what became of its head.</summary>
    public static string Describe(string path, IReadOnlyList<string> labels)
    {
        using var source = ModelFile.Load(path);
        var data = source.Metadata.GetValueOrDefault(ModelMetadata.Data) ?? source.Metadata.GetValueOrDefault(ModelMetadata.ImportedFrom);
        var head = HeadRows(source.Labels, labels) is null
            ? $"head re-initialised for {labels.Count} classes (it had {source.Labels.Count})"
            : "head kept (same classes)";
        return $"{Path.GetFileName(path)}{(data is null ? "" : $" (trained on {data})")}; {head}";
    }

    private static int IndexOf(IReadOnlyList<string> list, string value)
    {
        for (var i = 0; i < list.Count; i++)
            if (list[i] == value) return i;
        return -1;
    }
}

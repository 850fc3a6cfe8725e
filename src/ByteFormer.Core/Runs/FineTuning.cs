using ByteFormer.Inference;
using ByteFormer.Model;
using static TorchSharp.torch;

namespace ByteFormer.Runs;

/// <summary>
/// Starting a run from a model file (bundled, trained or imported) in place of random weights: the network's
/// configuration and every weight come from the file; the head is kept when the run's classes are the file's
/// (in any order: its rows follow the classes) and re-initialised otherwise. One choice may change on the way: how a
/// byte model knows positions (<see cref="PositionEncoding"/>), so that a trained model can continue with a relative
/// bias or none in place of its learned table; the new position weights start as a fresh network's. And a byte model
/// may grow to twice its depth on the way (<see cref="DepthGrowth"/>), computing at the start what the file computes.
/// </summary>
public static class FineTuning
{
    /// <summary>The parameter-name prefix of the classification head, in every architecture of this library.</summary>
    public const string HeadPrefix = "classifier.";

    /// <summary>
    /// The builder of a run that starts from <paramref name="path"/> (labels → network) and the network's byte budget;
    /// the file is read once now, so a missing or broken file fails before any data is read.
    /// </summary>
    /// <param name="path">The model file.</param>
    /// <param name="spec">The run's data, to check that the network can read it.</param>
    /// <param name="positions">Position encoding for the new network; null keeps the file's.</param>
    /// <param name="deepen">Grow the file's byte model to twice its depth (<see cref="DepthGrowth"/>).</param>
    /// <exception cref="ByteFormerException">The file is missing, is not a model file, is a pixel ViT asked to read
    /// anything but raw pixels, or a position encoding or growth that its network cannot take.</exception>
    public static (Func<IReadOnlyList<string>, ByteClassifier> Build, long ByteBudget) Builder(string path, RunSpec spec, PositionEncoding? positions = null,
        bool deepen = false)
    {
        if (!File.Exists(path)) throw new ByteFormerException($"{path}: no such model file to start from");
        long budget;
        using (var probe = ModelFile.Load(path))
        {
            if (probe.Model.Architecture == ModelArchitecture.PixelVit && spec.HasByteTransforms)
                throw new ByteFormerException("byte transforms are for the byte model, not the pixel ViT");
            // Checked now, before any data is read: the configuration the run would build.
            budget = ModelArchitecture.ByteBudgetOf(probe.Model.Architecture, ConfigJson(probe.Model, positions, deepen, path), path);
        }
        return (labels => Build(path, labels, positions, deepen), budget);
    }

    /// <summary>The network of <paramref name="path"/> with its weights, its head fitted to <paramref name="labels"/>.</summary>
    /// <param name="path">The model file.</param>
    /// <param name="labels">The run's classes.</param>
    /// <param name="positions">Position encoding for the new network; null keeps the file's. A change drops the file's
    /// position weights (its learned table or relative bias) and starts the new ones as a fresh network's.</param>
    /// <param name="deepen">Grow the file's byte model to twice its depth (<see cref="DepthGrowth"/>): each block is
    /// followed by a copy whose output projections start at zero.</param>
    /// <exception cref="ByteFormerException">The file lacks a weight the network needs, or the network cannot take <paramref name="positions"/>
    /// or the growth.</exception>
    public static ByteClassifier Build(string path, IReadOnlyList<string> labels, PositionEncoding? positions = null, bool deepen = false)
    {
        using var source = ModelFile.Load(path);
        var rows = HeadRows(source.Labels, labels);
        var changed = positions is { } wanted && wanted != PositionsOf(source.Model);
        var model = ModelArchitecture.Build(source.Model.Architecture, ConfigJson(source.Model, positions, deepen, path), path, labels.Count);
        using var _ = no_grad();
        var from = source.Model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var (name, parameter) in model.named_parameters())
        {
            var (sourceName, startsAtZero) = deepen ? DepthGrowth.SourceOf(name) : (name, false);
            if (startsAtZero)
            {
                parameter.zero_();
                continue;
            }
            if (!from.TryGetValue(sourceName, out var value))
            {
                // Only the position weights differ between the two configurations: the new ones keep their initialisation.
                if (changed) continue;
                throw new ByteFormerException($"{path}: has no weight '{sourceName}'");
            }
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

    /// <summary>What the model file records of its start: the file, its data, what became of its head, and a change of
    /// position encoding.</summary>
    /// <param name="path">The model file started from.</param>
    /// <param name="labels">The run's classes.</param>
    /// <param name="positions">The run's position encoding; null when it is the file's.</param>
    /// <param name="layers">The run's number of transformer blocks; null when it is the file's.</param>
    public static string Describe(string path, IReadOnlyList<string> labels, PositionEncoding? positions = null, int? layers = null)
    {
        using var source = ModelFile.Load(path);
        var data = source.Metadata.GetValueOrDefault(ModelMetadata.Data) ?? source.Metadata.GetValueOrDefault(ModelMetadata.ImportedFrom);
        var head = HeadRows(source.Labels, labels) is null
            ? $"head re-initialised for {labels.Count} classes (it had {source.Labels.Count})"
            : "head kept (same classes)";
        var was = PositionsOf(source.Model);
        var moved = positions is { } now && was is not null && now != was
            ? $"; positions {Name(was.Value)} → {Name(now)} (the {Name(was.Value)} weights dropped, the {Name(now)} ones trained from a fresh start)"
            : "";
        var grown = layers is { } grownTo && source.Model is ByteFormerModel { Config.NTransformerLayers: var had } && had != grownTo
            ? $"; deepened from {had} to {grownTo} blocks (each block followed by a copy whose output projections started at zero)"
            : "";
        return $"{Path.GetFileName(path)}{(data is null ? "" : $" (trained on {data})")}; {head}{moved}{grown}";
    }

    private static string Name(PositionEncoding positions) => positions.ToString().ToLowerInvariant();

    /// <summary>A byte model's position encoding; null for a network that has none to choose (the pixel ViT).</summary>
    private static PositionEncoding? PositionsOf(ByteClassifier model) => model is ByteFormerModel byteFormer ? byteFormer.Config.Positions : null;

    /// <summary>The configuration of <paramref name="model"/>, with <paramref name="positions"/> in place of its own and
    /// twice its blocks when <paramref name="deepen"/>.</summary>
    private static string ConfigJson(ByteClassifier model, PositionEncoding? positions, bool deepen, string path)
    {
        var movePositions = positions is { } wanted && PositionsOf(model) != wanted;
        if (!movePositions && !deepen) return model.ConfigJson();
        if (model is not ByteFormerModel byteFormer)
            throw new ByteFormerException(deepen
                ? $"{path}: a {model.Architecture} cannot be deepened; leave out --deepen"
                : $"{path}: a {model.Architecture} has no position encoding to choose; leave out --positions");
        var config = byteFormer.Config;
        try
        {
            if (movePositions) config = (config with { Positions = positions!.Value }).Validate();
        }
        catch (ConfigurationException e)
        {
            throw new ByteFormerException($"{path}: cannot continue with {Name(positions!.Value)} positions: {e.Message}", e);
        }
        try
        {
            if (deepen) config = DepthGrowth.Deepened(config);
        }
        catch (ConfigurationException e)
        {
            throw new ByteFormerException($"{path}: cannot deepen this network: {e.Message}", e);
        }
        return config.ToJson();
    }

    private static int IndexOf(IReadOnlyList<string> list, string value)
    {
        for (var i = 0; i < list.Count; i++)
            if (list[i] == value) return i;
        return -1;
    }
}

using ByteFormer.Model;
using static TorchSharp.torch;

namespace ByteFormer.Interop;

/// <summary>Copies a state_dict into a model, strictly: every name must exist and every shape must fit.</summary>
public static class WeightLoader
{
    /// <summary>The positional table's name; the one tensor allowed to be longer than the model needs.</summary>
    public const string PositionTable = "pos_embed.pos_embed.pos_embed";

    /// <summary>
    /// Loads <paramref name="weights"/> into <paramref name="model"/>. Throws <see cref="CheckpointException"/>
    /// naming the first tensor that is unknown, has another shape, or is missing. A positional table with
    /// more rows than the model's is cut to the model's rows (Apple's checkpoints carry 50,000).
    /// </summary>
    public static void Load(ByteClassifier model, NamedTensors weights, string source)
    {
        var expected = model.state_dict();
        var seen = new HashSet<string>();
        using var _ = no_grad();
        foreach (var (name, tensor) in weights.Items)
        {
            if (!expected.TryGetValue(name, out var target))
                throw new CheckpointException($"{source}: tensor '{Printable.Of(name)}' is not part of a {(model is ByteFormerModel ? "ByteFormer" : "model")} of this configuration ({Describe(model)})");
            var value = tensor;
            if (name == PositionTable && value.dim() == 4 && target.dim() == 4 && value.shape[2] > target.shape[2]
                && value.shape[3] == target.shape[3])
                value = value.narrow(2, 0, target.shape[2]);
            if (!value.shape.SequenceEqual(target.shape))
                throw new CheckpointException(
                    $"{source}: tensor '{Printable.Of(name)}' has shape [{string.Join(", ", tensor.shape)}], the configuration ({Describe(model)}) needs [{string.Join(", ", target.shape)}]");
            target.copy_(value);
            seen.Add(name);
        }
        model.InvalidateCaches();
        var missing = expected.Keys.FirstOrDefault(k => !seen.Contains(k));
        if (missing is not null)
            throw new CheckpointException($"{source}: tensor '{Printable.Of(missing)}' is missing ({weights.Count} tensors found, {expected.Count} needed)");
    }

    private static string Describe(ByteClassifier model) => model switch
    {
        ByteFormerModel { Config: var c } =>
            $"embed_dim {c.EmbedDim}, {c.NTransformerLayers} layers, kernel {c.ConvKernelSize}, {c.NClasses} classes",
        PixelVisionTransformer { Config: var c } =>
            $"pixel ViT, embed_dim {c.EmbedDim}, {c.NTransformerLayers} layers, {c.Height}×{c.Width}×{c.Channels}, {c.NClasses} classes",
        _ => model.Architecture,
    };
}

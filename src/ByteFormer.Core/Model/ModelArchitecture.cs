using System.Text.Json;

namespace ByteFormer.Model;

/// <summary>The networks this library builds, by the name a model file or checkpoint records.</summary>
public static class ModelArchitecture
{
    /// <summary>ByteFormer (<see cref="ByteFormerModel"/>), the default when a file names none.</summary>
    public const string ByteFormer = "byteformer";

    /// <summary>The pixel-space ViT baseline (<see cref="PixelVisionTransformer"/>).</summary>
    public const string PixelVit = "pixel-vit";

    /// <summary>Every architecture name, for messages and option checks.</summary>
    public static IReadOnlyList<string> Names { get; } = [ByteFormer, PixelVit];

    /// <summary>Builds the network (freshly initialised) that <paramref name="architecture"/> and its configuration JSON describe.</summary>
    /// <param name="architecture">One of <see cref="Names"/>.</param>
    /// <param name="configJson">The configuration as the model file or checkpoint stores it.</param>
    /// <param name="source">The file it came from, for messages.</param>
    /// <exception cref="CheckpointException">An unknown architecture or an unreadable configuration.</exception>
    /// <param name="classes">A class count in place of the configuration's (a new head), or null to keep it.</param>
    public static ByteClassifier Build(string architecture, string configJson, string source, int? classes = null) => architecture switch
    {
        ByteFormer => new ByteFormerModel(ParseConfig(ByteFormerConfig.FromJson, configJson, source) is var c && classes is { } n ? c with { NClasses = n } : c),
        PixelVit => new PixelVisionTransformer(ParseConfig(PixelVitConfig.FromJson, configJson, source) is var v && classes is { } m ? v with { NClasses = m } : v),
        _ => throw new CheckpointException($"{source}: unknown architecture '{Interop.Printable.Of(architecture)}' (this version knows {string.Join(" and ", Names)})"),
    };

    /// <summary>The most bytes a network of <paramref name="architecture"/> and <paramref name="configJson"/> reads, without building it.</summary>
    /// <exception cref="CheckpointException">An unknown architecture or an unreadable configuration.</exception>
    public static long ByteBudgetOf(string architecture, string configJson, string source) => architecture switch
    {
        ByteFormer => ParseConfig(ByteFormerConfig.FromJson, configJson, source).ByteBudget,
        PixelVit => ParseConfig(PixelVitConfig.FromJson, configJson, source).ImageBytes,
        _ => throw new CheckpointException($"{source}: unknown architecture '{Interop.Printable.Of(architecture)}' (this version knows {string.Join(" and ", Names)})"),
    };

    /// <summary>
    /// A lower bound on the parameters a network of <paramref name="architecture"/> and <paramref name="configJson"/>
    /// has (the attention and feed-forward weights, the embedding and the positions), in floating point so that no
    /// forged size overflows: what a loader compares with the weights a file holds before building anything.
    /// </summary>
    /// <exception cref="CheckpointException">An unknown architecture or an unreadable configuration.</exception>
    internal static double LeastParameters(string architecture, string configJson, string source)
    {
        static double Blocks(double layers, double c, double f) => layers * (4 * c * c + 2 * c * f);
        switch (architecture)
        {
            case ByteFormer:
            {
                var c = ParseConfig(ByteFormerConfig.FromJson, configJson, source);
                double dim = c.EmbedDim;
                return Blocks(c.NTransformerLayers, dim, c.FfnDim) + (double)c.VocabSize * dim + dim * dim * c.ConvKernelSize
                       + (c.Positions == PositionEncoding.Learned ? (double)c.MaxNumTokens * dim : 0) + dim * c.NClasses;
            }
            case PixelVit:
            {
                var v = ParseConfig(PixelVitConfig.FromJson, configJson, source);
                double dim = v.EmbedDim;
                return Blocks(v.NTransformerLayers, dim, v.FfnDim) + (double)v.PatchSize * v.PatchSize * v.Channels * dim + dim * v.NClasses;
            }
            default:
                throw new CheckpointException($"{source}: unknown architecture '{Interop.Printable.Of(architecture)}' (this version knows {string.Join(" and ", Names)})");
        }
    }

    /// <summary>Refuses a configuration that needs more parameters than <paramref name="available"/>, before a network
    /// of that size is built: a forged size (embed_dim 10⁶) would otherwise allocate gigabytes first.</summary>
    /// <exception cref="CheckpointException">The configuration needs more parameters than the file holds.</exception>
    internal static void CheckFits(string architecture, string configJson, double available, string source)
    {
        var least = LeastParameters(architecture, configJson, source);
        if (least > available)
            throw new CheckpointException(
                $"{source}: its configuration needs at least {least:N0} parameters, its weights hold {available:N0} values (a forged or mismatched configuration)");
    }

    private static T ParseConfig<T>(Func<string, T> parse, string json, string source)
    {
        try
        {
            return parse(json);
        }
        catch (JsonException e)
        {
            throw new CheckpointException($"{source}: its configuration is not readable ({e.Message.Split('\n')[0]})");
        }
    }
}

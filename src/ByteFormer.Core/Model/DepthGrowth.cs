using System.Globalization;
using System.Text.RegularExpressions;

namespace ByteFormer.Model;

/// <summary>
/// Growing a trained ByteFormer to twice its depth without changing what it computes: each transformer block is
/// followed by a copy of itself whose two output projections (<c>pre_norm_mha.1.out_proj</c> and
/// <c>pre_norm_ffn.4</c>) start at zero, so the copy adds nothing to the residual stream until training moves them
/// (the function-preserving growth of Net2Net's "deeper" operator and of staged transformer training). The copy
/// keeps its block's other weights, so once its output projections move, the features they read are the trained
/// block's, not noise. A merge (<see cref="ByteFormerConfig.Downsample"/>) moves from a block to the end of its pair;
/// the copy's window is shifted where its block's is not, and not where it is, so that the pair sees both tilings.
/// </summary>
/// <remarks>
/// Why: the small presets this project trains on two cores under-fit the compressed formats (training accuracy below
/// test accuracy after many hours); growing a trained network keeps what it learned and adds capacity, where a deeper
/// network trained from scratch would start over.
/// </remarks>
public static partial class DepthGrowth
{
    /// <summary>The configuration of <paramref name="config"/>'s network grown to twice its depth.</summary>
    /// <exception cref="ConfigurationException">The grown configuration cannot work (e.g. past a per-layer list's length).</exception>
    public static ByteFormerConfig Deepened(ByteFormerConfig config)
    {
        var layers = config.NTransformerLayers;
        var shifts = new int[2 * layers];
        var merges = new bool[2 * layers];
        for (var i = 0; i < layers; i++)
        {
            shifts[2 * i] = config.WindowShifts[i];
            shifts[2 * i + 1] = config.WindowShifts[i] == 0 ? config.WindowSize(i) / 2 : 0;
            merges[2 * i + 1] = config.Downsample[i];
        }
        var windows = config.WindowSizes.Length == 1
            ? config.WindowSizes
            : Enumerable.Range(0, 2 * layers).Select(j => config.WindowSizes[j / 2]).ToArray();
        return (config with
        {
            NTransformerLayers = 2 * layers,
            WindowSizes = windows,
            WindowShifts = shifts,
            Downsample = merges,
        }).Validate();
    }

    /// <summary>
    /// For a weight of the grown network, the weight of the original network it starts from, and whether it starts
    /// at zero instead (the copy's output projections). Names outside the blocks and merges are their own source.
    /// </summary>
    /// <param name="grownName">A parameter name of the network built from <see cref="Deepened"/>'s configuration.</param>
    public static (string SourceName, bool StartsAtZero) SourceOf(string grownName)
    {
        if (BlockName().Match(grownName) is { Success: true } block)
        {
            var j = int.Parse(block.Groups[1].Value, CultureInfo.InvariantCulture);
            var rest = block.Groups[2].Value;
            var isCopy = j % 2 == 1;
            var zero = isCopy && rest is "pre_norm_mha.1.out_proj.weight" or "pre_norm_mha.1.out_proj.bias"
                or "pre_norm_ffn.4.weight" or "pre_norm_ffn.4.bias";
            return (string.Create(CultureInfo.InvariantCulture, $"transformer.{j / 2}.{rest}"), zero);
        }
        if (MergeName().Match(grownName) is { Success: true } merge)
        {
            // Merges sit after the copy (odd layers) in the grown network, after the block in the original.
            var j = int.Parse(merge.Groups[1].Value, CultureInfo.InvariantCulture);
            return (string.Create(CultureInfo.InvariantCulture, $"downsamplers.downsample_{(j - 1) / 2}.{merge.Groups[2].Value}"), false);
        }
        return (grownName, false);
    }

    [GeneratedRegex(@"^transformer\.(\d+)\.(.+)$")]
    private static partial Regex BlockName();

    [GeneratedRegex(@"^downsamplers\.downsample_(\d+)\.(.+)$")]
    private static partial Regex MergeName();
}

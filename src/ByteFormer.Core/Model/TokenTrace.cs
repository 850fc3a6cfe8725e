namespace ByteFormer.Model;

/// <summary>One stage of the network for a given input length.</summary>
/// <param name="Stage">What runs ("conv", "block 3", "merge 3", ...).</param>
/// <param name="Tokens">Sequence length after the stage.</param>
/// <param name="Windows">Attention windows a block runs (null for other stages).</param>
/// <param name="PaddedLength">Tokens the block computes, padding included (null for other stages).</param>
public sealed record TraceStage(string Stage, long Tokens, long? Windows = null, long? PaddedLength = null);

/// <summary>How many tokens each stage sees for an input of a given size (byteformer.md §1.7).</summary>
public static class TokenTrace
{
    /// <summary>The stages for one input of <paramref name="bytes"/> bytes (shorter inputs are padded to the kernel).</summary>
    public static IReadOnlyList<TraceStage> For(ByteFormerConfig config, long bytes)
    {
        var stages = new List<TraceStage> { new("input bytes", bytes) };
        long n = (Math.Max(bytes, config.ConvKernelSize) - config.ConvKernelSize) / config.ConvStride + 1;
        stages.Add(new("conv", n));
        for (var i = 0; i < config.NTransformerLayers; i++)
        {
            long w = config.WindowSize(i);
            long windows = (n + w - 1) / w;
            stages.Add(new($"block {i}", n, windows, windows * w));
            if (!config.Downsample[i]) continue;
            n = (n + 1) / 2;
            stages.Add(new($"merge {i}", n));
        }
        return stages;
    }
}

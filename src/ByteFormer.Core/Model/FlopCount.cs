namespace ByteFormer.Model;

/// <summary>
/// Floating-point operations (multiply and add counted as 2) that CoreNet's ByteFormer performs for one
/// input: the Conv1d, every linear layer on the tokens that exist, attention over the windows the sequence
/// needs (each a full W×W window), token merging and the classifier (byteformer.md §1.7 gives the shapes).
/// This is the reference's work, whatever shortcut this port takes, so samples/s × FLOPs compares fairly.
/// </summary>
public static class FlopCount
{
    /// <summary>Forward FLOPs for one input of <paramref name="bytes"/> bytes.</summary>
    public static double Forward(ByteFormerConfig config, long bytes)
    {
        double c = config.EmbedDim, f = config.FfnDim;
        double total = 0;
        foreach (var stage in TokenTrace.For(config, bytes))
        {
            if (stage.Stage == "conv") total += 2.0 * stage.Tokens * c * c * config.ConvKernelSize;
            else if (stage.Stage.StartsWith("block", StringComparison.Ordinal))
            {
                double n = stage.Tokens, w = stage.PaddedLength!.Value / (double)stage.Windows!.Value;
                total += 2.0 * n * (3 * c * c + c * c + 2 * c * f);                 // qkv, out_proj, fc1, fc2
                total += 2.0 * 2.0 * stage.Windows.Value * w * w * c;               // q·kᵀ and attn·v
            }
            else if (stage.Stage.StartsWith("merge", StringComparison.Ordinal))
                total += 2.0 * stage.Tokens * 2 * c * c;
        }
        return total + 2.0 * c * config.NClasses;
    }

    /// <summary>Training-step FLOPs per input: forward plus a backward of twice the forward.</summary>
    public static double TrainingStep(ByteFormerConfig config, long bytes) => 3.0 * Forward(config, bytes);
}

using TorchSharp;
using static TorchSharp.torch;

namespace ByteFormer.Model;

/// <summary>
/// A network that classifies byte sequences: int64 values [B, N], right-padded with -1, to logits
/// [B, classes]. Training, evaluation, prediction and model files work with any of them: ByteFormer, and
/// the pixel-space baseline (<see cref="PixelVisionTransformer"/>) that reads raw pixel files.
/// </summary>
public abstract class ByteClassifier : nn.Module<Tensor, Tensor>
{
    /// <summary>Passes <paramref name="name"/> to TorchSharp as the module's name.</summary>
    protected ByteClassifier(string name) : base(name) { }

    /// <summary>The name model files and checkpoints store: "byteformer" or "pixel-vit".</summary>
    public abstract string Architecture { get; }

    /// <summary>Number of classes (the logits' width).</summary>
    public abstract int NClasses { get; }

    /// <summary>Shorter inputs are padded to this many bytes.</summary>
    public abstract int MinimumBytes { get; }

    /// <summary>The most bytes the network reads; longer inputs are cut to their first bytes.</summary>
    public abstract long ByteBudget { get; }

    /// <summary>True when padding an input changes its logits, so that only equal lengths may share a batch.</summary>
    public virtual bool PaddingChangesLogits => false;

    /// <summary>The configuration as JSON, as model files and checkpoints store it.</summary>
    public abstract string ConfigJson();

    /// <summary>A freshly initialised network of the same configuration (for EMA copies).</summary>
    public abstract ByteClassifier CreateSibling();

    /// <summary>Forgets values derived from the weights; call after changing weights in place.</summary>
    public virtual void InvalidateCaches() { }
}

using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace ByteFormer.Model;

/// <summary>
/// Pre-norm transformer encoder block run on non-overlapping windows of the sequence (byteformer.md §1.3):
/// pad to a multiple of the window, roll left by the shift, cut into windows, attend within each window,
/// then undo. Child names follow CoreNet's state_dict: <c>pre_norm_mha.{0: LN, 1: MHA}</c>,
/// <c>pre_norm_ffn.{0: LN, 1: fc1, 4: fc2}</c>.
/// </summary>
public sealed class WindowedTransformerBlock : nn.Module<Tensor, Tensor>
{
    private readonly PreNormAttention pre_norm_mha;
    private readonly PreNormFeedForward pre_norm_ffn;
    private readonly int window;
    private readonly int shift;
    private readonly double dropPath;
    private readonly AttentionSemantics semantics;

    /// <summary>Block number <paramref name="layer"/> of <paramref name="config"/>, with that layer's window size, shift and drop-path rate.</summary>
    public WindowedTransformerBlock(ByteFormerConfig config, int layer) : base(nameof(WindowedTransformerBlock))
    {
        window = config.WindowSize(layer);
        shift = config.WindowShifts[layer];
        dropPath = config.DropPathRate(layer);
        semantics = config.Semantics;
        pre_norm_mha = new PreNormAttention(config, window);
        pre_norm_ffn = new PreNormFeedForward(config);
        RegisterComponents();
    }

    /// <summary>Runs the block on tokens [B, N, C] with nothing masked, giving [B, N, C].</summary>
    public override Tensor forward(Tensor x) => Forward(x, null, null, "");

    /// <summary>Runs the block.</summary>
    /// <param name="x">Tokens [B, N, C].</param>
    /// <param name="lengths">Valid tokens per sequence [B] (masked semantics), or null (CoreNet: nothing masked).</param>
    /// <param name="tap">Receives named intermediates for parity checks; null in normal use.</param>
    /// <param name="name">Prefix of the tapped names, e.g. "block_0".</param>
    public Tensor Forward(Tensor x, Tensor? lengths, Action<string, Tensor>? tap, string name)
    {
        long b = x.shape[0], n = x.shape[1];
        Tensor? mask = null;                                                         // §1.3: CoreNet passes no mask
        var length = window;
        if (semantics == AttentionSemantics.Masked && lengths is not null)
        {
            // A sequence shorter than its window is one window of its own length: no padded queries.
            length = (int)Math.Min(window, n);
            long padded = (n + length - 1) / length * length;
            if (shift > 0 || padded > n || lengths.min().item<long>() < n)
                mask = WindowPartition.AttentionMask(lengths, padded, length, window, shift);
        }
        var windows = WindowPartition.Split(x, length, shift);                      // [B*Np/W, W, C]
        tap?.Invoke(name + ".windowed_in", windows);
        var h = windows.Plus(DropPath(pre_norm_mha.Forward(windows, mask, tap, name)));
        var ffn = pre_norm_ffn.call(h);
        tap?.Invoke(name + ".ffn_out", ffn);
        h = h.Plus(DropPath(ffn));
        var y = WindowPartition.Merge(h, b, n, shift);                               // [B, N, C]
        tap?.Invoke(name + ".out", y);
        return y;
    }

    /// <summary>Stochastic depth in CoreNet's "row" mode: drop whole windows, scale survivors.</summary>
    private Tensor DropPath(Tensor branch)
    {
        if (!training || dropPath <= 0) return branch;
        var keep = 1.0 - dropPath;
        using var scale = keep.ToScalar();
        var mask = empty(branch.shape[0], 1, 1, device: branch.device).bernoulli_(keep).div_(scale);
        return branch * mask;
    }
}

/// <summary>LayerNorm then attention then dropout, registered as CoreNet's <c>pre_norm_mha</c> Sequential.</summary>
public sealed class PreNormAttention : nn.Module<Tensor, Tensor>
{
    [ComponentName(Name = "0")] private readonly ReferenceLayerNorm norm;
    [ComponentName(Name = "1")] private readonly MultiHeadAttention attention;
    [ComponentName(Name = "2")] private readonly Dropout dropout;

    /// <summary>LayerNorm, attention and residual dropout (<see cref="ByteFormerConfig.Dropout"/>) of width
    /// <see cref="ByteFormerConfig.EmbedDim"/>, over windows of at most <paramref name="window"/> tokens.</summary>
    public PreNormAttention(ByteFormerConfig config, int window) : base("pre_norm_mha")
    {
        norm = new ReferenceLayerNorm(config.EmbedDim, config.Semantics == AttentionSemantics.Corenet);
        attention = new MultiHeadAttention(config, window);
        dropout = nn.Dropout(config.Dropout);
        RegisterComponents();
    }

    /// <summary>The attention branch of windows [b, n, C] with nothing masked, giving [b, n, C] (no residual).</summary>
    public override Tensor forward(Tensor x) => Forward(x, null, null, "");

    /// <summary>LayerNorm, attention and dropout of windows [b, n, C], giving [b, n, C] (the caller adds the residual).</summary>
    /// <param name="x">Windows [b, n, C].</param>
    /// <param name="mask">Boolean [b or 1, 1, n, n], true where a query may attend to a key; null attends everywhere.</param>
    /// <param name="tap">Receives <c>{name}.norm1_out</c> and <c>{name}.mha_out</c>; null in normal use.</param>
    /// <param name="name">Prefix of the tapped names, e.g. "block_0".</param>
    public Tensor Forward(Tensor x, Tensor? mask, Action<string, Tensor>? tap, string name)
    {
        var normed = norm.call(x);
        tap?.Invoke(name + ".norm1_out", normed);
        var attended = dropout.call(attention.Forward(normed, mask));
        tap?.Invoke(name + ".mha_out", attended);
        return attended;
    }
}

/// <summary>LayerNorm, Linear(C, F), GELU (erf), Dropout, Linear(F, C), Dropout: CoreNet's <c>pre_norm_ffn</c>.</summary>
public sealed class PreNormFeedForward : nn.Module<Tensor, Tensor>
{
    [ComponentName(Name = "0")] private readonly ReferenceLayerNorm norm;
    [ComponentName(Name = "1")] private readonly Linear fc1;
    [ComponentName(Name = "2")] private readonly GELU activation;
    [ComponentName(Name = "3")] private readonly Dropout innerDropout;
    [ComponentName(Name = "4")] private readonly Linear fc2;
    [ComponentName(Name = "5")] private readonly Dropout outerDropout;

    /// <summary>The feed-forward branch C → F → C for <paramref name="config"/>, Xavier-initialised.</summary>
    public PreNormFeedForward(ByteFormerConfig config) : base("pre_norm_ffn")
    {
        norm = new ReferenceLayerNorm(config.EmbedDim, config.Semantics == AttentionSemantics.Corenet);
        fc1 = nn.Linear(config.EmbedDim, config.FfnDim);
        activation = nn.GELU();
        innerDropout = nn.Dropout(config.FfnDropout);
        fc2 = nn.Linear(config.FfnDim, config.EmbedDim);
        outerDropout = nn.Dropout(config.Dropout);
        RegisterComponents();
        Init.XavierLinear(fc1);
        Init.XavierLinear(fc2);
    }

    /// <summary>The feed-forward branch of tokens [..., C], giving [..., C] (the caller adds the residual).</summary>
    public override Tensor forward(Tensor x) =>
        outerDropout.call(fc2.call(innerDropout.call(activation.call(fc1.call(norm.call(x))))));
}

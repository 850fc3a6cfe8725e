using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ByteFormer.Model;

/// <summary>
/// ByteFormer (Horton et al., "Bytes Are All You Need"; CoreNet's <c>ByteFormer</c>): byte embedding,
/// Conv1d token reduction, learned positions (or a relative bias in the blocks, or none), windowed pre-norm blocks with token merging, final LayerNorm,
/// mean pooling, linear head. Input: int64 byte values [B, N], right-padded with -1. Output: logits.
/// Child names match CoreNet's state_dict, so importing its checkpoints is a strict name-for-name load.
/// </summary>
public sealed class ByteFormerModel : ByteClassifier
{
    // Field order is registration order, which is CoreNet's state_dict order.
    private readonly Embedding embeddings;
    private readonly Conv1d token_reduction_net;
    private readonly PositionalEmbedding? pos_embed;                                   // learned positions only
    private readonly Dropout emb_dropout;
    private readonly ModuleDict<TokenMerging> downsamplers;
    private readonly ModuleList<WindowedTransformerBlock> transformer;
    private readonly ReferenceLayerNorm post_transformer_norm;
    private readonly Linear classifier;

    /// <summary>The configuration this network was built from.</summary>
    public ByteFormerConfig Config { get; }

    /// <summary>Always "byteformer".</summary>
    public override string Architecture => "byteformer";
    /// <summary><see cref="ByteFormerConfig.NClasses"/>.</summary>
    public override int NClasses => Config.NClasses;
    /// <summary>The Conv1d kernel: the fewest bytes that make one token.</summary>
    public override int MinimumBytes => Config.ConvKernelSize;

    /// <summary>(max_num_tokens - 1) · stride + kernel: the bytes the positional table covers.</summary>
    public override long ByteBudget => Config.ByteBudget;

    /// <summary>CoreNet semantics lets padding change logits (byteformer.md §1.8).</summary>
    public override bool PaddingChangesLogits => Config.Semantics == AttentionSemantics.Corenet;

    /// <summary><see cref="ByteFormerConfig.ToJson"/> of <see cref="Config"/>.</summary>
    public override string ConfigJson() => Config.ToJson();
    /// <summary>A freshly initialised <see cref="ByteFormerModel"/> of <see cref="Config"/>.</summary>
    public override ByteClassifier CreateSibling() => new ByteFormerModel(Config);

    /// <summary>Receives named intermediates (CoreNet fixture names) during forward; null in normal use.</summary>
    public Action<string, Tensor>? Tap { get; set; }

    /// <summary>
    /// Compute embedding + Conv1d as table look-ups (<see cref="FusedTokenReduction"/>); the plain path is kept
    /// for checks and benchmarks. Both give the same logits and gradients within float rounding.
    /// </summary>
    public bool UseFusedTokenReduction { get; set; } = true;

    // The look-up table, kept between calls only while nothing can change the weights: eval mode with
    // gradients off. train(), eval() and WeightLoader drop it.
    private Tensor? cachedTable;

    /// <summary>Builds a freshly initialised network (CoreNet's initialisation, byteformer.md §1.6).</summary>
    public ByteFormerModel(ByteFormerConfig config) : base(nameof(ByteFormerModel))
    {
        Config = config.Validate();
        int c = config.EmbedDim;
        var corenet = config.Semantics == AttentionSemantics.Corenet;

        embeddings = nn.Embedding(config.VocabSize, c, padding_idx: config.VocabSize - 1);
        using (no_grad())
        {
            Init.TruncNormal(embeddings.weight!, Math.Pow(c, -0.5));
            embeddings.weight![config.VocabSize - 1].zero_();
        }
        token_reduction_net = nn.Conv1d(c, c, config.ConvKernelSize, stride: config.ConvStride, bias: false);
        pos_embed = config.Positions == PositionEncoding.Learned ? new PositionalEmbedding(config) : null;
        emb_dropout = nn.Dropout(config.Dropout);
        downsamplers = new ModuleDict<TokenMerging>();
        transformer = new ModuleList<WindowedTransformerBlock>();
        for (var i = 0; i < config.NTransformerLayers; i++)
        {
            transformer.Add(new WindowedTransformerBlock(config, i));
            if (config.Downsample[i]) downsamplers.Add($"downsample_{i}", new TokenMerging(config));
        }
        post_transformer_norm = new ReferenceLayerNorm(c, corenet);
        classifier = nn.Linear(c, config.NClasses);
        Init.XavierLinear(classifier);

        RegisterComponents();
    }

    /// <summary>Logits [B, n_classes] for byte values [B, N] (int64, -1 = padding).</summary>
    public override Tensor forward(Tensor tokens)
    {
        var features = ForwardFeatures(tokens, out var lengths);
        return ForwardHead(features, lengths);
    }

    /// <summary>
    /// The trunk: [B, N] byte values to final-normed token features [B, N', C]. In masked semantics
    /// <paramref name="lengths"/> gives each row's valid tokens; in CoreNet semantics it is null.
    /// </summary>
    public Tensor ForwardFeatures(Tensor tokens, out Tensor? lengths)
    {
        if (tokens.dim() != 2)
            throw new ArgumentException($"expected byte values of shape [batch, length], got [{string.Join(", ", tokens.shape)}]");
        var cfg = Config;
        long n = tokens.shape[1];
        if (n < cfg.ConvKernelSize)
            throw new ArgumentException($"inputs of {n} bytes are shorter than the kernel ({cfg.ConvKernelSize}); pad them with -1 first");
        long convTokens = (n - cfg.ConvKernelSize) / cfg.ConvStride + 1;
        if (convTokens > cfg.MaxNumTokens)
            throw new ArgumentException(
                $"inputs of {n} bytes give {convTokens} tokens, more than the {cfg.MaxNumTokens} positions of this model");

        var tap = Tap;
        // Scalars are created explicitly and kept alive across the native calls (see Training.AdamW's remarks).
        using var zero = 0.ToScalar();
        using var paddingRow = (cfg.VocabSize - 1).ToScalar();
        var isPadding = tokens.lt(zero);                                                 // -1 (any negative) pads
        lengths = cfg.Semantics == AttentionSemantics.Masked ? TokenLengths(isPadding.logical_not().sum(1)) : null;

        var ids = tokens.masked_fill(isPadding, paddingRow);                            // pad -> row 256
        Tensor x;
        if (UseFusedTokenReduction)
        {
            if (tap is not null) tap("embeddings", embeddings.call(ids));
            x = FusedTokenReduction.Apply(ids, TokenTable(), cfg.ConvStride);           // [B, N1, C]
        }
        else
        {
            x = embeddings.call(ids);                                                   // [B, N, C]
            tap?.Invoke("embeddings", x);
            x = token_reduction_net.call(x.permute(0, 2, 1).contiguous()).permute(0, 2, 1); // [B, N1, C]
        }
        tap?.Invoke("token_reduction", x);
        tap?.Invoke("token_reduction.mask", PaddingMask(lengths, x));
        if (pos_embed is not null) x = x.Plus(pos_embed.call(convTokens));
        tap?.Invoke("backbone_input", x);
        x = emb_dropout.call(x);

        for (var i = 0; i < cfg.NTransformerLayers; i++)
        {
            x = transformer[i].Forward(x, lengths, tap, $"block_{i}");
            if (!cfg.Downsample[i]) continue;
            (x, lengths) = downsamplers[$"downsample_{i}"].Forward(x, lengths);
            tap?.Invoke($"downsample_{i}.out", x);
            tap?.Invoke($"downsample_{i}.mask", PaddingMask(lengths, x));
        }
        x = post_transformer_norm.call(x);
        tap?.Invoke("final_norm", x);
        return x;
    }

    /// <summary>Mean pooling (over valid tokens in masked semantics, over all in CoreNet's) and the classifier.</summary>
    public Tensor ForwardHead(Tensor features, Tensor? lengths)
    {
        Tensor pooled;
        if (lengths is null)
            pooled = features.mean([1]);                                                // §1.2 step 9: plain mean
        else
        {
            var valid = WindowPartition.ValidMask(lengths, features.shape[1]).unsqueeze(-1).to(features.dtype);
            pooled = (features * valid).sum(1) / lengths.unsqueeze(1).to(features.dtype);
        }
        Tap?.Invoke("pooled", pooled);
        var logits = classifier.call(pooled);
        Tap?.Invoke("logits", logits);
        return logits;
    }

    /// <summary>The fused token-reduction table for the current weights (cached in inference).</summary>
    private Tensor TokenTable()
    {
        var inference = !training && !is_grad_enabled();
        if (inference && cachedTable is not null) return cachedTable;
        // The padding row takes no gradient, as nn.Embedding's padding_idx has it in the plain path.
        var e = embeddings.weight!;
        var pad = Config.VocabSize - 1;
        var weights = cat([e.narrow(0, 0, pad), e.narrow(0, pad, 1).detach()], 0);
        var table = FusedTokenReduction.BuildTable(weights, token_reduction_net.weight!);
        if (!inference) return table;
        cachedTable = table.detach().DetachFromDisposeScope();
        return cachedTable;
    }

    /// <summary>Forgets cached values derived from the weights; call after changing weights in place.</summary>
    public override void InvalidateCaches()
    {
        cachedTable?.Dispose();
        cachedTable = null;
    }

    /// <summary>Training mode when <paramref name="on"/>, else eval mode; drops the cached look-up table first.</summary>
    public override void train(bool on = true)
    {
        InvalidateCaches();
        base.train(on);
    }

    /// <summary>Frees the cached look-up table with the module's tensors.</summary>
    protected override void Dispose(bool disposing)
    {
        if (disposing) InvalidateCaches();
        base.Dispose(disposing);
    }

    /// <summary>Conv tokens made only of real bytes: floor((L - k) / s) + 1, at least 1.</summary>
    private Tensor TokenLengths(Tensor byteLengths)
    {
        using var k = Config.ConvKernelSize.ToScalar();
        using var zero = 0.ToScalar();
        using var stride = Config.ConvStride.ToScalar();
        using var one = 1.ToScalar();
        return (byteLengths - k).clamp_min(zero).div(stride, RoundingMode.floor).Plus(one);
    }

    /// <summary>CoreNet's float mask layout (0 keep, -inf padding) for tapping; all zeros in CoreNet semantics.</summary>
    private static Tensor PaddingMask(Tensor? lengths, Tensor x)
    {
        if (lengths is null) return zeros(x.shape[0], x.shape[1], device: x.device);
        var valid = WindowPartition.ValidMask(lengths, x.shape[1]);
        using var negativeInfinity = float.NegativeInfinity.ToScalar();
        return zeros(x.shape[0], x.shape[1], device: x.device).masked_fill(valid.logical_not(), negativeInfinity);
    }
}

using System.Text.Json;
using System.Text.Json.Serialization;

namespace ByteFormer.Model;

/// <summary>
/// Everything that defines a ByteFormer network. The first group of fields maps one-to-one to CoreNet's
/// <c>model.classification.byteformer.*</c> options (same names in JSON); the second group is the size
/// dictionary that CoreNet's <c>get_configuration(mode)</c> returns; <see cref="Semantics"/> is ours.
/// Sizes live in exactly one place: <see cref="Preset"/>.
/// </summary>
public sealed record ByteFormerConfig
{
    // ---- model.classification.byteformer.* ----------------------------------------------------------
    /// <summary>CoreNet mode (tiny, small, base, huge), one of this project's CPU presets, or "custom".</summary>
    [JsonPropertyName("mode")] public string Mode { get; init; } = "custom";
    /// <summary>256 byte values plus the padding row (index 256).</summary>
    [JsonPropertyName("vocab_size")] public int VocabSize { get; init; } = 257;
    /// <summary>Rows of the learned positional table: the most tokens the Conv1d may produce.</summary>
    [JsonPropertyName("max_num_tokens")] public int MaxNumTokens { get; init; } = 10_000;
    /// <summary>Token-reduction Conv1d kernel k; the stride is k/2.</summary>
    [JsonPropertyName("conv_kernel_size")] public int ConvKernelSize { get; init; } = 16;
    /// <summary>One window size per layer, or a single value used for every layer.</summary>
    [JsonPropertyName("window_sizes")] public int[] WindowSizes { get; init; } = [128];
    /// <summary>Window shift per layer (n_transformer_layers entries).</summary>
    [JsonPropertyName("window_shifts")] public int[] WindowShifts { get; init; } = [0, 64, 0, 64, 0, 64, 0, 64, 0, 64, 0, 64];
    /// <summary>Token merging after block i when true (n_transformer_layers entries).</summary>
    [JsonPropertyName("downsample")] public bool[] Downsample { get; init; } = [true, true, false, true, false, true, false, true, false, true, false, false];
    /// <summary>Embedding dropout and the blocks' residual dropout.</summary>
    [JsonPropertyName("dropout")] public double Dropout { get; init; }
    /// <summary>Drop-path rate of the last block; block i uses linspace(0, p, L)[i] rounded to 3 decimals.</summary>
    [JsonPropertyName("stochastic_dropout")] public double StochasticDropout { get; init; }
    /// <summary>Only "layer_norm" exists.</summary>
    [JsonPropertyName("norm_layer")] public string NormLayer { get; init; } = "layer_norm";
    /// <summary>CoreNet's fixed sin/cos table; not supported here (no released checkpoint uses it).</summary>
    [JsonPropertyName("sinusoidal_pos_emb")] public bool SinusoidalPosEmb { get; init; }
    /// <summary>Defined by CoreNet but never read by its model; kept so a config round-trips.</summary>
    [JsonPropertyName("use_pytorch_mha")] public bool UsePytorchMha { get; init; }
    /// <summary>Pad value the collate function writes; the model maps it to row <c>VocabSize-1</c>.</summary>
    [JsonPropertyName("padding_index")] public int PaddingIndex { get; init; } = -1;
    /// <summary>Only used by CoreNet for FLOP estimates; kept so a config round-trips.</summary>
    [JsonPropertyName("dummy_input_token_length")] public int DummyInputTokenLength { get; init; } = 48_564;
    /// <summary><c>model.classification.n_classes</c>.</summary>
    [JsonPropertyName("n_classes")] public int NClasses { get; init; } = 1000;
    /// <summary><c>model.activation.name</c>; only "gelu" (exact erf form).</summary>
    [JsonPropertyName("activation")] public string Activation { get; init; } = "gelu";

    // ---- get_configuration(mode) ---------------------------------------------------------------------
    /// <summary>Token width C: embedding, Conv1d channels and every block's width.</summary>
    [JsonPropertyName("embed_dim")] public int EmbedDim { get; init; } = 192;
    /// <summary>Number of transformer blocks L; the per-layer lists have this many entries.</summary>
    [JsonPropertyName("n_transformer_layers")] public int NTransformerLayers { get; init; } = 12;
    /// <summary>Attention heads per block; must divide <see cref="EmbedDim"/>.</summary>
    [JsonPropertyName("n_attn_heads")] public int NAttnHeads { get; init; } = 3;
    /// <summary>Hidden width F of each block's feed-forward network.</summary>
    [JsonPropertyName("ffn_dim")] public int FfnDim { get; init; } = 768;
    /// <summary>Dropout on the attention weights, in [0, 1); applied only in training.</summary>
    [JsonPropertyName("attn_dropout")] public double AttnDropout { get; init; }
    /// <summary>Dropout after the feed-forward network's GELU, in [0, 1).</summary>
    [JsonPropertyName("ffn_dropout")] public double FfnDropout { get; init; }

    // ---- ours ----------------------------------------------------------------------------------------
    /// <summary>Reference-exact or masked attention; see <see cref="AttentionSemantics"/>.</summary>
    [JsonPropertyName("attention_semantics")] public AttentionSemantics Semantics { get; init; } = AttentionSemantics.Masked;
    /// <summary>Learned absolute positions (CoreNet's), none, or a relative bias inside the windows; see <see cref="PositionEncoding"/>.</summary>
    [JsonPropertyName("position_encoding")] public PositionEncoding Positions { get; init; } = PositionEncoding.Learned;

    /// <summary>Conv1d stride (k/2, as CoreNet).</summary>
    [JsonIgnore] public int ConvStride => Math.Max(1, ConvKernelSize / 2);
    /// <summary>Features per attention head.</summary>
    [JsonIgnore] public int HeadDim => EmbedDim / NAttnHeads;
    /// <summary>Number of token-merging steps.</summary>
    [JsonIgnore] public int MergeCount => Downsample.Count(d => d);
    /// <summary>The most bytes the model reads, (max_num_tokens − 1) · stride + kernel: longer files are cut to their first bytes.</summary>
    [JsonIgnore] public long ByteBudget => (long)(MaxNumTokens - 1) * ConvStride + ConvKernelSize;

    /// <summary>Window size of layer <paramref name="layer"/> (a single entry applies to all).</summary>
    public int WindowSize(int layer) => WindowSizes.Length == 1 ? WindowSizes[0] : WindowSizes[layer];

    /// <summary>Drop-path rate of each layer, as CoreNet: linspace(0, p, L) rounded to 3 decimals.</summary>
    public double DropPathRate(int layer) => NTransformerLayers <= 1
        ? Math.Round(StochasticDropout, 3)
        : Math.Round(StochasticDropout * layer / (NTransformerLayers - 1), 3);

    /// <summary>Names accepted by <see cref="Preset"/>: CoreNet's modes, then this project's CPU sizes.</summary>
    public static IReadOnlyList<string> PresetNames { get; } = ["tiny", "small", "base", "huge", "nano", "micro"];

    /// <summary>
    /// A named size. tiny/small/base/huge are CoreNet's modes with CoreNet's defaults (k 16, 10,000
    /// positions, 1000 classes); huge gets 32-entry per-layer lists, which CoreNet lacks. nano and micro
    /// are sized for this project's 2-core CPU experiments on files of about 1–16 KB.
    /// </summary>
    public static ByteFormerConfig Preset(string name)
    {
        var baseConfig = new ByteFormerConfig();
        return name.ToLowerInvariant() switch
        {
            "tiny" => baseConfig with { Mode = "tiny", EmbedDim = 192, NTransformerLayers = 12, NAttnHeads = 3, FfnDim = 768 },
            "small" => baseConfig with { Mode = "small", EmbedDim = 384, NTransformerLayers = 12, NAttnHeads = 6, FfnDim = 1536 },
            "base" => baseConfig with { Mode = "base", EmbedDim = 768, NTransformerLayers = 12, NAttnHeads = 12, FfnDim = 3072 },
            "huge" => baseConfig with
            {
                Mode = "huge", EmbedDim = 1280, NTransformerLayers = 32, NAttnHeads = 20, FfnDim = 5120,
                WindowShifts = Enumerable.Range(0, 32).Select(i => i % 2 == 0 ? 0 : 64).ToArray(),
                // Six merges, as the 12-layer default: two early (long sequences are the costly ones),
                // then one every six blocks, leaving the last six blocks at the final length.
                Downsample = Enumerable.Range(0, 32).Select(i => i is 0 or 1 or 7 or 13 or 19 or 25).ToArray(),
            },
            "nano" => baseConfig with
            {
                Mode = "nano", EmbedDim = 64, NTransformerLayers = 4, NAttnHeads = 1, FfnDim = 256,
                ConvKernelSize = 8, MaxNumTokens = 4096, NClasses = 10,
                WindowSizes = [32], WindowShifts = [0, 16, 0, 16], Downsample = [true, false, true, false],
            },
            "micro" => baseConfig with
            {
                Mode = "micro", EmbedDim = 128, NTransformerLayers = 6, NAttnHeads = 2, FfnDim = 512,
                ConvKernelSize = 8, MaxNumTokens = 4096, NClasses = 10,
                WindowSizes = [32], WindowShifts = [0, 16, 0, 16, 0, 16], Downsample = [true, false, true, false, true, false],
            },
            _ => throw new ConfigurationException(
                $"unknown ByteFormer preset '{name}' (expected one of: {string.Join(", ", PresetNames)})"),
        };
    }

    private static readonly JsonSerializerOptions Json = new()
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    /// <summary>As JSON (CoreNet option names, plus the size fields and attention_semantics).</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Parses <see cref="ToJson"/>'s output and validates it; throws <see cref="JsonException"/> if unreadable.</summary>
    public static ByteFormerConfig FromJson(string json) =>
        (JsonSerializer.Deserialize<ByteFormerConfig>(json, Json) ?? throw new JsonException("empty configuration")).Validate();

    /// <summary>Throws <see cref="ConfigurationException"/> naming the first field that cannot work.</summary>
    public ByteFormerConfig Validate()
    {
        void Require(bool ok, string message)
        {
            if (!ok) throw new ConfigurationException("invalid ByteFormer configuration: " + Interop.Printable.Of(message, 400));
        }
        Require(EmbedDim > 0 && NTransformerLayers > 0 && NAttnHeads > 0 && FfnDim > 0, "sizes must be positive");
        Require(EmbedDim % NAttnHeads == 0, $"embed_dim {EmbedDim} is not divisible by n_attn_heads {NAttnHeads}");
        Require(VocabSize == 257, $"vocab_size must be 257 (256 byte values + padding), got {VocabSize}");
        Require(ConvKernelSize >= 2, $"conv_kernel_size must be at least 2, got {ConvKernelSize}");
        Require(MaxNumTokens > 0, $"max_num_tokens must be positive, got {MaxNumTokens}");
        Require(NClasses > 0, $"n_classes must be positive, got {NClasses}");
        Require(WindowSizes.Length == 1 || WindowSizes.Length == NTransformerLayers,
            $"window_sizes has {WindowSizes.Length} entries; expected 1 or n_transformer_layers ({NTransformerLayers})");
        Require(WindowSizes.All(w => w > 0), "window sizes must be positive");
        Require(WindowShifts.Length == NTransformerLayers,
            $"window_shifts has {WindowShifts.Length} entries; expected n_transformer_layers ({NTransformerLayers})");
        Require(Downsample.Length == NTransformerLayers,
            $"downsample has {Downsample.Length} entries; expected n_transformer_layers ({NTransformerLayers})");
        for (var i = 0; i < NTransformerLayers; i++)
            Require(WindowShifts[i] >= 0 && WindowShifts[i] < WindowSize(i),
                $"window shift {WindowShifts[i]} of layer {i} must be in [0, window size {WindowSize(i)})");
        Require(NormLayer == "layer_norm", $"norm_layer '{NormLayer}' is not supported (only layer_norm)");
        Require(Activation == "gelu", $"activation '{Activation}' is not supported (only gelu)");
        Require(Positions == PositionEncoding.Learned || Semantics == AttentionSemantics.Masked,
            $"position_encoding {Positions.ToString().ToLowerInvariant()} needs masked attention semantics (CoreNet's checkpoints use learned positions)");
        Require(!SinusoidalPosEmb, "sinusoidal_pos_emb is not supported (no released ByteFormer uses it)");
        Require(Dropout is >= 0 and < 1 && AttnDropout is >= 0 and < 1 && FfnDropout is >= 0 and < 1
                && StochasticDropout is >= 0 and < 1, "dropout rates must be in [0, 1)");
        return this;
    }

    /// <summary>Parameter count by the closed form of byteformer.md §2, generalised to any FFN width and merge count.</summary>
    public ParameterCounts CountParameters()
    {
        long c = EmbedDim, f = FfnDim;
        long perBlock = 2 * c + (3 * c * c + 3 * c) + (c * c + c) + 2 * c + (c * f + f) + (f * c + c);
        var relative = Positions == PositionEncoding.Relative
            ? Enumerable.Range(0, NTransformerLayers).Sum(i => (long)NAttnHeads * (2 * WindowSize(i) - 1))
            : 0;
        return new ParameterCounts(
            Embedding: (long)VocabSize * c,
            TokenReduction: c * c * ConvKernelSize,
            PositionalTable: Positions == PositionEncoding.Learned ? (long)MaxNumTokens * c : 0,
            Blocks: NTransformerLayers * perBlock,
            TokenMerging: MergeCount * (2 * c * c + 2 * c),
            FinalNorm: 2 * c,
            Classifier: (c + 1) * NClasses,
            RelativePositions: relative);
    }
}

/// <summary>Parameters of each part of the network.</summary>
/// <param name="Embedding">The byte embedding, 257 × C.</param>
/// <param name="TokenReduction">The Conv1d, C × C × k (no bias).</param>
/// <param name="PositionalTable">The learned positions, max_num_tokens × C (0 without a table).</param>
/// <param name="Blocks">All transformer blocks: LayerNorms, attention and feed-forward.</param>
/// <param name="TokenMerging">All token-merging steps: Linear(2C, C) and LayerNorm each.</param>
/// <param name="FinalNorm">The final LayerNorm, 2C.</param>
/// <param name="Classifier">The linear head, (C + 1) × n_classes.</param>
/// <param name="RelativePositions">The relative position biases of all blocks, heads × (2w − 1) each (0 unless relative).</param>
public sealed record ParameterCounts(long Embedding, long TokenReduction, long PositionalTable, long Blocks,
    long TokenMerging, long FinalNorm, long Classifier, long RelativePositions = 0)
{
    /// <summary>All parameters: the sum of the parts.</summary>
    public long Total => Embedding + TokenReduction + PositionalTable + Blocks + TokenMerging + FinalNorm + Classifier + RelativePositions;
}

using System.Text.Json;
using System.Text.Json.Serialization;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace ByteFormer.Model;

/// <summary>
/// Size of the pixel-space baseline: a plain ViT on H×W×C images given as raw fHWC bytes (the decoded
/// pixels, one byte per channel). Width, depth, heads and MLP size default to the <c>micro</c> ByteFormer's,
/// so the two compare at equal width and depth (the paper's ByteFormer-versus-DeiT comparison).
/// </summary>
public sealed record PixelVitConfig
{
    /// <summary>Image height H in pixels; a multiple of <see cref="PatchSize"/>.</summary>
    [JsonPropertyName("height")] public int Height { get; init; } = 28;
    /// <summary>Image width W in pixels; a multiple of <see cref="PatchSize"/>.</summary>
    [JsonPropertyName("width")] public int Width { get; init; } = 28;
    /// <summary>Bytes per pixel: 1 gray, 3 RGB.</summary>
    [JsonPropertyName("channels")] public int Channels { get; init; } = 1;
    /// <summary>Side P of the square patches, in pixels.</summary>
    [JsonPropertyName("patch_size")] public int PatchSize { get; init; } = 4;
    /// <summary>Token width C; must be a multiple of <see cref="NAttnHeads"/>.</summary>
    [JsonPropertyName("embed_dim")] public int EmbedDim { get; init; } = 128;
    /// <summary>Number of transformer blocks.</summary>
    [JsonPropertyName("n_transformer_layers")] public int NTransformerLayers { get; init; } = 6;
    /// <summary>Attention heads per block.</summary>
    [JsonPropertyName("n_attn_heads")] public int NAttnHeads { get; init; } = 2;
    /// <summary>Hidden width of each block's MLP.</summary>
    [JsonPropertyName("ffn_dim")] public int FfnDim { get; init; } = 512;
    /// <summary>Number of classes (the logits' width).</summary>
    [JsonPropertyName("n_classes")] public int NClasses { get; init; } = 10;

    /// <summary>Bytes per image: H·W·C.</summary>
    [JsonIgnore] public int ImageBytes => Height * Width * Channels;

    /// <summary>Patches per image.</summary>
    [JsonIgnore] public int Patches => Height / PatchSize * (Width / PatchSize);

    /// <summary>The baseline for a ByteFormer of the given size: same width, depth, heads and MLP.</summary>
    public static PixelVitConfig MatchingWidthAndDepth(ByteFormerConfig config, int height, int width, int channels) => new()
    {
        Height = height, Width = width, Channels = channels, EmbedDim = config.EmbedDim,
        NTransformerLayers = config.NTransformerLayers, NAttnHeads = config.NAttnHeads, FfnDim = config.FfnDim,
        NClasses = config.NClasses,
    };

    /// <summary>Throws <see cref="ConfigurationException"/> naming the first field that cannot work.</summary>
    public PixelVitConfig Validate()
    {
        void Require(bool ok, string message)
        {
            if (!ok) throw new ConfigurationException("invalid pixel ViT configuration: " + message);
        }
        Require(Height > 0 && Width > 0 && Channels > 0, "height, width and channels must be positive");
        Require(PatchSize > 0 && Height % PatchSize == 0 && Width % PatchSize == 0, $"patch_size {PatchSize} must divide {Height}×{Width}");
        Require(EmbedDim > 0 && NAttnHeads > 0 && EmbedDim % NAttnHeads == 0, "embed_dim must be a positive multiple of n_attn_heads");
        Require(NTransformerLayers > 0 && FfnDim > 0 && NClasses > 0, "layers, ffn_dim and n_classes must be positive");
        return this;
    }

    private static readonly JsonSerializerOptions Json = new() { UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow };

    /// <summary>As JSON (the snake_case names above).</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Parses <see cref="ToJson"/>'s output and validates it; throws <see cref="JsonException"/> if unreadable.</summary>
    public static PixelVitConfig FromJson(string json) =>
        (JsonSerializer.Deserialize<PixelVitConfig>(json, Json) ?? throw new JsonException("empty configuration")).Validate();
}

/// <summary>
/// The pixel-space baseline: a ViT (pre-norm blocks, learned positions, mean pooling, final LayerNorm, linear
/// head, as ByteFormer has) over non-overlapping P×P patches of an image given as raw fHWC bytes. It reads
/// the first H·W·C bytes of its input as pixels scaled to [-1, 1]; missing bytes count as black.
/// </summary>
public sealed class PixelVisionTransformer : ByteClassifier
{
    private readonly Linear patch_embed;
    private readonly Parameter pos_embed;
    private readonly ModuleList<ViTBlock> blocks;
    private readonly LayerNorm norm;
    private readonly Linear classifier;

    /// <summary>The configuration this network was built from.</summary>
    public PixelVitConfig Config { get; }

    /// <summary>Builds a freshly initialised network: Xavier-uniform linears, positions truncated-normal with std 0.02.</summary>
    public PixelVisionTransformer(PixelVitConfig config) : base(nameof(PixelVisionTransformer))
    {
        Config = config.Validate();
        int c = config.EmbedDim, p = config.PatchSize;
        patch_embed = nn.Linear(p * p * config.Channels, c);
        pos_embed = nn.Parameter(empty(1, config.Patches, c));
        blocks = new ModuleList<ViTBlock>();
        for (var i = 0; i < config.NTransformerLayers; i++) blocks.Add(new ViTBlock(c, config.NAttnHeads, config.FfnDim));
        norm = nn.LayerNorm(c);
        classifier = nn.Linear(c, config.NClasses);
        Init.TruncNormal(pos_embed, 0.02);
        foreach (var linear in new[] { patch_embed, classifier }.Concat(blocks.SelectMany(b => b.Linears))) Init.XavierLinear(linear);
        RegisterComponents();
    }

    /// <summary>Always "pixel-vit".</summary>
    public override string Architecture => "pixel-vit";
    /// <summary><see cref="PixelVitConfig.NClasses"/>.</summary>
    public override int NClasses => Config.NClasses;
    /// <summary>One whole image, H·W·C bytes.</summary>
    public override int MinimumBytes => Config.ImageBytes;
    /// <summary>One whole image, H·W·C bytes; later bytes are not read.</summary>
    public override long ByteBudget => Config.ImageBytes;
    /// <summary><see cref="PixelVitConfig.ToJson"/> of <see cref="Config"/>.</summary>
    public override string ConfigJson() => Config.ToJson();
    /// <summary>A freshly initialised <see cref="PixelVisionTransformer"/> of <see cref="Config"/>.</summary>
    public override ByteClassifier CreateSibling() => new PixelVisionTransformer(Config);

    /// <summary>Logits [B, n_classes] for byte values [B, N] (int64, N ≥ H·W·C); the first H·W·C bytes are the pixels, and padding (-1) reads as black.</summary>
    public override Tensor forward(Tensor tokens)
    {
        if (tokens.dim() != 2)
            throw new ArgumentException($"expected byte values of shape [batch, length], got [{string.Join(", ", tokens.shape)}]");
        var cfg = Config;
        long b = tokens.shape[0];
        int p = cfg.PatchSize, gh = cfg.Height / p, gw = cfg.Width / p;
        using var zero = 0.ToScalar();
        using var scale = (2.0 / 255.0).ToScalar();
        using var shift = (-1.0).ToScalar();
        var pixels = tokens.narrow(1, 0, cfg.ImageBytes).clamp_min(zero).to(float32).mul(scale).Plus(shift);
        var patches = pixels.view(b, gh, p, gw, p, cfg.Channels).permute(0, 1, 3, 2, 4, 5)
            .reshape(b, gh * gw, p * p * cfg.Channels);                                // [B, T, p·p·C]
        var x = patch_embed.call(patches).Plus(pos_embed);
        foreach (var block in blocks) x = block.call(x);
        return classifier.call(norm.call(x.mean([1])));
    }

    /// <summary>Pre-norm block: x + MHA(LN(x)), then x + MLP(LN(x)) with GELU.</summary>
    private sealed class ViTBlock : nn.Module<Tensor, Tensor>
    {
        private readonly LayerNorm norm1;
        private readonly Linear qkv;
        private readonly Linear proj;
        private readonly LayerNorm norm2;
        private readonly Linear fc1;
        private readonly Linear fc2;
        private readonly int heads;

        public ViTBlock(int c, int heads, int ffn) : base(nameof(ViTBlock))
        {
            this.heads = heads;
            norm1 = nn.LayerNorm(c);
            qkv = nn.Linear(c, 3 * c);
            proj = nn.Linear(c, c);
            norm2 = nn.LayerNorm(c);
            fc1 = nn.Linear(c, ffn);
            fc2 = nn.Linear(ffn, c);
            RegisterComponents();
        }

        public IEnumerable<Linear> Linears => [qkv, proj, fc1, fc2];

        public override Tensor forward(Tensor x)
        {
            long b = x.shape[0], n = x.shape[1], c = x.shape[2];
            var q = qkv.call(norm1.call(x)).view(b, n, 3, heads, c / heads).permute(2, 0, 3, 1, 4);
            var attended = F.scaled_dot_product_attention(q[0], q[1], q[2]).transpose(1, 2).reshape(b, n, c);
            x = x.Plus(proj.call(attended));
            return x.Plus(fc2.call(F.gelu(fc1.call(norm2.call(x)))));
        }
    }
}

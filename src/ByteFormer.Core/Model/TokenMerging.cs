using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ByteFormer.Model;

/// <summary>
/// Halves the sequence by merging neighbouring tokens (byteformer.md §1.4): an odd length gets one zero
/// token; the pair's 2C features are interleaved by channel (c0 of token 2j, c0 of token 2j+1, c1 of 2j, ...),
/// as CoreNet's unfold lays them out; then <c>reduction</c> Linear(2C, C, no bias) and <c>norm</c> LayerNorm.
/// </summary>
public sealed class TokenMerging : nn.Module<Tensor, Tensor>
{
    private readonly Linear reduction;
    private readonly ReferenceLayerNorm norm;

    /// <summary>Builds <c>reduction</c> (Xavier-initialised) and <c>norm</c> for width <see cref="ByteFormerConfig.EmbedDim"/>.</summary>
    public TokenMerging(ByteFormerConfig config) : base(nameof(TokenMerging))
    {
        reduction = nn.Linear(2L * config.EmbedDim, config.EmbedDim, hasBias: false);
        norm = new ReferenceLayerNorm(config.EmbedDim, config.Semantics == AttentionSemantics.Corenet);
        RegisterComponents();
        Init.XavierLinear(reduction);
    }

    /// <summary>Merges tokens [B, N, C] into [B, ceil(N/2), C], with no padding masked.</summary>
    public override Tensor forward(Tensor x) => Forward(x, null).Merged;

    /// <summary>Merges tokens [B, N, C] into [B, ceil(N/2), C].</summary>
    /// <param name="x">Tokens [B, N, C].</param>
    /// <param name="lengths">Valid tokens per row (masked semantics): padding is zeroed first, so a pair
    /// that straddles the end merges with a zero token exactly as an odd-length sequence alone does.</param>
    public (Tensor Merged, Tensor? Lengths) Forward(Tensor x, Tensor? lengths)
    {
        long b = x.shape[0], n = x.shape[1], c = x.shape[2];
        if (lengths is not null)
            x = x * WindowPartition.ValidMask(lengths, n).unsqueeze(-1).to(x.dtype);
        if (n % 2 == 1)
            x = nn.functional.pad(x, [0, 0, 0, 1]);
        var pairs = x.unfold(1, 2, 2).reshape(b, (n + 1) / 2, 2 * c);            // [B, N/2, 2C] interleaved
        var merged = norm.call(reduction.call(pairs));
        if (lengths is null) return (merged, null);
        using var one = 1.ToScalar();
        using var two = 2.ToScalar();
        return (merged, lengths.Plus(one).div(two, RoundingMode.floor));
    }
}

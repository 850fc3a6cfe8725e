using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace ByteFormer.Model;

/// <summary>
/// LayerNorm over the last axis (eps 1e-5, affine), optionally with CoreNet's channel-first quirk
/// (byteformer.md §1.5): when the input has more than two axes and axis 1 has the normalised size, CoreNet
/// normalises over axis 1 instead, as <c>(x - mean) / (std + eps)</c> with the biased std. This fires when
/// a sequence length equals the embedding width, so it only exists in <see cref="AttentionSemantics.Corenet"/>.
/// </summary>
public sealed class ReferenceLayerNorm : nn.Module<Tensor, Tensor>
{
    private const double Eps = 1e-5;
    private readonly TorchSharp.Modules.Parameter weight;
    private readonly TorchSharp.Modules.Parameter bias;
    private readonly long features;
    private readonly bool channelFirstQuirk;

    /// <summary>LayerNorm of width <paramref name="features"/> (weight ones, bias zeros); <paramref name="channelFirstQuirk"/>
    /// turns on CoreNet's channel-first branch (true only in <see cref="AttentionSemantics.Corenet"/>).</summary>
    public ReferenceLayerNorm(long features, bool channelFirstQuirk) : base(nameof(ReferenceLayerNorm))
    {
        this.features = features;
        this.channelFirstQuirk = channelFirstQuirk;
        weight = nn.Parameter(ones(features));
        bias = nn.Parameter(zeros(features));
        RegisterComponents();
    }

    /// <summary>Whether <paramref name="x"/> takes CoreNet's channel-first branch.</summary>
    public bool TakesChannelFirstBranch(Tensor x) => channelFirstQuirk && x.dim() > 2 && x.shape[1] == features;

    /// <summary>Normalises <paramref name="x"/> [..., C] over its last axis, or over axis 1 where <see cref="TakesChannelFirstBranch"/>; same shape out.</summary>
    public override Tensor forward(Tensor x)
    {
        if (!TakesChannelFirstBranch(x))
            return F.layer_norm(x, [features], weight, bias, Eps);
        var (std, mean) = x.std_mean(1, unbiased: false, keepdim: true);
        var shape = new long[x.dim()];
        Array.Fill(shape, 1L);
        shape[1] = features;
        using var eps = Eps.ToScalar();
        return ((x - mean) / std.Plus(eps) * weight.reshape(shape)).Plus(bias.reshape(shape));
    }
}

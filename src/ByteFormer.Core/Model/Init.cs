using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ByteFormer.Model;

/// <summary>The initialisations CoreNet's ByteFormer really uses (byteformer.md §1.6).</summary>
internal static class Init
{
    /// <summary>Xavier-uniform weight, zero bias: every CoreNet <c>LinearLayer</c>.</summary>
    public static void XavierLinear(Linear linear)
    {
        using var _ = no_grad();
        nn.init.xavier_uniform_(linear.weight);
        linear.bias?.zero_();
    }

    /// <summary>
    /// Truncated normal N(0, std²) on absolute bounds [-2, 2], as torch's <c>trunc_normal_</c> defaults, by
    /// torch's own method (inverse CDF of a uniform draw). TorchSharp 0.107's <c>nn.init.trunc_normal_</c> is
    /// not used: it fills a constant (and sometimes NaN).
    /// </summary>
    public static void TruncNormal(Tensor t, double std, double lower = -2.0, double upper = 2.0)
    {
        using var _ = no_grad();
        double Cdf(double x)
        {
            using var v = tensor(x / Math.Sqrt(2.0), ScalarType.Float64);
            return (1.0 + v.erf().item<double>()) / 2.0;
        }
        double lo = Cdf(lower / std), hi = Cdf(upper / std);
        t.uniform_(2 * lo - 1, 2 * hi - 1);
        t.erfinv_();
        using var scale = (std * Math.Sqrt(2.0)).ToScalar();                   // explicit: see Training.AdamW's remarks
        using var min = lower.ToScalar();
        using var max = upper.ToScalar();
        t.mul_(scale);
        t.clamp_(min, max);
    }
}

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

    /// <summary>Truncated normal with absolute bounds [-2, 2], as torch's <c>trunc_normal_</c> defaults.</summary>
    public static void TruncNormal(Tensor t, double std)
    {
        using var _ = no_grad();
        nn.init.trunc_normal_(t, 0.0, std, -2.0, 2.0);
    }
}

using TorchSharp;
using static TorchSharp.torch;

namespace ByteFormer.Model;

/// <summary>
/// Addition with an alpha that cannot be finalised mid-call. TorchSharp's <c>a + b</c> passes <c>alpha = 1</c> as a Scalar made on the fly; nothing references it once its handle is
/// read, so the GC may finalise (free) it while libtorch still reads it, and the op fails with "Unknown
/// scalar type" or "Expected false to be true" from <c>Scalar::toFloat</c> (seen in training and in
/// batched prediction). A static Scalar is rooted for the life of the process.
/// </summary>
internal static class TensorArithmetic
{
    private static readonly Scalar One = 1.ToScalar();

    /// <summary>The rooted alpha of 1, for in-place additions (<c>add_(b, OneScalar)</c>).</summary>
    public static Scalar OneScalar => One;

    /// <summary><paramref name="a"/> + <paramref name="b"/>.</summary>
    public static Tensor Plus(this Tensor a, Tensor b) => a.add(b, One);

    /// <summary><paramref name="a"/> + <paramref name="b"/> for a scalar kept alive by the caller.</summary>
    public static Tensor Plus(this Tensor a, Scalar b) => a.add(b, One);
}

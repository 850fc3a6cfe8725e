using static TorchSharp.torch;

namespace ByteFormer.Model;

/// <summary>
/// Byte embedding followed by the bias-free token-reduction Conv1d, computed as table look-ups. The input
/// alphabet has 257 symbols, so with E the embedding [257, C] and W_j the kernel's j-th slice [C_out, C_in],
/// the tables T_j = E·W_jᵀ [257, C] give every output token as t = Σ_j T_j[x(t·s + j)]. Building T costs
/// 257·C²·k once instead of C²·k per output token; the sum is a gather. Autograd flows through the
/// gather to T and from T to E and W, so training uses it too.
/// </summary>
public static class FusedTokenReduction
{
    /// <summary>
    /// Most elements of one gathered block [B·N1, taps, C]. Gathering many taps in one call and summing
    /// them is 2.3× faster forward and backward than one gather and add per tap (16 KB audio, k 128,
    /// batch 32; bench/ByteFormer.Benchmarks); the cap keeps the block near 128 MB whatever k and B are.
    /// </summary>
    public const long MaxGatherElements = 32L << 20;

    /// <summary>T [k, 257, C_out] from the embedding [257, C_in] and the conv kernel [C_out, C_in, k].</summary>
    public static Tensor BuildTable(Tensor embedding, Tensor kernel) =>
        matmul(embedding.unsqueeze(0), kernel.permute(2, 1, 0));                   // [k, 257, C_out]

    /// <summary>Conv tokens [B, N1, C] for embedding indices [B, N].</summary>
    /// <param name="ids">Embedding indices [B, N], 0..256 (256: padding).</param>
    /// <param name="table">The table from <see cref="BuildTable"/>.</param>
    /// <param name="stride">The conv's stride (k/2).</param>
    /// <param name="maxGatherElements">Cap on one gathered block (tests use a small one to split the taps).</param>
    public static Tensor Apply(Tensor ids, Tensor table, int stride, long maxGatherElements = MaxGatherElements)
    {
        long b = ids.shape[0], k = table.shape[0], rows = table.shape[1], c = table.shape[2];
        using var flat = table.reshape(k * rows, c);                               // tap j's rows start at j·257
        using var windows = ids.unfold(1, k, stride);                              // [B, N1, k]
        long n1 = windows.shape[1], tokens = b * n1;
        using var offsets = arange(k, dtype: ScalarType.Int64, device: ids.device).mul_(rows);
        // Plus, not add: add's on-the-fly alpha Scalar can be finalised mid-call (TensorArithmetic), which on these int64
        // indices failed with "for integral input tensors, argument alpha must not be a floating point number".
        using var index = windows.Plus(offsets).reshape(tokens, k);               // [B·N1, k] rows of flat
        var taps = Math.Clamp(maxGatherElements / Math.Max(1, tokens * c), 1, k);
        Tensor? sum = null;
        for (long j = 0; j < k; j += taps)
        {
            var n = Math.Min(taps, k - j);
            using var block = index.narrow(1, j, n).reshape(-1);
            using var gathered = flat.index_select(0, block);                      // [B·N1·n, C]
            using var view = gathered.view(tokens, n, c);
            var part = view.sum(1);
            if (sum is null)
            {
                sum = part;
                continue;
            }
            sum.add_(part, TensorArithmetic.OneScalar);
            part.Dispose();
        }
        return sum!.view(b, n1, c);
    }
}

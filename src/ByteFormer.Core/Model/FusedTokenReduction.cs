using static TorchSharp.torch;

namespace ByteFormer.Model;

/// <summary>
/// Byte embedding followed by the bias-free token-reduction Conv1d, computed as table look-ups. The input
/// alphabet has 257 symbols, so with E the embedding [257, C] and W_j the kernel's j-th slice [C_out, C_in],
/// the tables T_j = E·W_jᵀ [257, C] give every output token as t = Σ_j T_j[x(t·s + j)]. Building T costs
/// 257·C²·k once instead of C²·k per output token; the sum is k gathers. Autograd flows through the
/// gathers to T and from T to E and W, so training uses it too.
/// </summary>
public static class FusedTokenReduction
{
    /// <summary>T [k, 257, C_out] from the embedding [257, C_in] and the conv kernel [C_out, C_in, k].</summary>
    public static Tensor BuildTable(Tensor embedding, Tensor kernel) =>
        matmul(embedding.unsqueeze(0), kernel.permute(2, 1, 0));                   // [k, 257, C_out]

    /// <summary>Conv tokens [B, N1, C] for embedding indices <paramref name="ids"/> [B, N] (0..256).</summary>
    public static Tensor Apply(Tensor ids, Tensor table, int stride)
    {
        long b = ids.shape[0], k = table.shape[0], c = table.shape[2];
        var windows = ids.unfold(1, k, stride);                                     // [B, N1, k]
        long n1 = windows.shape[1];
        Tensor? sum = null;
        for (var j = 0; j < k; j++)
        {
            // One gather per kernel tap. Intermediates are released at once: autograd keeps only the
            // indices it needs, so memory stays at a few [B·N1, C] tensors whatever k is.
            using var index = windows.select(2, j).reshape(-1);
            var part = table[j].index_select(0, index);                            // [B·N1, C]
            if (sum is null)
            {
                sum = part;
                continue;
            }
            var next = sum.Plus(part);
            sum.Dispose();
            part.Dispose();
            sum = next;
        }
        return sum!.view(b, n1, c);
    }
}

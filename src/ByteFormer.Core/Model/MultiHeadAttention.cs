using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace ByteFormer.Model;

/// <summary>
/// CoreNet's multi-head self-attention: one <c>qkv_proj</c> whose output columns are [q | k | v], each split
/// into heads contiguously; scaled dot-product attention per head; heads concatenated; <c>out_proj</c>.
/// </summary>
public sealed class MultiHeadAttention : nn.Module<Tensor, Tensor>
{
    private readonly Linear qkv_proj;
    private readonly Linear out_proj;
    private readonly int heads;
    private readonly int headDim;
    private readonly double attnDropout;

    /// <summary>Builds <c>qkv_proj</c> Linear(C, 3C) and <c>out_proj</c> Linear(C, C), Xavier-initialised as CoreNet's.</summary>
    public MultiHeadAttention(ByteFormerConfig config) : base(nameof(MultiHeadAttention))
    {
        heads = config.NAttnHeads;
        headDim = config.HeadDim;
        attnDropout = config.AttnDropout;
        qkv_proj = nn.Linear(config.EmbedDim, 3L * config.EmbedDim);
        out_proj = nn.Linear(config.EmbedDim, config.EmbedDim);
        RegisterComponents();
        Init.XavierLinear(qkv_proj);
        Init.XavierLinear(out_proj);
    }

    /// <summary>Unmasked self-attention over windows [b, n, C], giving [b, n, C].</summary>
    public override Tensor forward(Tensor x) => Forward(x, null);

    /// <summary>Self-attention over each row of <paramref name="x"/> [b, n, C].</summary>
    /// <param name="x">Windows, [b, n, C].</param>
    /// <param name="mask">Boolean [b or 1, 1, n, n], true where a query may attend to a key; null attends everywhere.</param>
    public Tensor Forward(Tensor x, Tensor? mask)
    {
        long b = x.shape[0], n = x.shape[1], c = x.shape[2];
        var qkv = qkv_proj.call(x).view(b, n, 3, heads, headDim).permute(2, 0, 3, 1, 4); // [3, b, h, n, d]
        var attended = F.scaled_dot_product_attention(qkv[0], qkv[1], qkv[2], mask,
            p: training ? attnDropout : 0.0);                                               // [b, h, n, d]
        return out_proj.call(attended.transpose(1, 2).reshape(b, n, c));                   // [b, n, C]
    }
}

using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace ByteFormer.Model;

/// <summary>
/// CoreNet's multi-head self-attention: one <c>qkv_proj</c> whose output columns are [q | k | v], each split
/// into heads contiguously; scaled dot-product attention per head; heads concatenated; <c>out_proj</c>. With
/// <see cref="PositionEncoding.Relative"/> positions, a learned bias per head and relative offset
/// (<c>relative_position_bias</c>, [heads, 2w − 1]) is added to the scores.
/// </summary>
public sealed class MultiHeadAttention : nn.Module<Tensor, Tensor>
{
    private readonly Linear qkv_proj;
    private readonly Linear out_proj;
    private readonly Parameter? relative_position_bias;
    private readonly int heads;
    private readonly int headDim;
    private readonly int window;
    private readonly double attnDropout;

    /// <summary>Builds <c>qkv_proj</c> Linear(C, 3C) and <c>out_proj</c> Linear(C, C), Xavier-initialised as CoreNet's,
    /// and for relative positions the bias table of windows of at most <paramref name="window"/> tokens.</summary>
    public MultiHeadAttention(ByteFormerConfig config, int window) : base(nameof(MultiHeadAttention))
    {
        heads = config.NAttnHeads;
        headDim = config.HeadDim;
        this.window = window;
        attnDropout = config.AttnDropout;
        qkv_proj = nn.Linear(config.EmbedDim, 3L * config.EmbedDim);
        out_proj = nn.Linear(config.EmbedDim, config.EmbedDim);
        if (config.Positions == PositionEncoding.Relative)
        {
            relative_position_bias = nn.Parameter(empty(heads, 2L * window - 1));
            Init.TruncNormal(relative_position_bias, 0.02);                                // Swin's initialisation
        }
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
        var scoreMask = relative_position_bias is null ? mask : RelativeScores(n, mask, x.device);
        var attended = F.scaled_dot_product_attention(qkv[0], qkv[1], qkv[2], scoreMask,
            p: training ? attnDropout : 0.0);                                               // [b, h, n, d]
        return out_proj.call(attended.transpose(1, 2).reshape(b, n, c));                   // [b, n, C]
    }

    /// <summary>The additive scores [1 or b, h, n, n]: the bias of offset i − j for query i and key j, and −∞ where
    /// <paramref name="mask"/> forbids (every query may see itself, so no row is all −∞).</summary>
    private Tensor RelativeScores(long n, Tensor? mask, Device device)
    {
        if (n > window) throw new ArgumentException($"windows of {n} tokens are longer than the bias table's {window}");
        var bias = relative_position_bias!.index_select(1, OffsetIndex(n, device)).view(1, heads, n, n);
        if (mask is null) return bias;
        using var negativeInfinity = float.NegativeInfinity.ToScalar();
        return bias.masked_fill(mask.logical_not(), negativeInfinity);                     // [b or 1, h, n, n]
    }

    // The bias table's indices for a full window, per device, kept so that a forward pass does not rebuild them in
    // every block; a shorter window's are its top-left corner (entry i, j is offset i − j at any length).
    private readonly Dictionary<DeviceType, Tensor> offsetIndex = [];

    /// <summary>The bias table's indices for windows of <paramref name="n"/> tokens, [n·n] int64 on <paramref name="device"/>.</summary>
    private Tensor OffsetIndex(long n, Device device)
    {
        Tensor full;
        lock (offsetIndex)
        {
            if (!offsetIndex.TryGetValue(device.type, out full!))
            {
                // Built from an array, not with tensor arithmetic: no op with TorchSharp's on-the-fly alpha on int64 indices.
                full = tensor(RelativeIndex(window, window), [window, window], dtype: int64, device: device).DetachFromDisposeScope();
                offsetIndex[device.type] = full;
            }
        }
        return n == window ? full.reshape(-1) : full.narrow(0, 0, n).narrow(1, 0, n).reshape(-1);
    }

    /// <summary>Frees the cached indices with the module's tensors.</summary>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
            lock (offsetIndex)
            {
                foreach (var t in offsetIndex.Values) t.Dispose();
                offsetIndex.Clear();
            }
        base.Dispose(disposing);
    }

    /// <summary>Row-major [n, n] table indices of a window of <paramref name="n"/> tokens: entry (i, j) is offset
    /// i − j, stored at w − 1 + i − j in a table of 2w − 1 entries.</summary>
    internal static long[] RelativeIndex(long n, long window)
    {
        var index = new long[n * n];
        for (long i = 0; i < n; i++)
        for (long j = 0; j < n; j++)
            index[i * n + j] = window - 1 + i - j;
        return index;
    }
}

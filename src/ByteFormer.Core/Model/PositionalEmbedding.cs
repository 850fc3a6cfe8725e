using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ByteFormer.Model;

/// <summary>
/// The learned positional table, nested as CoreNet nests it so that its state_dict name is
/// <c>pos_embed.pos_embed.pos_embed</c> with shape [1, 1, max_num_tokens, C]. Rows are used from 0, with no
/// interpolation (CoreNet always asks for the full table and slices it).
/// </summary>
public sealed class PositionalEmbedding : nn.Module<long, Tensor>
{
    private readonly LearnedPositionTable pos_embed;

    /// <summary>A table of <see cref="ByteFormerConfig.MaxNumTokens"/> rows of width <see cref="ByteFormerConfig.EmbedDim"/>.</summary>
    public PositionalEmbedding(ByteFormerConfig config) : base(nameof(PositionalEmbedding))
    {
        pos_embed = new LearnedPositionTable(config.MaxNumTokens, config.EmbedDim);
        RegisterComponents();
    }

    /// <summary>Rows 0..n-1 as [n, C].</summary>
    public override Tensor forward(long n) => pos_embed.call(n);

    /// <summary>The table holds this many positions.</summary>
    public long Rows => pos_embed.Rows;
}

/// <summary>CoreNet's <c>LearnablePositionalEmbedding</c>: one parameter, truncated-normal std C^-0.5.</summary>
public sealed class LearnedPositionTable : nn.Module<long, Tensor>
{
    private readonly Parameter pos_embed;

    /// <summary>The parameter [1, 1, <paramref name="rows"/>, <paramref name="dim"/>], truncated-normal with std dim^-0.5.</summary>
    public LearnedPositionTable(int rows, int dim) : base(nameof(LearnedPositionTable))
    {
        pos_embed = nn.Parameter(empty(1, 1, rows, dim));
        Init.TruncNormal(pos_embed, Math.Pow(dim, -0.5));
        RegisterComponents();
    }

    /// <summary>The table holds this many positions.</summary>
    public long Rows => pos_embed.shape[2];

    /// <summary>Rows 0..n-1 as [n, C] (a view of the parameter).</summary>
    public override Tensor forward(long n) => pos_embed[0, 0].narrow(0, 0, n);
}

namespace ByteFormer.Model;

/// <summary>
/// How a ByteFormer knows where a token is. Stored in every model file (<c>position_encoding</c>); CoreNet's
/// checkpoints, and every model file written before the option existed, use <see cref="Learned"/>.
/// </summary>
public enum PositionEncoding
{
    /// <summary>
    /// CoreNet's learned absolute table (<c>pos_embed.pos_embed.pos_embed</c>, max_num_tokens × C), added to the
    /// tokens after the Conv1d. A token's position is its distance from the first byte of the file, so the same
    /// pixels after a longer header are, to the network, other tokens.
    /// </summary>
    Learned,

    /// <summary>
    /// No position information besides what the Conv1d sees inside a token and which window a token falls in. The
    /// byte budget is still max_num_tokens tokens.
    /// </summary>
    None,

    /// <summary>
    /// A learned bias per attention head and relative offset inside a window (Swin's and T5's relative position
    /// bias, one table of 2w − 1 entries per head in each block), added to the attention scores; no absolute table.
    /// The same bytes anywhere in a file give the same scores within their windows. Masked semantics only.
    /// </summary>
    Relative,
}

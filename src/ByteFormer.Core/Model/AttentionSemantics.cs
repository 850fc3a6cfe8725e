namespace ByteFormer.Model;

/// <summary>How padding and shifted windows are treated. Stored in every model file.</summary>
public enum AttentionSemantics
{
    /// <summary>
    /// New models: key-padding and shifted-window masks are applied, padding is excluded from token
    /// merging and pooling, so a file's logits do not depend on the rest of its batch.
    /// </summary>
    Masked,

    /// <summary>
    /// Exactly what CoreNet computes (byteformer.md §1.2–1.5, §6): no mask anywhere, padding pooled,
    /// shifted windows wrap around, LayerNorm's channel-first branch when a length equals the width.
    /// Needed to reproduce Apple's released checkpoints.
    /// </summary>
    Corenet,
}

namespace ByteFormer.Data;

/// <summary>A mixup target: the partner's label (−1: none) and the weight of the sample's own label.</summary>
/// <param name="PartnerLabel">The label of the sample mixed in, or −1 for none.</param>
/// <param name="OwnWeight">λ, the weight of the sample's own label.</param>
public readonly record struct MixedTarget(int PartnerLabel, float OwnWeight)
{
    /// <summary>No mixing: the sample's own label with weight 1.</summary>
    public static MixedTarget None => new(-1, 1f);
}

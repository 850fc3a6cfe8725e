namespace ByteFormer.Data;

/// <summary>
/// <c>count</c> samples spread evenly over another dataset (indices ⌊i·N/count⌋), for quick runs on sets stored
/// class by class (Speech Commands, folders), where the first N would be the first few classes only.
/// </summary>
/// <param name="inner">The dataset to sample.</param>
/// <param name="count">How many samples to take (at most the inner dataset's count).</param>
public sealed class SpreadSamples(IByteDataset inner, int count) : IByteDataset
{
    /// <inheritdoc />
    public int Count { get; } = Math.Clamp(count, 0, inner.Count);
    /// <inheritdoc />
    public IReadOnlyList<string> ClassNames => inner.ClassNames;
    /// <inheritdoc />
    public string Describe => $"{inner.Describe} ({Count:N0} spread evenly)";
    private int Inner(int index) => (int)((long)index * inner.Count / Count);
    /// <inheritdoc />
    public int Label(int index) => inner.Label(Inner(index));
    /// <inheritdoc />
    public byte[] Bytes(int index, int epoch) => inner.Bytes(Inner(index), epoch);
    /// <inheritdoc />
    public MixedTarget MixOf(int index, int epoch) => inner.MixOf(Inner(index), epoch);
}

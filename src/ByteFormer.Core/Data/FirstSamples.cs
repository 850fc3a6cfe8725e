namespace ByteFormer.Data;

/// <summary>The first <c>count</c> samples of another dataset (for quick runs and tests).</summary>
/// <param name="inner">The dataset to take from.</param>
/// <param name="count">How many samples (at most the inner dataset's count).</param>
public sealed class FirstSamples(IByteDataset inner, int count) : IByteDataset
{
    /// <inheritdoc />
    public int Count { get; } = Math.Clamp(count, 0, inner.Count);
    /// <inheritdoc />
    public IReadOnlyList<string> ClassNames => inner.ClassNames;
    /// <inheritdoc />
    public string Describe => $"{inner.Describe} (first {Count:N0})";
    /// <inheritdoc />
    public int Label(int index) => inner.Label(index);
    /// <inheritdoc />
    public byte[] Bytes(int index, int epoch) => inner.Bytes(index, epoch);
    /// <inheritdoc />
    public MixedTarget MixOf(int index, int epoch) => inner.MixOf(index, epoch);
}

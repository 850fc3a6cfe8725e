namespace ByteFormer.Data;

/// <summary>
/// Some samples of another dataset, by index (a validation split held out of the training files, or the rest).
/// Each sample keeps its inner index, so its per-epoch bytes are the inner dataset's.
/// </summary>
public sealed class SampleSubset : IByteDataset
{
    private readonly IByteDataset inner;
    private readonly int[] indices;

    /// <summary>The samples of <paramref name="inner"/> at <paramref name="indices"/>, in that order.</summary>
    /// <param name="inner">The dataset to take from.</param>
    /// <param name="indices">Indices into it, each in range.</param>
    /// <param name="describe">What the subset is, for logs (e.g. "validation: 2,000 held out of …").</param>
    public SampleSubset(IByteDataset inner, int[] indices, string describe)
    {
        if (indices.Any(i => (uint)i >= (uint)inner.Count))
            throw new ArgumentOutOfRangeException(nameof(indices), "an index lies outside the dataset");
        (this.inner, this.indices, Describe) = (inner, indices, describe);
    }

    /// <inheritdoc />
    public int Count => indices.Length;
    /// <inheritdoc />
    public IReadOnlyList<string> ClassNames => inner.ClassNames;
    /// <inheritdoc />
    public string Describe { get; }
    /// <inheritdoc />
    public int Label(int index) => inner.Label(indices[index]);
    /// <inheritdoc />
    public byte[] Bytes(int index, int epoch) => inner.Bytes(indices[index], epoch);
    /// <inheritdoc />
    public MixedTarget MixOf(int index, int epoch) => inner.MixOf(indices[index], epoch);

    /// <summary>
    /// Splits a training set into the samples to train on and a validation split of <paramref name="heldOut"/> samples,
    /// drawn at random (seeded) from every part of the set; the validation samples are read from
    /// <paramref name="clean"/>, the same samples without augmentation.
    /// </summary>
    /// <param name="train">The training set (with its augmentation).</param>
    /// <param name="clean">The same samples, index for index, without augmentation (may be <paramref name="train"/>).</param>
    /// <param name="heldOut">How many samples to hold out (fewer than the set has).</param>
    /// <param name="seed">Decides which samples.</param>
    public static (SampleSubset Train, SampleSubset Validation) HoldOut(IByteDataset train, IByteDataset clean, int heldOut, int seed)
    {
        if (clean.Count != train.Count) throw new ArgumentException("the clean twin must have the training set's samples");
        if (heldOut < 1 || heldOut >= train.Count) throw new ArgumentOutOfRangeException(nameof(heldOut));
        var order = Enumerable.Range(0, train.Count).ToArray();
        new Random(Seeds.Mix(seed, 0x5A11D)).Shuffle(order);
        var validation = order[..heldOut];
        var rest = order[heldOut..];
        Array.Sort(validation);
        Array.Sort(rest);
        return (new SampleSubset(train, rest, $"{train.Describe} ({rest.Length:N0} after holding out {heldOut:N0} for validation)"),
            new SampleSubset(clean, validation, $"validation: {heldOut:N0} held out of {train.Describe}"));
    }
}

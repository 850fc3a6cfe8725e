using ByteFormer.Bytes;

namespace ByteFormer.Data;

/// <summary>
/// Another dataset's bytes through byte transforms (permutation, noise, kept positions, shuffles). Any randomness
/// is a pure function of (seed, epoch, index), so runs stay repeatable and the test set is the same each epoch.
/// </summary>
/// <param name="inner">The dataset whose bytes are transformed.</param>
/// <param name="transforms">The transforms to apply.</param>
/// <param name="seed">Seeds the transforms' randomness (with epoch and index).</param>
public sealed class TransformedDataset(IByteDataset inner, ByteTransformPipeline transforms, int seed) : IByteDataset
{
    /// <inheritdoc />
    public int Count => inner.Count;
    /// <inheritdoc />
    public IReadOnlyList<string> ClassNames => inner.ClassNames;
    /// <inheritdoc />
    public string Describe => $"{inner.Describe}, bytes through {transforms.Spec}";
    /// <inheritdoc />
    public int Label(int index) => inner.Label(index);
    /// <inheritdoc />
    public byte[] Bytes(int index, int epoch) =>
        transforms.Apply(inner.Bytes(index, epoch), new Random(Seeds.Mix(seed, epoch, index, 0xB17E)));
    /// <inheritdoc />
    public MixedTarget MixOf(int index, int epoch) => inner.MixOf(index, epoch);

    /// <summary><paramref name="dataset"/> itself when there is nothing to apply.</summary>
    public static IByteDataset Wrap(IByteDataset dataset, ByteTransformPipeline transforms, int seed) =>
        transforms.IsEmpty ? dataset : new TransformedDataset(dataset, transforms, seed);
}

namespace ByteFormer.Data;

/// <summary>A dataset seen in a larger label space: its labels shifted by <paramref name="offset"/>.</summary>
/// <param name="inner">The dataset to relabel.</param>
/// <param name="offset">Added to every label (and mixup partner label).</param>
/// <param name="classNames">The larger label space's class names.</param>
public sealed class RelabeledDataset(IByteDataset inner, int offset, IReadOnlyList<string> classNames) : IByteDataset
{
    /// <inheritdoc />
    public int Count => inner.Count;
    /// <inheritdoc />
    public IReadOnlyList<string> ClassNames => classNames;
    /// <inheritdoc />
    public string Describe => inner.Describe;
    /// <inheritdoc />
    public int Label(int index) => offset + inner.Label(index);
    /// <inheritdoc />
    public byte[] Bytes(int index, int epoch) => inner.Bytes(index, epoch);

    /// <inheritdoc />
    public MixedTarget MixOf(int index, int epoch)
    {
        var mix = inner.MixOf(index, epoch);
        return mix.PartnerLabel < 0 ? mix : mix with { PartnerLabel = offset + mix.PartnerLabel };
    }

    /// <summary>
    /// <paramref name="data"/> in <paramref name="modelLabels"/>' space: itself when the names are equal, shifted
    /// when the model's labels hold them as one <c>part/class</c> run (a joined model); otherwise null.
    /// </summary>
    public static IByteDataset? InLabelSpace(IByteDataset data, IReadOnlyList<string> modelLabels)
    {
        if (data.ClassNames.SequenceEqual(modelLabels)) return data;
        var n = data.ClassNames.Count;
        for (var start = 0; start + n <= modelLabels.Count; start++)
        {
            var slash = modelLabels[start].IndexOf('/');
            if (slash < 0) continue;
            var prefix = modelLabels[start][..(slash + 1)];
            if (Enumerable.Range(0, n).All(i => modelLabels[start + i] == prefix + data.ClassNames[i]))
                return new RelabeledDataset(data, start, modelLabels);
        }
        return null;
    }
}

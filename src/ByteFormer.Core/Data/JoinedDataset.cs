namespace ByteFormer.Data;

/// <summary>
/// Several datasets as one, for a single model over all of them (images and audio together): class names
/// become <c>part/class</c>, labels are shifted past the earlier parts' classes, and nothing marks a
/// sample's modality but its bytes.
/// </summary>
public sealed class JoinedDataset : IByteDataset
{
    private readonly IReadOnlyList<(string Name, IByteDataset Data)> parts;
    private readonly int[] sampleStart;
    private readonly int[] classStart;

    /// <summary>Joins <paramref name="parts"/>, each named (the prefix of its class names); names must differ.</summary>
    public JoinedDataset(IReadOnlyList<(string Name, IByteDataset Data)> parts)
    {
        if (parts.Count == 0) throw new ArgumentException("nothing to join");
        if (parts.Select(p => p.Name).Distinct().Count() != parts.Count)
            throw new ByteFormerException($"data sets to join need distinct names, got {string.Join(", ", parts.Select(p => p.Name))}");
        this.parts = parts;
        sampleStart = new int[parts.Count + 1];
        classStart = new int[parts.Count + 1];
        for (var i = 0; i < parts.Count; i++)
        {
            sampleStart[i + 1] = sampleStart[i] + parts[i].Data.Count;
            classStart[i + 1] = classStart[i] + parts[i].Data.ClassNames.Count;
        }
        ClassNames = parts.SelectMany(p => p.Data.ClassNames.Select(c => $"{p.Name}/{c}")).ToArray();
    }

    /// <inheritdoc />
    public int Count => sampleStart[^1];
    /// <inheritdoc />
    public IReadOnlyList<string> ClassNames { get; }
    /// <inheritdoc />
    public string Describe => string.Join(" + ", parts.Select(p => p.Data.Describe));
    /// <summary>The parts' names, in order.</summary>
    public IReadOnlyList<string> PartNames => parts.Select(p => p.Name).ToArray();

    /// <summary>The samples of part <paramref name="i"/>: the first index and the count (indices of the joined set).</summary>
    public (int Start, int Count) PartRange(int i) => (sampleStart[i], sampleStart[i + 1] - sampleStart[i]);

    private (int Part, int Local) Locate(int index)
    {
        var part = Array.BinarySearch(sampleStart, index);
        part = part >= 0 ? part : ~part - 1;
        while (sampleStart[part + 1] == index) part++;          // skip empty parts
        return (part, index - sampleStart[part]);
    }

    /// <inheritdoc />
    public int Label(int index)
    {
        var (part, local) = Locate(index);
        return classStart[part] + parts[part].Data.Label(local);
    }

    /// <inheritdoc />
    public byte[] Bytes(int index, int epoch)
    {
        var (part, local) = Locate(index);
        return parts[part].Data.Bytes(local, epoch);
    }

    /// <inheritdoc />
    public MixedTarget MixOf(int index, int epoch)
    {
        var (part, local) = Locate(index);
        var mix = parts[part].Data.MixOf(local, epoch);
        return mix.PartnerLabel < 0 ? mix : mix with { PartnerLabel = classStart[part] + mix.PartnerLabel };
    }

    /// <summary>Part <paramref name="i"/> alone, labelled in the joined label space (for per-part accuracy).</summary>
    public IByteDataset Part(int i) => new RelabeledDataset(parts[i].Data, classStart[i], ClassNames);
}

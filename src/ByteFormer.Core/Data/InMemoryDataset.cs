namespace ByteFormer.Data;

/// <summary>Byte sequences already in memory, with their labels.</summary>
/// <param name="files">The byte sequences, the same every epoch.</param>
/// <param name="labels">One label per sequence.</param>
/// <param name="classNames">The class names.</param>
/// <param name="name">The description for logs.</param>
public sealed class InMemoryDataset(IReadOnlyList<byte[]> files, IReadOnlyList<int> labels, IReadOnlyList<string> classNames, string name) : IByteDataset
{
    /// <inheritdoc />
    public int Count => files.Count;
    /// <inheritdoc />
    public IReadOnlyList<string> ClassNames => classNames;
    /// <inheritdoc />
    public string Describe => name;
    /// <inheritdoc />
    public int Label(int index) => labels[index];
    /// <inheritdoc />
    public byte[] Bytes(int index, int epoch) => files[index];
}

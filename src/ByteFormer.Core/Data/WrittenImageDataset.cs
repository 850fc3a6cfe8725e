using ByteFormer.Codecs;
using ByteFormer.Codecs.Writers;

namespace ByteFormer.Data;

/// <summary>
/// Images written to files by a pool of real writers (<see cref="ImageWriters"/>), drawn per image per epoch: each
/// sample takes a format (uniformly over the pool's formats, so no format dominates by having more writers), a
/// writer of that format, that writer's randomised options, and, with <see cref="MetadataBytes"/> set, a block of
/// valid metadata of random length before the pixels (<see cref="MetadataInsertion"/>). The model thus sees each
/// image at many layouts and offsets, as files from other programs come. Everything is a pure function of
/// (seed, index, epoch).
/// </summary>
public sealed class WrittenImageDataset : IByteDataset
{
    private readonly LabeledImages images;
    private readonly IReadOnlyList<IReadOnlyList<IImageWriter>> byFormat;
    private readonly ImageAugmentation? augmentation;
    private readonly int seed;
    private readonly string name;

    /// <summary>Images written by <paramref name="writers"/>.</summary>
    /// <param name="images">The images and labels.</param>
    /// <param name="writers">The writer pool (at least one).</param>
    /// <param name="augmentation">Augmentation before writing, drawn per (index, epoch); null for none.</param>
    /// <param name="seed">Seeds augmentation, the writer drawn, its options and the metadata.</param>
    /// <param name="name">The description for logs.</param>
    /// <param name="metadataBytes">The most metadata bytes inserted before the pixels (0: none). Lengths are drawn
    /// log-uniformly, with a quarter of the files left as written, unless <paramref name="exactMetadata"/>.</param>
    /// <param name="exactMetadata">Insert exactly <paramref name="metadataBytes"/> into every file (the offset curve's test files).</param>
    public WrittenImageDataset(LabeledImages images, IReadOnlyList<IImageWriter> writers, ImageAugmentation? augmentation, int seed,
        string name, int metadataBytes = 0, bool exactMetadata = false)
    {
        ExactMetadata = exactMetadata;
        if (writers.Count == 0) throw new ArgumentException("no writer given");
        if (metadataBytes < 0) throw new ArgumentOutOfRangeException(nameof(metadataBytes), "metadata length must be at least 0");
        byFormat = writers.GroupBy(w => w.Format).Select(g => (IReadOnlyList<IImageWriter>)g.ToList()).ToList();
        (this.images, Writers, this.augmentation, this.seed, this.name, MetadataBytes) = (images, writers, augmentation, seed, name, metadataBytes);
    }

    /// <summary>The writer pool.</summary>
    public IReadOnlyList<IImageWriter> Writers { get; }

    /// <summary>The most metadata bytes inserted before the pixels (0: none).</summary>
    public int MetadataBytes { get; }

    /// <summary>True when every file gets exactly <see cref="MetadataBytes"/>.</summary>
    public bool ExactMetadata { get; }

    /// <inheritdoc />
    public int Count => images.Images.Count;
    /// <inheritdoc />
    public IReadOnlyList<string> ClassNames => images.ClassNames;
    /// <inheritdoc />
    public string Describe => $"{name} written by {Writers.Count} writers ({string.Join(", ", byFormat.Select(f => f[0].Format))})" +
                              (MetadataBytes > 0 ? $", {(ExactMetadata ? "" : "up to ")}{MetadataBytes:N0} metadata bytes" : "") + (augmentation is null ? "" : ", augmented");
    /// <inheritdoc />
    public int Label(int index) => images.Labels[index];

    /// <summary>The writer sample <paramref name="index"/> gets in <paramref name="epoch"/>.</summary>
    public IImageWriter WriterOf(int index, int epoch)
    {
        var formats = byFormat[Seeds.Mix(seed, epoch, index, 0xF0A7) % byFormat.Count];
        return formats[Seeds.Mix(seed, epoch, index, 0x3A17) % formats.Count];
    }

    /// <inheritdoc />
    public byte[] Bytes(int index, int epoch)
    {
        var image = images.Images[index];
        if (augmentation is not null)
            image = augmentation.Apply(image, new Random(Seeds.Mix(seed, epoch, index)));
        var writer = WriterOf(index, epoch);
        var random = new Random(Seeds.Mix(seed, epoch, index, 0x11E));
        var file = writer.Write(image, random);
        if (MetadataBytes == 0) return file;
        if (ExactMetadata) return MetadataInsertion.Insert(file, writer.Format, MetadataBytes, random);
        if (random.NextDouble() < 0.25) return file;
        // Log-uniform in [1, MetadataBytes]: short blocks (a tag, a comment) are as common as long ones (EXIF, ICC).
        var length = (int)Math.Round(Math.Exp(random.NextDouble() * Math.Log(MetadataBytes)));
        return MetadataInsertion.Insert(file, writer.Format, length, random);
    }
}

using ByteFormer.Codecs;

namespace ByteFormer.Data;

/// <summary>
/// Images encoded to file bytes on the fly, with optional augmentation before encoding. With several encodings
/// each sample takes one of them, drawn per (index, epoch): a model trained on a mixture of file formats.
/// </summary>
public sealed class EncodedImageDataset : IByteDataset
{
    private readonly LabeledImages images;
    private readonly IReadOnlyList<ImageEncoding> encodings;
    private readonly ImageAugmentation? augmentation;
    private readonly int seed;
    private readonly string name;

    /// <summary>Images in one encoding.</summary>
    /// <param name="images">The images and labels.</param>
    /// <param name="encoding">The file encoding.</param>
    /// <param name="augmentation">Augmentation before encoding, drawn per (index, epoch); null for none.</param>
    /// <param name="seed">Seeds augmentation and the choice of encoding.</param>
    /// <param name="name">The description for logs.</param>
    public EncodedImageDataset(LabeledImages images, ImageEncoding encoding, ImageAugmentation? augmentation, int seed, string name)
        : this(images, [encoding], augmentation, seed, name)
    {
    }

    /// <summary>Images in a mixture of encodings: each sample draws one per (index, epoch).</summary>
    /// <param name="images">The images and labels.</param>
    /// <param name="encodings">The file encodings (at least one).</param>
    /// <param name="augmentation">Augmentation before encoding, drawn per (index, epoch); null for none.</param>
    /// <param name="seed">Seeds augmentation and the choice of encoding.</param>
    /// <param name="name">The description for logs.</param>
    public EncodedImageDataset(LabeledImages images, IReadOnlyList<ImageEncoding> encodings, ImageAugmentation? augmentation, int seed, string name)
    {
        if (encodings.Count == 0) throw new ArgumentException("no encoding given");
        (this.images, this.encodings, this.augmentation, this.seed, this.name) = (images, encodings, augmentation, seed, name);
    }

    /// <inheritdoc />
    public int Count => images.Images.Count;
    /// <inheritdoc />
    public IReadOnlyList<string> ClassNames => images.ClassNames;
    /// <inheritdoc />
    public string Describe => $"{name} as {string.Join(" or ", encodings)}" + (augmentation is null ? "" : ", augmented");
    /// <inheritdoc />
    public int Label(int index) => images.Labels[index];

    /// <summary>The encoding sample <paramref name="index"/> gets in <paramref name="epoch"/>.</summary>
    public ImageEncoding EncodingOf(int index, int epoch) =>
        encodings.Count == 1 ? encodings[0] : encodings[Seeds.Mix(seed, epoch, index, 0xE7C) % encodings.Count];

    /// <inheritdoc />
    public byte[] Bytes(int index, int epoch)
    {
        var image = images.Images[index];
        if (augmentation is not null)
            image = augmentation.Apply(image, new Random(Seeds.Mix(seed, epoch, index)));
        return EncodingOf(index, epoch).Encode(image);
    }
}

using ByteFormer.Codecs;
using ByteFormer.Codecs.Writers;

namespace ByteFormer.Data;

/// <summary>
/// Images written to files by a pool of real writers (<see cref="ImageWriters"/>), drawn per image per epoch: each
/// sample takes a format (uniformly over the pool's formats, so no format dominates by having more writers, or by
/// <c>formatWeights</c>: a format that is harder to read can be drawn more often), a
/// writer of that format (uniformly, or by <c>writerWeights</c> within the format), that writer's randomised options, and, with <see cref="MetadataBytes"/> set, a block of
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
    /// by <see cref="MetadataLength"/>, with a quarter of the files left as written, unless <paramref name="exactMetadata"/>.</param>
    /// <param name="exactMetadata">Insert exactly <paramref name="metadataBytes"/> into every file (the offset curve's test files).</param>
    /// <param name="formatWeights">How often each format is drawn relative to the others (a format not named weighs 1);
    /// null draws the formats uniformly.</param>
    /// <param name="writerWeights">How often each writer is drawn among its format's writers (by name; a writer not
    /// named weighs 1); the formats' shares stay as <paramref name="formatWeights"/> sets them. Null draws them uniformly.</param>
    public WrittenImageDataset(LabeledImages images, IReadOnlyList<IImageWriter> writers, ImageAugmentation? augmentation, int seed,
        string name, int metadataBytes = 0, bool exactMetadata = false, IReadOnlyDictionary<ImageFormat, double>? formatWeights = null,
        IReadOnlyDictionary<string, double>? writerWeights = null)
    {
        ExactMetadata = exactMetadata;
        if (writers.Count == 0) throw new ArgumentException("no writer given");
        if (metadataBytes < 0) throw new ArgumentOutOfRangeException(nameof(metadataBytes), "metadata length must be at least 0");
        byFormat = writers.GroupBy(w => w.Format).Select(g => (IReadOnlyList<IImageWriter>)g.ToList()).ToList();
        if (formatWeights is not null)
        {
            foreach (var format in formatWeights.Keys)
                if (byFormat.All(f => f[0].Format != format))
                    throw new ArgumentException($"a weight is given for {new ImageEncoding(format)}, which no writer of the pool writes");
            var weights = byFormat.Select(f => formatWeights.GetValueOrDefault(f[0].Format, 1.0)).ToArray();
            cumulativeShare = Cumulative(weights);
            FormatWeights = formatWeights;
        }
        if (writerWeights is not null)
        {
            foreach (var writer in writerWeights.Keys)
                if (writers.All(w => w.Name != writer))
                    throw new ArgumentException($"a weight is given for the writer {writer}, which is not in the pool");
            // A format none of whose writers is named keeps the uniform draw (null), the same files as without weights.
            writerShares = byFormat.Select(f => f.Any(w => writerWeights.ContainsKey(w.Name))
                ? Cumulative(f.Select(w => writerWeights.GetValueOrDefault(w.Name, 1.0)).ToArray()) : null).ToArray();
            WriterWeights = writerWeights;
        }
        (this.images, Writers, this.augmentation, this.seed, this.name, MetadataBytes) = (images, writers, augmentation, seed, name, metadataBytes);
    }

    /// <summary>The writer pool.</summary>
    public IReadOnlyList<IImageWriter> Writers { get; }

    /// <summary>How often each format is drawn relative to the others (a format not named weighs 1); null: uniformly.</summary>
    public IReadOnlyDictionary<ImageFormat, double>? FormatWeights { get; }

    /// <summary>How often each writer is drawn among its format's writers (a writer not named weighs 1); null: uniformly.</summary>
    public IReadOnlyDictionary<string, double>? WriterWeights { get; }

    /// <summary>The share of draws up to and including each format of the pool; null for uniform draws.</summary>
    private readonly double[]? cumulativeShare;

    /// <summary>Per format of the pool, the share of its draws up to and including each of its writers; null (for all,
    /// or for a format) draws uniformly.</summary>
    private readonly double[]?[]? writerShares;

    private static double[] Cumulative(double[] weights)
    {
        var total = weights.Sum();
        var shares = new double[weights.Length];
        var sum = 0.0;
        for (var i = 0; i < weights.Length; i++) shares[i] = (sum += weights[i]) / total;
        return shares;
    }

    /// <summary>The index whose cumulative share first exceeds <paramref name="draw"/> read as a number in [0, 1).</summary>
    private static int Pick(double[] cumulative, int draw)
    {
        var u = draw / 2147483648.0;
        var i = 0;
        while (i < cumulative.Length - 1 && u >= cumulative[i]) i++;
        return i;
    }

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
                              (FormatWeights is null ? "" : $", formats weighted {string.Join(',', FormatWeights.Select(w => $"{new ImageEncoding(w.Key)}={w.Value:0.##}"))}")
                              + (WriterWeights is null ? "" : $", writers weighted {string.Join(',', WriterWeights.Select(w => $"{w.Key}={w.Value:0.##}"))}")
                              + (MetadataBytes > 0 ? $", {(ExactMetadata ? "" : "up to ")}{MetadataBytes:N0} metadata bytes" : "") + (augmentation is null ? "" : ", augmented");
    /// <inheritdoc />
    public int Label(int index) => images.Labels[index];

    /// <summary>The writer sample <paramref name="index"/> gets in <paramref name="epoch"/>.</summary>
    public IImageWriter WriterOf(int index, int epoch)
    {
        // Weighted draws read the same numbers against cumulative shares, so unweighted runs keep their files.
        var draw = Seeds.Mix(seed, epoch, index, 0xF0A7);
        var f = cumulativeShare is null ? draw % byFormat.Count : Pick(cumulativeShare, draw);
        var formats = byFormat[f];
        var second = Seeds.Mix(seed, epoch, index, 0x3A17);
        return formats[writerShares?[f] is { } shares ? Pick(shares, second) : second % formats.Count];
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
        return MetadataInsertion.Insert(file, writer.Format, MetadataLength(random, MetadataBytes), random);
    }

    /// <summary>How many metadata bytes a training file gets: about log-uniform in [1, <paramref name="most"/>], so
    /// short blocks (a tag, a comment) are as common as long ones (EXIF, ICC), plus a uniform 0 … 63, so the files
    /// that get metadata have their pixels moved to every phase of the token reduction's stride (any stride that
    /// divides 64) equally often.</summary>
    /// <remarks>Why the second part: a log-uniform length alone puts a fifth of the inserted files at 1 … 4 bytes, which
    /// JPEG rounds to its 4-byte minimum segment; with the files left as written, 46% of the JPEG files the fourth cycle
    /// saw were at phase 0 or 4 of its 16-byte stride and 3–5% at each other phase, and it read JPEG files 2–3 points
    /// worse at phase 8, the farthest from both (docs/results.md, the fifth cycle).</remarks>
    /// <param name="random">The sample's generator.</param>
    /// <param name="most">The most bytes (at least 1).</param>
    /// <returns>A length in [1, <paramref name="most"/>].</returns>
    public static int MetadataLength(Random random, int most)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(most, 1);
        int phases = Math.Min(64, most);
        int longest = most - phases + 1;
        var length = (int)Math.Round(Math.Exp(random.NextDouble() * Math.Log(longest)));
        return length + random.Next(phases);
    }
}

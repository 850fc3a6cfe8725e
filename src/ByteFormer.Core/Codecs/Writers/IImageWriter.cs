namespace ByteFormer.Codecs.Writers;

/// <summary>
/// One real, independent image writer (a library or the project's own code) for one file format. Each call
/// draws the options real files show (byte order, strips, filters, zlib level, quality, metadata, header
/// versions, ...) from the given <see cref="Random"/>, so the same seed gives the same bytes and different
/// seeds give differently laid-out files that decode to the same pixels (within the format's loss).
/// </summary>
public interface IImageWriter
{
    /// <summary>Unique name, format then library, e.g. <c>tiff-libtiff</c> or <c>png-stored-imagesharp</c>.</summary>
    string Name { get; }

    /// <summary>The file format written; <see cref="ImageFormat.PngStored"/> writers write stored (level 0) zlib only.</summary>
    ImageFormat Format { get; }

    /// <summary>Encodes <paramref name="image"/> with options drawn from <paramref name="random"/>; deterministic given its state.
    /// Safe to call from several threads at once (with one <see cref="Random"/> per thread).</summary>
    /// <param name="image">8-bit gray or RGB pixels.</param>
    /// <param name="random">Source of the randomised options.</param>
    /// <returns>The file's bytes.</returns>
    byte[] Write(PixelImage image, Random random);
}

/// <summary>The pool of writers: every one, by name, by format, or from a list given on a command line.</summary>
public static class ImageWriters
{
    private static readonly IReadOnlyList<IImageWriter> all =
    [
        new ProjectTiffWriter(),
        new ImageSharpTiffWriter(),
        new LibTiffWriter(),
        new ProjectPngWriter(stored: false),
        new SkiaPngWriter(stored: false),
        new ImageSharpPngWriter(stored: false),
        new StbPngWriter(),
        new ProjectPngWriter(stored: true),
        new SkiaPngWriter(stored: true),
        new ImageSharpPngWriter(stored: true),
        new SkiaJpegWriter(),
        new ImageSharpJpegWriter(),
        new LibJpegWriter(),
        new StbJpegWriter(),
        new ProjectBmpWriter(),
        new ImageSharpBmpWriter(),
        new StbBmpWriter(),
        new SkiaWebpWriter(),
        new ImageSharpWebpWriter(),
    ];

    /// <summary>Every writer, grouped by format.</summary>
    public static IReadOnlyList<IImageWriter> All => all;

    /// <summary>The writer called <paramref name="name"/> (case-insensitive).</summary>
    /// <exception cref="CodecException">No writer has that name; the message lists the known names.</exception>
    public static IImageWriter Get(string name) =>
        all.FirstOrDefault(w => string.Equals(w.Name, name.Trim(), StringComparison.OrdinalIgnoreCase))
        ?? throw new CodecException($"unknown image writer '{name}' (known: {string.Join(", ", all.Select(w => w.Name))})");

    /// <summary>The writers of one format.</summary>
    public static IReadOnlyList<IImageWriter> For(ImageFormat format) => all.Where(w => w.Format == format).ToArray();

    /// <summary>
    /// Reads a writer list: <c>all</c>, or comma-separated writer names and format names (<c>tiff</c>, <c>png</c>,
    /// <c>png-stored</c>, <c>jpeg</c>, <c>bmp</c>, <c>webp</c>: every writer of that format), in order, without repeats.
    /// </summary>
    /// <exception cref="CodecException">An item names neither a writer nor a format, or the list is empty.</exception>
    public static IReadOnlyList<IImageWriter> Parse(string list)
    {
        var result = new List<IImageWriter>();
        foreach (var raw in list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var item = raw.ToLowerInvariant();
            IEnumerable<IImageWriter> found = item == "all" ? all
                : all.FirstOrDefault(w => w.Name == item) is { } one ? [one]
                : ImageEncoding.TryParse(item, out var encoding) && !encoding.IsRawPixels ? For(encoding.Format)
                : throw new CodecException($"unknown image writer or format '{raw}' (known: all, tiff, png, png-stored, jpeg, bmp, webp, {string.Join(", ", all.Select(w => w.Name))})");
            foreach (var w in found)
                if (!result.Contains(w)) result.Add(w);
        }
        if (result.Count == 0) throw new CodecException($"empty image writer list '{list}'");
        return result;
    }

    /// <summary>
    /// Reads format weights, <c>jpeg=3,png=2</c>: how often each format of a writer pool is drawn, relative to the
    /// others (a format not named weighs 1). Format names as in <see cref="Parse"/>.
    /// </summary>
    /// <exception cref="CodecException">An item is not <c>format=weight</c>, names no image format, repeats one, or its
    /// weight is not a positive finite number.</exception>
    public static IReadOnlyDictionary<ImageFormat, double> ParseFormatWeights(string list) =>
        ParseWeights(list, "format", "jpeg=3", (item, name) =>
            ImageEncoding.TryParse(name.ToLowerInvariant(), out var encoding) && !encoding.IsRawPixels ? encoding.Format
                : throw new CodecException($"format weight '{item}': '{name}' is not an image format (tiff, png, png-stored, jpeg, bmp, webp)"));

    /// <summary>
    /// Reads writer weights, <c>bmp-project=3</c>: how often each writer is drawn among the writers of its own format,
    /// relative to them (a writer not named weighs 1). The format's share of the draws stays as
    /// <see cref="ParseFormatWeights"/> sets it, so a writer can be drawn more often without its format taking more of
    /// the training files, or fewer without leaving the pool.
    /// </summary>
    /// <exception cref="CodecException">An item is not <c>writer=weight</c>, names no writer of <see cref="All"/> (a
    /// format name included: its weight belongs in the format weights), repeats one, or its weight is not a positive
    /// finite number.</exception>
    public static IReadOnlyDictionary<string, double> ParseWriterWeights(string list) =>
        ParseWeights(list, "writer", "bmp-project=3", (item, name) =>
            all.FirstOrDefault(w => w.Name == name.ToLowerInvariant()) is { } writer ? writer.Name
                : throw new CodecException(ImageEncoding.TryParse(name.ToLowerInvariant(), out var encoding) && !encoding.IsRawPixels
                    ? $"writer weight '{item}': '{name}' is a format, not a writer (a format's weight goes in the format weights)"
                    : $"writer weight '{item}': '{name}' is not a writer (known: {string.Join(", ", all.Select(w => w.Name))})"));

    /// <summary>Reads <c>key=weight,…</c>: each key through <paramref name="keyOf"/> (which throws for an unknown
    /// name), each weight a number above 0 and at most 1000, no key twice, at least one item.</summary>
    private static Dictionary<TKey, double> ParseWeights<TKey>(string list, string kind, string example, Func<string, string, TKey> keyOf)
        where TKey : notnull
    {
        var weights = new Dictionary<TKey, double>();
        foreach (var item in list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var parts = item.Split('=', 2, StringSplitOptions.TrimEntries);
            if (parts.Length != 2) throw new CodecException($"{kind} weight '{item}' is not {kind}=weight (e.g. {example})");
            var key = keyOf(item, parts[0]);
            if (!double.TryParse(parts[1], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var weight)
                || !double.IsFinite(weight) || weight <= 0 || weight > 1000)
                throw new CodecException($"{kind} weight '{item}': the weight must be a number above 0 and at most 1000");
            if (!weights.TryAdd(key, weight)) throw new CodecException($"{kind} weights name '{parts[0]}' twice");
        }
        if (weights.Count == 0) throw new CodecException($"empty {kind} weight list '{list}'");
        return weights;
    }
}

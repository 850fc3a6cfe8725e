namespace ByteFormer.Codecs;

/// <summary>The file encodings this project makes from pixels (byteformer.md §3.2).</summary>
public enum ImageFormat
{
    /// <summary>Raw interleaved bytes (R,G,B per pixel), no header.</summary>
    FHwc,
    /// <summary>Raw planar bytes (all R, then G, then B), no header.</summary>
    FChw,
    /// <summary>Baseline uncompressed little-endian TIFF, laid out as PIL writes it.</summary>
    Tiff,
    /// <summary>PNG with zlib stored blocks (no compression), as the reference (compress_level=0).</summary>
    PngStored,
    /// <summary>PNG with zlib's default compression.</summary>
    Png,
    /// <summary>Baseline JPEG at a quality (libjpeg-turbo through SkiaSharp).</summary>
    Jpeg,
    /// <summary>Uncompressed BMP (8-bit palette for gray, 24-bit for RGB).</summary>
    Bmp,
    /// <summary>Lossy WebP at a quality (libwebp through SkiaSharp).</summary>
    WebP,
}

/// <summary>An encoding and its setting: what a model was trained on, stored in its model file.</summary>
/// <param name="Format">The file format.</param>
/// <param name="Quality">JPEG/WebP quality 1–100 (ignored by the others).</param>
public sealed record ImageEncoding(ImageFormat Format, int Quality = 75) : IFileEncoding<PixelImage>
{
    /// <summary>The names <see cref="Parse"/> knows, for messages.</summary>
    public const string KnownNames = "fhwc, fchw, tiff, png-stored, png, jpeg[Q], bmp, webp[Q]";

    /// <inheritdoc />
    public string Name => ToString();

    /// <inheritdoc />
    public EncodingKind Kind => EncodingKind.Image;

    /// <summary>True for the headerless pixel layouts (fHWC, fCHW): the decoded pixels themselves, as a pixel model reads them.</summary>
    public bool IsRawPixels => Format is ImageFormat.FHwc or ImageFormat.FChw;

    /// <summary>Parses <paramref name="text"/> as <see cref="Parse"/> does, without throwing.</summary>
    public static bool TryParse(string? text, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ImageEncoding? encoding)
    {
        encoding = null;
        if (string.IsNullOrWhiteSpace(text)) return false;
        try { encoding = Parse(text); return true; }
        catch (CodecException) { return false; }
    }

    /// <summary>Parses names such as tiff, png, png-stored, jpeg, jpeg75, webp80, fhwc, fchw, bmp.</summary>
    public static ImageEncoding Parse(string text, int? quality = null)
    {
        var s = text.Trim().ToLowerInvariant();
        var digits = new string(s.Reverse().TakeWhile(char.IsDigit).Reverse().ToArray());
        var name = s[..^digits.Length];
        if (digits.Length > 3) throw new CodecException($"unknown image encoding '{text}' (expected {KnownNames})");
        int? q = digits.Length > 0 ? int.Parse(digits) : quality;
        ImageFormat format = name switch
        {
            "fhwc" or "raw" => ImageFormat.FHwc,
            "fchw" => ImageFormat.FChw,
            "tiff" or "tif" => ImageFormat.Tiff,
            "png-stored" or "pngstored" or "png0" => ImageFormat.PngStored,
            "png" => ImageFormat.Png,
            "jpeg" or "jpg" => ImageFormat.Jpeg,
            "bmp" => ImageFormat.Bmp,
            "webp" => ImageFormat.WebP,
            _ => throw new CodecException($"unknown image encoding '{text}' (expected {KnownNames})"),
        };
        var result = new ImageEncoding(format, q ?? 75);
        if (result.Quality is < 1 or > 100) throw new CodecException($"quality {result.Quality} must be in 1..100");
        return result;
    }

    /// <summary>Short name that <see cref="Parse"/> reads back, e.g. "jpeg75".</summary>
    public override string ToString() => Format switch
    {
        ImageFormat.Jpeg => $"jpeg{Quality}",
        ImageFormat.WebP => $"webp{Quality}",
        ImageFormat.PngStored => "png-stored",
        _ => Format.ToString().ToLowerInvariant(),
    };

    /// <summary>File extension for this encoding.</summary>
    public string Extension => Format switch
    {
        ImageFormat.FHwc or ImageFormat.FChw => ".raw",
        ImageFormat.Tiff => ".tiff",
        ImageFormat.PngStored or ImageFormat.Png => ".png",
        ImageFormat.Jpeg => ".jpg",
        ImageFormat.Bmp => ".bmp",
        _ => ".webp",
    };

    /// <summary>Encodes <paramref name="image"/> to file bytes.</summary>
    public byte[] Encode(PixelImage image) => Format switch
    {
        ImageFormat.FHwc => (byte[])image.Pixels.Clone(),
        ImageFormat.FChw => RawEncoder.Planar(image),
        ImageFormat.Tiff => TiffEncoder.Encode(image),
        ImageFormat.PngStored => PngEncoder.Encode(image, compress: false),
        ImageFormat.Png => PngEncoder.Encode(image, compress: true),
        ImageFormat.Bmp => BmpEncoder.Encode(image),
        _ => (LossyEncoder.Value ?? throw new CodecException($"{Name}: JPEG and WebP files are written by ByteFormer.Core (SkiaSharp), which is not deployed"))(image, Format, Quality),
    };

    /// <summary>
    /// JPEG and WebP go through SkiaSharp, which this library leaves out so that an inference deployment needs no
    /// native image library; ByteFormer.Core's <c>SkiaEncoder.EncodeLossy</c> does it wherever Core is deployed. Found by
    /// name because this assembly cannot reference Core (Core references it).
    /// </summary>
    private static readonly Lazy<Func<PixelImage, ImageFormat, int, byte[]>?> LossyEncoder = new(() =>
        Type.GetType("ByteFormer.Codecs.SkiaEncoder, ByteFormer.Core")?.GetMethod("EncodeLossy")
            ?.CreateDelegate<Func<PixelImage, ImageFormat, int, byte[]>>());
}

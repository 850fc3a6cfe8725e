using SkiaSharp;

namespace ByteFormer.Codecs.Writers;

/// <summary>Shared code of the SkiaSharp writers (libpng, libjpeg-turbo, libwebp inside Skia).</summary>
internal abstract class SkiaWriter : IImageWriter
{
    public abstract string Name { get; }
    public abstract ImageFormat Format { get; }

    public byte[] Write(PixelImage image, Random random)
    {
        bool gray = image.Channels == 1 && !(AllowGrayAsRgb && random.Chance(0.15));
        var info = new SKImageInfo(image.Width, image.Height, gray ? SKColorType.Gray8 : SKColorType.Rgba8888, SKAlphaType.Opaque);
        var pixels = gray ? image.Pixels : image.ToRgba();
        unsafe
        {
            fixed (byte* p = pixels)
            {
                using var pixmap = new SKPixmap(info, (IntPtr)p, info.RowBytes);
                using var data = Encode(pixmap, image, random)
                                 ?? throw new CodecException($"SkiaSharp could not write a {image.Width}x{image.Height} image as {Name}");
                return data.ToArray();
            }
        }
    }

    protected virtual bool AllowGrayAsRgb => false;

    protected abstract SKData? Encode(SKPixmap pixmap, PixelImage image, Random random);
}

/// <summary>Skia PNG (libpng): a random non-empty set of row filters, zlib level 1–9 (0 for stored), gray sometimes written as RGB.</summary>
internal sealed class SkiaPngWriter(bool stored) : SkiaWriter
{
    public override string Name => stored ? "png-stored-skia" : "png-skia";
    public override ImageFormat Format => stored ? ImageFormat.PngStored : ImageFormat.Png;
    protected override bool AllowGrayAsRgb => true;

    protected override SKData? Encode(SKPixmap pixmap, PixelImage image, Random random)
    {
        var filters = random.Chance(0.4) ? SKPngEncoderFilterFlags.AllFilters : (SKPngEncoderFilterFlags)(8 << random.Next(5));
        if (random.Chance(0.2)) filters |= (SKPngEncoderFilterFlags)(8 << random.Next(5));
        return pixmap.Encode(new SKPngEncoderOptions(filters, stored ? 0 : random.Next(1, 10)));
    }
}

/// <summary>Skia JPEG (libjpeg-turbo): quality 60–95; 4:2:0, 4:2:2 or 4:4:4 for RGB.</summary>
internal sealed class SkiaJpegWriter : SkiaWriter
{
    public override string Name => "jpeg-skia";
    public override ImageFormat Format => ImageFormat.Jpeg;

    protected override SKData? Encode(SKPixmap pixmap, PixelImage image, Random random) =>
        pixmap.Encode(new SKJpegEncoderOptions(random.Next(60, 96),
            random.Pick(new[] { SKJpegEncoderDownsample.Downsample420, SKJpegEncoderDownsample.Downsample422, SKJpegEncoderDownsample.Downsample444 }),
            SKJpegEncoderAlphaOption.Ignore));
}

/// <summary>Skia lossy WebP (libwebp): quality 60–95 (fractional).</summary>
internal sealed class SkiaWebpWriter : SkiaWriter
{
    public override string Name => "webp-skia";
    public override ImageFormat Format => ImageFormat.WebP;

    protected override SKData? Encode(SKPixmap pixmap, PixelImage image, Random random) =>
        pixmap.Encode(new SKWebpEncoderOptions(SKWebpEncoderCompression.Lossy, 60 + 35 * (float)random.NextDouble()));
}

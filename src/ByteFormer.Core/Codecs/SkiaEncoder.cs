using SkiaSharp;

namespace ByteFormer.Codecs;

/// <summary>JPEG and WebP through SkiaSharp (libjpeg-turbo, libwebp). Gray images stay gray.</summary>
public static class SkiaEncoder
{
    /// <summary>JPEG (<see cref="ImageFormat.Jpeg"/>) or else WebP at <paramref name="quality"/>: what <see cref="ImageEncoding.Encode"/>
    /// calls for the lossy formats (ByteFormer.Inference, which holds it, has no SkiaSharp).</summary>
    public static byte[] EncodeLossy(PixelImage image, ImageFormat format, int quality) =>
        Encode(image, format == ImageFormat.Jpeg ? SKEncodedImageFormat.Jpeg : SKEncodedImageFormat.Webp, quality);

    /// <summary>The file of <paramref name="image"/> in <paramref name="format"/> (JPEG or WebP) at <paramref name="quality"/> (0–100);
    /// throws <see cref="CodecException"/> when SkiaSharp cannot encode it.</summary>
    public static byte[] Encode(PixelImage image, SKEncodedImageFormat format, int quality)
    {
        var colorType = image.Channels == 1 ? SKColorType.Gray8 : SKColorType.Rgba8888;
        var info = new SKImageInfo(image.Width, image.Height, colorType, SKAlphaType.Opaque);
        var pixels = image.Channels == 1 ? image.Pixels : ToRgba(image);
        using var bitmap = new SKBitmap();
        unsafe
        {
            fixed (byte* p = pixels)
            {
                using var pixmap = new SKPixmap(info, (IntPtr)p, info.RowBytes);
                using var data = pixmap.Encode(format, quality)
                                 ?? throw new CodecException($"SkiaSharp could not encode a {image.Width}x{image.Height} image as {format}");
                return data.ToArray();
            }
        }
    }

    private static byte[] ToRgba(PixelImage image)
    {
        var rgba = new byte[image.Width * image.Height * 4];
        for (int i = 0, j = 0; i < image.Pixels.Length; i += 3, j += 4)
        {
            rgba[j] = image.Pixels[i];
            rgba[j + 1] = image.Pixels[i + 1];
            rgba[j + 2] = image.Pixels[i + 2];
            rgba[j + 3] = 255;
        }
        return rgba;
    }
}

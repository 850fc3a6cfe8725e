using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace ByteFormer.Codecs;

/// <summary>
/// File bytes back to pixels with a real decoder (ImageSharp for every format; raw layouts by length), for the
/// decode-then-classify baseline: a file it cannot decode, or decodes to another size, gets no pixels.
/// </summary>
public static class ImageDecoder
{
    /// <summary>The gray image in <paramref name="file"/>, or null when the decoder gives up or the size is not
    /// <paramref name="width"/>×<paramref name="height"/>.</summary>
    public static PixelImage? TryDecodeGray(byte[] file, ImageEncoding encoding, int width, int height)
    {
        if (encoding.Format is ImageFormat.FHwc or ImageFormat.FChw)
            return file.Length == width * height ? new PixelImage(width, height, 1, (byte[])file.Clone()) : null;
        try
        {
            using var image = Image.Load<L8>(file);
            if (image.Width != width || image.Height != height) return null;
            var pixels = new byte[width * height];
            image.CopyPixelDataTo(pixels);
            return new PixelImage(width, height, 1, pixels);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A damaged file makes decoders fail in unplanned ways (ImageSharp's TIFF decoder divides by a
            // rows-per-strip of 0, indexes past arrays, ...): every one of them means "no image".
            return null;
        }
    }
}

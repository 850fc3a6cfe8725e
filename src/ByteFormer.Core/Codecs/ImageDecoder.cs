using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

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

    /// <summary>
    /// Any picture ImageSharp reads (PNG, JPEG, GIF, BMP, TIFF, WebP, TGA, PBM) as a gray
    /// <paramref name="width"/>×<paramref name="height"/> image: converted to luminance, scaled to fit and centred on
    /// black (the aspect ratio kept), as a model trained on such images expects its input.
    /// </summary>
    /// <param name="file">The picture's bytes.</param>
    /// <param name="width">The width to make.</param>
    /// <param name="height">The height to make.</param>
    /// <param name="source">The file's name, for messages.</param>
    /// <exception cref="CodecException">The bytes are not a picture any decoder here reads, or it is damaged.</exception>
    public static PixelImage DecodeToGray(byte[] file, int width, int height, string source)
    {
        if (file.Length == 0) throw new CodecException($"{source}: empty file (0 bytes)");
        Image<L8> image;
        try
        {
            image = Image.Load<L8>(file);
        }
        catch (UnknownImageFormatException)
        {
            throw new CodecException($"{source}: not a picture this program can read (unknown image format)");
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new CodecException($"{source}: not a picture this program can read ({e.GetType().Name.Replace("Exception", "")}: {e.Message.Split('\n')[0]})");
        }
        using (image)
        {
            if (image.Width != width || image.Height != height)
                image.Mutate(x => x.Resize(new ResizeOptions { Size = new Size(width, height), Mode = ResizeMode.Pad, PadColor = Color.Black }));
            var pixels = new byte[width * height];
            image.CopyPixelDataTo(pixels);
            return new PixelImage(width, height, 1, pixels);
        }
    }
}

using StbImageWriteSharp;

namespace ByteFormer.Codecs.Writers;

/// <summary>Shared code of the StbImageWriteSharp writers (a C# port of stb_image_write.h). Its PNG settings are
/// process-wide statics, so every stb call runs under one lock.</summary>
internal abstract class StbWriter : IImageWriter
{
    protected static readonly object Lock = new();

    public abstract string Name { get; }
    public abstract ImageFormat Format { get; }
    public abstract byte[] Write(PixelImage image, Random random);

    protected static (byte[] Pixels, ColorComponents Components) Input(PixelImage image, bool asRgb, bool alpha = false)
    {
        if (alpha) return (image.ToRgba(), ColorComponents.RedGreenBlueAlpha);
        if (image.Channels == 3) return (image.Pixels, ColorComponents.RedGreenBlue);
        return asRgb ? (WriterRandom.GrayToRgb(image.Pixels), ColorComponents.RedGreenBlue) : (image.Pixels, ColorComponents.Grey);
    }
}

/// <summary>stb PNG: its own zlib at quality 5–9 (fixed Huffman), a forced filter 0–4 or its adaptive choice, gray sometimes as RGB.</summary>
internal sealed class StbPngWriter : StbWriter
{
    public override string Name => "png-stb";
    public override ImageFormat Format => ImageFormat.Png;

    public override byte[] Write(PixelImage image, Random random)
    {
        var (pixels, comp) = Input(image, random.Chance(0.15));
        int level = random.Next(5, 10), filter = random.Chance(0.4) ? -1 : random.Next(5);
        using var output = new MemoryStream();
        lock (Lock)
        {
            StbImageWrite.stbi_write_png_compression_level = level;
            StbImageWrite.stbi_write_force_png_filter = filter;
            try { new ImageWriter().WritePng(pixels, image.Width, image.Height, comp, output); }
            finally
            {
                StbImageWrite.stbi_write_png_compression_level = 8;
                StbImageWrite.stbi_write_force_png_filter = -1;
            }
        }
        return output.ToArray();
    }
}

/// <summary>stb JPEG: quality 60–95 (stb drops chroma subsampling at 90 and above), gray input as one or three components.</summary>
internal sealed class StbJpegWriter : StbWriter
{
    public override string Name => "jpeg-stb";
    public override ImageFormat Format => ImageFormat.Jpeg;

    public override byte[] Write(PixelImage image, Random random)
    {
        var (pixels, comp) = Input(image, random.Chance(0.3));
        int quality = random.Next(60, 96);
        using var output = new MemoryStream();
        lock (Lock) new ImageWriter().WriteJpg(pixels, image.Width, image.Height, comp, output, quality);
        return output.ToArray();
    }
}

/// <summary>stb BMP: 24-bit with BITMAPINFOHEADER, or 32-bit with the V4 header (opaque alpha).</summary>
internal sealed class StbBmpWriter : StbWriter
{
    public override string Name => "bmp-stb";
    public override ImageFormat Format => ImageFormat.Bmp;

    public override byte[] Write(PixelImage image, Random random)
    {
        var (pixels, comp) = Input(image, asRgb: true, alpha: random.Chance(0.4));
        using var output = new MemoryStream();
        lock (Lock) new ImageWriter().WriteBmp(pixels, image.Width, image.Height, comp, output);
        return output.ToArray();
    }
}

using ByteFormer.Codecs;
using BitMiracle.LibTiff.Classic;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SkiaSharp;

namespace ByteFormer.Tests.Codecs.Writers;

/// <summary>Test images and independent decoders (to interleaved RGB, so gray written as RGB compares too).</summary>
internal static class WriterTestImages
{
    /// <summary>Fashion-MNIST-like 28×28 gray: dark background, a bright blob with texture.</summary>
    public static PixelImage Gray(int seed = 7)
    {
        var rng = new Random(seed);
        var pixels = new byte[28 * 28];
        for (var y = 0; y < 28; y++)
        for (var x = 0; x < 28; x++)
        {
            double d = Math.Sqrt((x - 14) * (x - 14) + (y - 13) * (y - 13));
            pixels[y * 28 + x] = d > 11 ? (byte)0 : (byte)Math.Clamp(255 - d * 12 + rng.Next(-20, 21), 0, 255);
        }
        return new PixelImage(28, 28, 1, pixels);
    }

    /// <summary>A small smooth RGB image (lossy codecs keep it well), 13×9 so rows need padding.</summary>
    public static PixelImage Rgb()
    {
        var pixels = new byte[13 * 9 * 3];
        for (var y = 0; y < 9; y++)
        for (var x = 0; x < 13; x++)
        {
            var i = (y * 13 + x) * 3;
            (pixels[i], pixels[i + 1], pixels[i + 2]) = ((byte)(40 + x * 12), (byte)(200 - y * 15), (byte)(90 + x * 5 + y * 5));
        }
        return new PixelImage(13, 9, 3, pixels);
    }

    public static byte[] AsRgb(PixelImage image) => image.Channels == 3 ? image.Pixels
        : image.Pixels.SelectMany(v => new[] { v, v, v }).ToArray();

    public static byte[] ImageSharpRgb(byte[] file, out int width, out int height)
    {
        using var img = Image.Load<Rgb24>(file);
        (width, height) = (img.Width, img.Height);
        var buffer = new byte[img.Width * img.Height * 3];
        img.CopyPixelDataTo(buffer);
        return buffer;
    }

    public static byte[] SkiaRgb(byte[] file, out int width, out int height)
    {
        using var codec = SKCodec.Create(new SKMemoryStream(file)) ?? throw new InvalidOperationException("Skia cannot read the file");
        var info = new SKImageInfo(codec.Info.Width, codec.Info.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        using var bitmap = new SKBitmap(info);
        var result = codec.GetPixels(info, bitmap.GetPixels());
        if (result != SKCodecResult.Success) throw new InvalidOperationException($"Skia: {result}");
        var rgba = bitmap.Bytes;
        (width, height) = (info.Width, info.Height);
        var rgb = new byte[width * height * 3];
        for (int i = 0, j = 0; i < rgb.Length; i += 3, j += 4) (rgb[i], rgb[i + 1], rgb[i + 2]) = (rgba[j], rgba[j + 1], rgba[j + 2]);
        return rgb;
    }

    public static byte[] LibTiffRgb(byte[] file, out int width, out int height)
    {
        using var tif = Tiff.ClientOpen("memory", "r", new MemoryStream(file), new TiffStream()) ?? throw new InvalidOperationException("libtiff cannot read the file");
        width = tif.GetField(TiffTag.IMAGEWIDTH)[0].ToInt();
        height = tif.GetField(TiffTag.IMAGELENGTH)[0].ToInt();
        var raster = new int[width * height];
        if (!tif.ReadRGBAImageOriented(width, height, raster, Orientation.TOPLEFT)) throw new InvalidOperationException("libtiff could not decode");
        var rgb = new byte[width * height * 3];
        for (var i = 0; i < raster.Length; i++)
            (rgb[3 * i], rgb[3 * i + 1], rgb[3 * i + 2]) = ((byte)Tiff.GetR(raster[i]), (byte)Tiff.GetG(raster[i]), (byte)Tiff.GetB(raster[i]));
        return rgb;
    }

    /// <summary>Decodes with a library other than the writer's: ImageSharp, or for ImageSharp's own files Skia (libtiff for TIFF).</summary>
    public static byte[] Independent(string writer, ImageFormat format, byte[] file, out int width, out int height)
    {
        if (!writer.EndsWith("imagesharp")) return ImageSharpRgb(file, out width, out height);
        return format == ImageFormat.Tiff ? LibTiffRgb(file, out width, out height) : SkiaRgb(file, out width, out height);
    }

    public static double MeanAbsError(byte[] a, byte[] b) => a.Zip(b, (x, y) => Math.Abs(x - y)).Average();
}

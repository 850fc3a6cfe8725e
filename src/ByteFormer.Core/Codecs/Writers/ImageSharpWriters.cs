using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Bmp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Tiff;
using SixLabors.ImageSharp.Formats.Tiff.Constants;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.Metadata;
using SixLabors.ImageSharp.Metadata.Profiles.Exif;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing.Processors.Quantization;
using IsBmpEncoder = SixLabors.ImageSharp.Formats.Bmp.BmpEncoder;
using IsPngEncoder = SixLabors.ImageSharp.Formats.Png.PngEncoder;
using IsTiffEncoder = SixLabors.ImageSharp.Formats.Tiff.TiffEncoder;

namespace ByteFormer.Codecs.Writers;

/// <summary>Shared code of the SixLabors.ImageSharp 2.1 writers: pixels in, metadata drawn, encoder run.</summary>
internal abstract class ImageSharpWriter : IImageWriter
{
    public abstract string Name { get; }
    public abstract ImageFormat Format { get; }

    public byte[] Write(PixelImage image, Random random)
    {
        using var img = Load(image);
        if (random.Chance(0.6))
        {
            img.Metadata.ResolutionUnits = random.Chance(0.8) ? PixelResolutionUnit.PixelsPerInch : PixelResolutionUnit.PixelsPerCentimeter;
            img.Metadata.HorizontalResolution = img.Metadata.VerticalResolution = random.Dpi();
        }
        var encoder = Encoder(image, img, random);
        using var output = new MemoryStream();
        img.Save(output, encoder);
        return Finish(output.ToArray());
    }

    /// <summary>A last fix-up of the encoder's bytes (none by default).</summary>
    protected virtual byte[] Finish(byte[] file) => file;

    protected abstract IImageEncoder Encoder(PixelImage image, Image img, Random random);

    protected static Image Load(PixelImage image) => image.Channels == 1
        ? Image.LoadPixelData<L8>(image.Pixels, image.Width, image.Height)
        : Image.LoadPixelData<Rgb24>(image.Pixels, image.Width, image.Height);

    /// <summary>Random EXIF-style ASCII tags (Software, DateTime, ImageDescription, Artist), each present or not.</summary>
    protected static void RandomExif(Image img, Random random, double p)
    {
        if (!random.Chance(p)) return;
        var exif = new ExifProfile();
        if (random.Chance(0.6)) exif.SetValue(ExifTag.Software, random.Program());
        if (random.Chance(0.5)) exif.SetValue(ExifTag.DateTime, random.ExifDate());
        if (random.Chance(0.4)) exif.SetValue(ExifTag.ImageDescription, random.SomeText());
        if (random.Chance(0.3)) exif.SetValue(ExifTag.Artist, random.Text(random.Next(1, 40)));
        img.Metadata.ExifProfile = exif;
    }

    /// <summary>A palette of the 256 grays, so 8-bit palette output keeps every gray exactly.</summary>
    protected static readonly IQuantizer GrayPalette = new PaletteQuantizer(
        Enumerable.Range(0, 256).Select(i => Color.FromRgb((byte)i, (byte)i, (byte)i)).ToArray(), new QuantizerOptions { Dither = null });
}

/// <summary>ImageSharp TIFF, uncompressed: 8-bit BlackIsZero or 24-bit RGB (gray sometimes as RGB), random EXIF ASCII tags and resolution.</summary>
internal sealed class ImageSharpTiffWriter : ImageSharpWriter
{
    public override string Name => "tiff-imagesharp";
    public override ImageFormat Format => ImageFormat.Tiff;

    protected override IImageEncoder Encoder(PixelImage image, Image img, Random random)
    {
        RandomExif(img, random, 0.6);
        bool rgb = image.Channels == 3 || random.Chance(0.1);
        return new IsTiffEncoder
        {
            Compression = TiffCompression.None,
            BitsPerPixel = rgb ? TiffBitsPerPixel.Bit24 : TiffBitsPerPixel.Bit8,
            PhotometricInterpretation = rgb ? TiffPhotometricInterpretation.Rgb : TiffPhotometricInterpretation.BlackIsZero,
        };
    }
}

/// <summary>ImageSharp PNG: zlib level 1–9 (0 for stored), every filter method, gray or RGB colour type, Adam7 sometimes,
/// tEXt/zTXt/iTXt text of random count and length, gAMA and pHYs present or not.</summary>
internal sealed class ImageSharpPngWriter(bool stored) : ImageSharpWriter
{
    public override string Name => stored ? "png-stored-imagesharp" : "png-imagesharp";
    public override ImageFormat Format => stored ? ImageFormat.PngStored : ImageFormat.Png;

    protected override IImageEncoder Encoder(PixelImage image, Image img, Random random)
    {
        var png = img.Metadata.GetPngMetadata();
        var texts = random.Chance(0.5) ? random.Next(1, 4) : 0;
        for (var i = 0; i < texts; i++)
            png.TextData.Add(random.Chance(0.7)
                ? new PngTextData(random.Pick(PngChunks.Keywords), random.SomeText(), "", "")
                : new PngTextData(random.Pick(PngChunks.Keywords), random.SomeText(), "en-US", "Comment"));
        return new IsPngEncoder
        {
            CompressionLevel = stored ? PngCompressionLevel.Level0 : (PngCompressionLevel)random.Next(1, 10),
            FilterMethod = random.Pick(Enum.GetValues<PngFilterMethod>()),
            ColorType = image.Channels == 3 || random.Chance(0.15) ? PngColorType.Rgb : PngColorType.Grayscale,
            BitDepth = PngBitDepth.Bit8,
            InterlaceMethod = random.Chance(0.1) ? PngInterlaceMode.Adam7 : PngInterlaceMode.None,
            TextCompressionThreshold = random.Chance(0.5) ? 1024 : random.Next(8, 200),
            Gamma = random.Chance(0.3) ? 1 / 2.2f : null,
            ChunkFilter = random.Chance(0.3) ? PngChunkFilter.ExcludePhysicalChunk : PngChunkFilter.None,
        };
    }
}

/// <summary>ImageSharp JPEG: quality 60–95, luminance-only for gray (or YCbCr), 4:2:0/4:2:2/4:4:4 for RGB, EXIF APP1 and JFIF density present or not.</summary>
internal sealed class ImageSharpJpegWriter : ImageSharpWriter
{
    public override string Name => "jpeg-imagesharp";
    public override ImageFormat Format => ImageFormat.Jpeg;

    protected override IImageEncoder Encoder(PixelImage image, Image img, Random random)
    {
        RandomExif(img, random, 0.4);
        return new JpegEncoder
        {
            Quality = random.Next(60, 96),
            ColorType = image.Channels == 1 && random.Chance(0.8) ? JpegColorType.Luminance
                : random.Pick(new[] { JpegColorType.YCbCrRatio420, JpegColorType.YCbCrRatio422, JpegColorType.YCbCrRatio444 }),
        };
    }
}

/// <summary>ImageSharp BMP: gray as an 8-bit palette of the 256 grays, 24-bit or 32-bit; RGB as 24-bit or 32-bit; the V4 header with transparency support or not.</summary>
internal sealed class ImageSharpBmpWriter : ImageSharpWriter
{
    public override string Name => "bmp-imagesharp";
    public override ImageFormat Format => ImageFormat.Bmp;

    protected override IImageEncoder Encoder(PixelImage image, Image img, Random random)
    {
        var bits = image.Channels == 1
            ? random.Pick(new[] { BmpBitsPerPixel.Pixel8, BmpBitsPerPixel.Pixel8, BmpBitsPerPixel.Pixel24, BmpBitsPerPixel.Pixel32 })
            : random.Chance(0.8) ? BmpBitsPerPixel.Pixel24 : BmpBitsPerPixel.Pixel32;
        return new IsBmpEncoder { BitsPerPixel = bits, SupportTransparency = random.Chance(0.3), Quantizer = GrayPalette };
    }

    /// <summary>ImageSharp leaves the row padding as whatever its pooled buffers held: zero it, so a seed gives one file.</summary>
    protected override byte[] Finish(byte[] file)
    {
        int offset = BitConverter.ToInt32(file, 10), width = BitConverter.ToInt32(file, 18), height = Math.Abs(BitConverter.ToInt32(file, 22));
        int bits = BitConverter.ToInt16(file, 28), used = (width * bits + 7) / 8, rowBytes = (used + 3) / 4 * 4;
        for (var y = 0; y < height; y++) file.AsSpan(offset + y * rowBytes + used, rowBytes - used).Clear();
        return file;
    }
}

/// <summary>ImageSharp lossy WebP: quality 60–95, method 0–6, filter strength, spatial noise shaping and entropy passes drawn.</summary>
internal sealed class ImageSharpWebpWriter : ImageSharpWriter
{
    public override string Name => "webp-imagesharp";
    public override ImageFormat Format => ImageFormat.WebP;

    protected override IImageEncoder Encoder(PixelImage image, Image img, Random random) => new WebpEncoder
    {
        FileFormat = WebpFileFormatType.Lossy,
        Quality = random.Next(60, 96),
        Method = (WebpEncodingMethod)random.Next(0, 7),
        FilterStrength = random.Next(0, 101),
        SpatialNoiseShaping = random.Next(0, 101),
        EntropyPasses = random.Next(1, 4),
    };
}

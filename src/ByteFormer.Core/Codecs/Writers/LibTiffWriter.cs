using BitMiracle.LibTiff.Classic;

namespace ByteFormer.Codecs.Writers;

/// <summary>
/// BitMiracle.LibTiff.NET (a port of libtiff), uncompressed: either byte order, one strip or several rows per strip
/// (libtiff's default 8 KB strips among them), optional Software, DateTime, ImageDescription and Artist tags of
/// random length, optional resolution tags, gray sometimes as RGB. libtiff places the IFD after the pixels.
/// </summary>
internal sealed class LibTiffWriter : IImageWriter
{
    public string Name => "tiff-libtiff";
    public ImageFormat Format => ImageFormat.Tiff;

    static LibTiffWriter() => Tiff.SetErrorHandler(new SilentHandler());

    public byte[] Write(PixelImage image, Random random)
    {
        int channels = image.Channels == 1 && random.Chance(0.1) ? 3 : image.Channels;
        var pixels = channels == image.Channels ? image.Pixels : WriterRandom.GrayToRgb(image.Pixels);
        int rowBytes = image.Width * channels;
        int rowsPerStrip = random.Next(3) switch
        {
            0 => image.Height,
            1 => Math.Max(1, 8192 / rowBytes),
            _ => random.Next(1, image.Height + 1),
        };
        var output = new MemoryStream();
        using (var tif = Tiff.ClientOpen("memory", random.Chance(0.5) ? "wb" : "wl", output, new TiffStream())
                         ?? throw new CodecException("libtiff could not open a TIFF for writing"))
        {
            tif.SetField(TiffTag.IMAGEWIDTH, image.Width);
            tif.SetField(TiffTag.IMAGELENGTH, image.Height);
            tif.SetField(TiffTag.BITSPERSAMPLE, 8);
            tif.SetField(TiffTag.SAMPLESPERPIXEL, channels);
            tif.SetField(TiffTag.PHOTOMETRIC, channels == 3 ? Photometric.RGB : Photometric.MINISBLACK);
            tif.SetField(TiffTag.PLANARCONFIG, PlanarConfig.CONTIG);
            tif.SetField(TiffTag.COMPRESSION, Compression.NONE);
            tif.SetField(TiffTag.ROWSPERSTRIP, Math.Min(rowsPerStrip, image.Height));
            if (random.Chance(0.5)) tif.SetField(TiffTag.SOFTWARE, random.Program());
            if (random.Chance(0.4)) tif.SetField(TiffTag.DATETIME, random.ExifDate());
            if (random.Chance(0.4)) tif.SetField(TiffTag.IMAGEDESCRIPTION, random.SomeText());
            if (random.Chance(0.2)) tif.SetField(TiffTag.ARTIST, random.Text(random.Next(1, 40)));
            if (random.Chance(0.6))
            {
                var dpi = random.Dpi();
                tif.SetField(TiffTag.XRESOLUTION, (double)dpi);
                tif.SetField(TiffTag.YRESOLUTION, (double)dpi);
                tif.SetField(TiffTag.RESOLUTIONUNIT, random.Chance(0.8) ? ResUnit.INCH : ResUnit.CENTIMETER);
            }
            var row = new byte[rowBytes];
            for (var y = 0; y < image.Height; y++)
            {
                Buffer.BlockCopy(pixels, y * rowBytes, row, 0, rowBytes);
                if (!tif.WriteScanline(row, y)) throw new CodecException($"libtiff could not write row {y}");
            }
            tif.WriteDirectory();
        }
        return output.ToArray();
    }

    private sealed class SilentHandler : TiffErrorHandler
    {
        public override void WarningHandler(Tiff tif, string method, string format, params object[] args) { }
        public override void WarningHandlerExt(Tiff tif, object clientData, string method, string format, params object[] args) { }
    }
}

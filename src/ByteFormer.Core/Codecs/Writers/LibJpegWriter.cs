using System.Buffers.Binary;
using System.Text;
using BitMiracle.LibJpeg.Classic;

namespace ByteFormer.Codecs.Writers;

/// <summary>
/// BitMiracle.LibJpeg.NET (a port of IJG libjpeg 9): quality 60–95, baseline or progressive, optimised or standard
/// Huffman tables, DCT method, restart intervals, chroma sampling for RGB, JFIF density or no JFIF header, an
/// Adobe marker sometimes, and COM and EXIF-like APP1 segments of random length and count.
/// </summary>
internal sealed class LibJpegWriter : IImageWriter
{
    public string Name => "jpeg-libjpeg";
    public ImageFormat Format => ImageFormat.Jpeg;

    public byte[] Write(PixelImage image, Random random)
    {
        int channels = image.Channels == 1 && random.Chance(0.15) ? 3 : image.Channels;
        var pixels = channels == image.Channels ? image.Pixels : WriterRandom.GrayToRgb(image.Pixels);
        var c = new jpeg_compress_struct(new jpeg_error_mgr())
        {
            Image_width = image.Width,
            Image_height = image.Height,
            Input_components = channels,
            In_color_space = channels == 3 ? J_COLOR_SPACE.JCS_RGB : J_COLOR_SPACE.JCS_GRAYSCALE,
        };
        c.jpeg_set_defaults();
        c.jpeg_set_quality(random.Next(60, 96), true);
        if (random.Chance(0.35)) c.jpeg_simple_progression();
        c.Optimize_coding = random.Chance(0.5);
        c.Dct_method = random.Pick(new[] { J_DCT_METHOD.JDCT_ISLOW, J_DCT_METHOD.JDCT_ISLOW, J_DCT_METHOD.JDCT_IFAST, J_DCT_METHOD.JDCT_FLOAT });
        if (random.Chance(0.15)) c.Restart_in_rows = random.Next(1, 4);
        if (channels == 3)
        {
            // 4:2:0 (the default) or 4:4:4; this port does not implement 4:2:2 ("Not implemented yet").
            if (random.Chance(0.4)) c.Component_info[0].H_samp_factor = c.Component_info[0].V_samp_factor = 1;
        }
        c.Write_JFIF_header = random.Chance(0.9);
        if (random.Chance(0.6))
        {
            c.Density_unit = random.Chance(0.8) ? DensityUnit.DotsInch : DensityUnit.DotsCm;
            c.X_density = c.Y_density = (short)random.Dpi();
        }
        c.Write_Adobe_marker = random.Chance(0.1);

        var output = new MemoryStream();
        c.jpeg_stdio_dest(output);
        c.jpeg_start_compress(true);
        if (random.Chance(0.3)) c.jpeg_write_marker((int)JPEG_MARKER.APP1, Exif(random));
        var comments = random.Chance(0.4) ? random.Next(1, 3) : 0;
        for (var i = 0; i < comments; i++) c.jpeg_write_marker((int)JPEG_MARKER.COM, Encoding.ASCII.GetBytes(random.SomeText()));
        var row = new byte[1][];
        int stride = image.Width * channels;
        for (var y = 0; y < image.Height; y++)
        {
            row[0] = pixels.AsSpan(y * stride, stride).ToArray();
            c.jpeg_write_scanlines(row, 1);
        }
        c.jpeg_finish_compress();
        return output.ToArray();
    }

    /// <summary>A small valid EXIF block: "Exif\0\0", a little-endian TIFF header and one IFD with Software and DateTime.</summary>
    internal static byte[] Exif(Random random)
    {
        var software = Encoding.ASCII.GetBytes(random.Program() + "\0");
        var date = Encoding.ASCII.GetBytes(random.ExifDate() + "\0");
        const int ifd = 8, entries = 2;
        int valuesAt = ifd + 2 + 12 * entries + 4;
        var tiff = new byte[valuesAt + software.Length + date.Length];
        "II*\0"u8.CopyTo(tiff);
        BinaryPrimitives.WriteUInt32LittleEndian(tiff.AsSpan(4), ifd);
        BinaryPrimitives.WriteUInt16LittleEndian(tiff.AsSpan(ifd), entries);
        void Entry(int i, ushort tag, byte[] value, int at)
        {
            var e = tiff.AsSpan(ifd + 2 + 12 * i);
            BinaryPrimitives.WriteUInt16LittleEndian(e, tag);
            BinaryPrimitives.WriteUInt16LittleEndian(e[2..], 2);                    // ASCII
            BinaryPrimitives.WriteUInt32LittleEndian(e[4..], (uint)value.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(e[8..], (uint)at);
            value.CopyTo(tiff.AsSpan(at));
        }
        Entry(0, 305, software, valuesAt);
        Entry(1, 306, date, valuesAt + software.Length);
        return [.. "Exif\0\0"u8, .. tiff];
    }
}

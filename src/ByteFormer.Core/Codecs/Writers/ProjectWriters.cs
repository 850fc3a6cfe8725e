using System.Buffers.Binary;
using System.Text;

namespace ByteFormer.Codecs.Writers;

/// <summary>
/// The project's own TIFF writer with the layouts real programs use: either byte order, the IFD before or after
/// the pixels, one strip or several, optional ASCII tags (Software, DateTime, ImageDescription, Artist) of random
/// length, optional resolution and PlanarConfiguration tags, gray pixels sometimes stored as RGB. Uncompressed.
/// </summary>
internal sealed class ProjectTiffWriter : IImageWriter
{
    public string Name => "tiff-project";
    public ImageFormat Format => ImageFormat.Tiff;

    private sealed record Entry(ushort Tag, ushort Type, uint Count, byte[] Value);   // Value in file byte order

    public byte[] Write(PixelImage image, Random random)
    {
        bool big = random.Chance(0.5);
        int channels = image.Channels == 1 && random.Chance(0.1) ? 3 : image.Channels;
        var pixels = channels == image.Channels ? image.Pixels : WriterRandom.GrayToRgb(image.Pixels);
        int rowBytes = image.Width * channels;
        int rowsPerStrip = random.Chance(0.5) ? image.Height : random.Next(1, image.Height + 1);
        if (random.Chance(0.3)) rowsPerStrip = Math.Max(1, 8192 / rowBytes);                 // libtiff's 8 KB strips
        rowsPerStrip = Math.Min(rowsPerStrip, image.Height);
        int strips = (image.Height + rowsPerStrip - 1) / rowsPerStrip;

        byte[] U16(params int[] v) { var b = new byte[2 * v.Length]; for (var i = 0; i < v.Length; i++) if (big) BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(2 * i), (ushort)v[i]); else BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(2 * i), (ushort)v[i]); return b; }
        byte[] U32(params long[] v) { var b = new byte[4 * v.Length]; for (var i = 0; i < v.Length; i++) if (big) BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(4 * i), (uint)v[i]); else BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(4 * i), (uint)v[i]); return b; }
        const ushort Ascii = 2, Short = 3, Long = 4, Rational = 5;
        bool longSize = random.Chance(0.3);
        var entries = new List<Entry>
        {
            longSize ? new(256, Long, 1, U32(image.Width)) : new(256, Short, 1, U16(image.Width)),
            longSize ? new(257, Long, 1, U32(image.Height)) : new(257, Short, 1, U16(image.Height)),
            new(258, Short, (uint)channels, U16(Enumerable.Repeat(8, channels).ToArray())),
            new(259, Short, 1, U16(1)),
            new(262, Short, 1, U16(channels == 3 ? 2 : 1)),
            new(273, Long, (uint)strips, new byte[4 * strips]),                                   // filled in below
            new(277, Short, 1, U16(channels)),
            random.Chance(0.5) ? new(278, Short, 1, U16(rowsPerStrip)) : new(278, Long, 1, U32(rowsPerStrip)),
            new(279, Long, (uint)strips, U32(Enumerable.Range(0, strips).Select(s => (long)Math.Min(rowsPerStrip, image.Height - s * rowsPerStrip) * rowBytes).ToArray())),
        };
        if (random.Chance(0.7)) entries.Add(new(284, Short, 1, U16(1)));
        Entry AsciiTag(ushort tag, string text) { var b = Encoding.ASCII.GetBytes(text + "\0"); return new(tag, Ascii, (uint)b.Length, b); }
        if (random.Chance(0.4)) entries.Add(AsciiTag(270, random.SomeText()));                 // ImageDescription
        if (random.Chance(0.5)) entries.Add(AsciiTag(305, random.Program()));                  // Software
        if (random.Chance(0.4)) entries.Add(AsciiTag(306, random.ExifDate()));                 // DateTime
        if (random.Chance(0.2)) entries.Add(AsciiTag(315, random.Text(random.Next(1, 40))));   // Artist
        if (random.Chance(0.6))
        {
            var dpi = random.Dpi();
            entries.Add(new(282, Rational, 1, U32(dpi, 1)));
            entries.Add(new(283, Rational, 1, U32(dpi, 1)));
            entries.Add(new(296, Short, 1, U16(random.Chance(0.8) ? 2 : 3)));
        }
        entries.Sort((a, b) => a.Tag.CompareTo(b.Tag));

        // Layout: header, then [IFD, values, pixels] or [pixels, IFD, values] or [values, pixels, IFD].
        int ifdSize = 2 + 12 * entries.Count + 4;
        int valuesSize = entries.Where(e => e.Value.Length > 4).Sum(e => (e.Value.Length + 1) & ~1);
        int pixelBytes = pixels.Length, pixelPad = pixelBytes & 1;
        int layout = random.Next(3);
        int ifdAt, valuesAt, pixelsAt;
        switch (layout)
        {
            case 0: ifdAt = 8; valuesAt = ifdAt + ifdSize; pixelsAt = valuesAt + valuesSize; break;
            case 1: pixelsAt = 8; ifdAt = 8 + pixelBytes + pixelPad; valuesAt = ifdAt + ifdSize; break;
            default: valuesAt = 8; pixelsAt = 8 + valuesSize; ifdAt = pixelsAt + pixelBytes + pixelPad; break;
        }
        var stripOffsets = U32(Enumerable.Range(0, strips).Select(s => (long)pixelsAt + s * rowsPerStrip * rowBytes).ToArray());
        entries[entries.FindIndex(e => e.Tag == 273)] = new(273, Long, (uint)strips, stripOffsets);

        var output = new byte[8 + ifdSize + valuesSize + pixelBytes + pixelPad];
        var span = output.AsSpan();
        span[0] = span[1] = big ? (byte)'M' : (byte)'I';
        U16(42).CopyTo(span[2..]);
        U32(ifdAt).CopyTo(span[4..]);
        U16(entries.Count).CopyTo(span[ifdAt..]);
        int at = ifdAt + 2, value = valuesAt;
        foreach (var e in entries)
        {
            U16(e.Tag, e.Type).CopyTo(span[at..]);
            U32(e.Count).CopyTo(span[(at + 4)..]);
            if (e.Value.Length <= 4) e.Value.CopyTo(span[(at + 8)..]);
            else
            {
                U32(value).CopyTo(span[(at + 8)..]);
                e.Value.CopyTo(span[value..]);
                value += (e.Value.Length + 1) & ~1;
            }
            at += 12;
        }
        pixels.CopyTo(span[pixelsAt..]);                                                       // next-IFD pointer stays 0
        return output;
    }
}

/// <summary>
/// The project's own PNG writer: per-image or per-row filter choice (0–4 or a libpng-like adaptive pick), zlib
/// level 1–9 (stored, level 0, for <see cref="ImageFormat.PngStored"/>), one or several IDAT chunks, random
/// tEXt/zTXt/iTXt/pHYs/gAMA/tIME/cHRM/bKGD/sRGB/sBIT chunks before IDAT (a few of any kind, or one program's usual set),
/// text chunks after it (ImageMagick's dates), gray pixels sometimes written as an RGB colour type.
/// </summary>
internal sealed class ProjectPngWriter(bool stored) : IImageWriter
{
    public string Name => stored ? "png-stored-project" : "png-project";
    public ImageFormat Format => stored ? ImageFormat.PngStored : ImageFormat.Png;

    public byte[] Write(PixelImage image, Random random)
    {
        int channels = image.Channels == 1 && random.Chance(0.15) ? 3 : image.Channels;
        var pixels = channels == image.Channels ? image.Pixels : WriterRandom.GrayToRgb(image.Pixels);
        int stride = image.Width * channels;
        int filterMode = random.Next(7);                                                       // 0–4 fixed, 5 adaptive, 6 random per row
        if (stored && random.Chance(0.5)) filterMode = 0;                                      // PIL's compress_level=0 writes filter 0
        var raw = new byte[(stride + 1) * image.Height];
        var candidate = new byte[stride];
        for (var y = 0; y < image.Height; y++)
        {
            var row = pixels.AsSpan(y * stride, stride);
            var prior = y > 0 ? pixels.AsSpan((y - 1) * stride, stride) : default;
            var dest = raw.AsSpan(y * (stride + 1) + 1, stride);
            int filter = filterMode <= 4 ? filterMode : filterMode == 6 ? random.Next(5) : -1;
            if (filter < 0)
            {
                long best = long.MaxValue;
                for (var f = 0; f < 5; f++)
                {
                    Filter(f, row, prior, channels, candidate);
                    long sum = 0;
                    foreach (var b in candidate) sum += b < 128 ? b : 256 - b;
                    if (sum < best) (best, filter) = (sum, f);
                }
            }
            raw[y * (stride + 1)] = (byte)filter;
            Filter(filter, row, prior, channels, dest);
        }
        var zlib = PngChunks.Zlib(raw, stored ? 0 : random.Next(1, 10));

        using var output = new MemoryStream();
        output.Write(PngChunks.Signature);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, image.Width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), image.Height);
        ihdr[8] = 8;
        ihdr[9] = channels == 3 ? (byte)2 : (byte)0;
        PngChunks.Write(output, "IHDR", ihdr);
        // No ancillary chunks, a few of any kind in any order, or one program's usual set in libpng's order.
        var chunks = random.Next(3);
        if (chunks == 1)
            for (int i = 0, before = random.Next(1, 5); i < before; i++) output.Write(PngChunks.RandomAncillary(random, channels == 3));
        if (chunks == 2)
            foreach (var chunk in PngChunks.ProgramSet(random, channels == 3)) output.Write(chunk);
        int idatSize = random.Chance(0.6) ? zlib.Length : random.Chance(0.5) ? 8192 : random.Next(16, Math.Max(17, zlib.Length));
        for (var at = 0; at < zlib.Length; at += idatSize)
            PngChunks.Write(output, "IDAT", zlib.AsSpan(at, Math.Min(idatSize, zlib.Length - at)));
        if (random.Chance(0.35))
            foreach (var chunk in PngChunks.TrailingText(random)) output.Write(chunk);
        PngChunks.Write(output, "IEND", []);
        return output.ToArray();
    }

    private static void Filter(int type, ReadOnlySpan<byte> row, ReadOnlySpan<byte> prior, int bpp, Span<byte> dest)
    {
        for (var i = 0; i < row.Length; i++)
        {
            int a = i >= bpp ? row[i - bpp] : 0, b = prior.IsEmpty ? 0 : prior[i], c = i >= bpp && !prior.IsEmpty ? prior[i - bpp] : 0;
            int predictor = type switch
            {
                0 => 0,
                1 => a,
                2 => b,
                3 => (a + b) / 2,
                _ => Paeth(a, b, c),
            };
            dest[i] = (byte)(row[i] - predictor);
        }
    }

    private static int Paeth(int a, int b, int c)
    {
        int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }
}

/// <summary>
/// The project's own BMP writer: BITMAPINFOHEADER (40), V4 (108) or V5 (124); gray as an 8-bit palette (the gray
/// ramp of 256 entries or as many as the brightest pixel needs, or only the image's own grays in order of first
/// appearance, sorted or shuffled, as many entries as grays or padded to 256 as netpbm's <c>ppmtobmp</c> writes them;
/// the pixel bytes are then indices, not grays) or
/// 24-bit; RGB as 24-bit or 32-bit; bottom-up or top-down rows; resolution and image-size fields set or zero.
/// </summary>
internal sealed class ProjectBmpWriter : IImageWriter
{
    public string Name => "bmp-project";
    public ImageFormat Format => ImageFormat.Bmp;

    public byte[] Write(PixelImage image, Random random)
    {
        int headerSize = random.Pick(new[] { 40, 40, 108, 124 });
        int bits = image.Channels == 1 ? (random.Chance(0.75) ? 8 : 24) : (random.Chance(0.8) ? 24 : 32);
        int colours = bits == 8 ? (random.Chance(0.7) ? 256 : image.Pixels.Max() + 1) : 0;
        // An indexed palette of the image's own grays, in order of first appearance, sorted, or in any order (netpbm's
        // ppmtobmp writes its colour hash's order), and as many entries as grays or padded with black to 256 (netpbm).
        // Any order is drawn half the time: its pixel bytes say nothing without the palette, the hardest layout to learn.
        byte[]? palette = bits == 8 && random.Chance(0.5) ? OwnGrays(image.Pixels, random.Pick(PaletteOrders), random) : null;
        bool padded = palette is not null && random.Chance(0.5);
        if (palette is not null) colours = padded ? 256 : palette.Length;
        var index = new byte[256];
        if (palette is not null) for (var i = 0; i < palette.Length; i++) index[palette[i]] = (byte)i;
        bool topDown = random.Chance(0.2);
        int rowBytes = (image.Width * bits / 8 + 3) / 4 * 4;
        int dataOffset = 14 + headerSize + 4 * colours;
        var output = new byte[dataOffset + rowBytes * image.Height];
        var s = output.AsSpan();
        s[0] = (byte)'B';
        s[1] = (byte)'M';
        BinaryPrimitives.WriteInt32LittleEndian(s[2..], output.Length);
        BinaryPrimitives.WriteInt32LittleEndian(s[10..], dataOffset);
        BinaryPrimitives.WriteInt32LittleEndian(s[14..], headerSize);
        BinaryPrimitives.WriteInt32LittleEndian(s[18..], image.Width);
        BinaryPrimitives.WriteInt32LittleEndian(s[22..], topDown ? -image.Height : image.Height);
        BinaryPrimitives.WriteInt16LittleEndian(s[26..], 1);
        BinaryPrimitives.WriteInt16LittleEndian(s[28..], (short)bits);
        if (random.Chance(0.7)) BinaryPrimitives.WriteInt32LittleEndian(s[34..], rowBytes * image.Height);
        if (random.Chance(0.7))
        {
            var ppm = (int)Math.Round(random.Dpi() / 0.0254);
            BinaryPrimitives.WriteInt32LittleEndian(s[38..], ppm);
            BinaryPrimitives.WriteInt32LittleEndian(s[42..], ppm);
        }
        if (bits == 8 && (colours != 256 || (palette is not null && !padded) || random.Chance(0.5))) BinaryPrimitives.WriteInt32LittleEndian(s[46..], colours);
        if (headerSize >= 108)
        {
            // V4: no masks for BI_RGB; colour space sRGB ('sRGB') or calibrated (0, with zero endpoints).
            BinaryPrimitives.WriteUInt32LittleEndian(s[(14 + 56)..], random.Chance(0.6) ? 0x73524742u : 0u);
            if (headerSize == 124) BinaryPrimitives.WriteInt32LittleEndian(s[(14 + 108)..], random.Pick(new[] { 1, 2, 4, 8 }));   // intent
        }
        for (var i = 0; i < colours; i++)
        {
            var p = 14 + headerSize + 4 * i;
            s[p] = s[p + 1] = s[p + 2] = palette is null ? (byte)i : i < palette.Length ? palette[i] : (byte)0;
        }
        for (var y = 0; y < image.Height; y++)
        {
            var row = s.Slice(dataOffset + (topDown ? y : image.Height - 1 - y) * rowBytes, rowBytes);
            for (var x = 0; x < image.Width; x++)
            {
                var src = (y * image.Width + x) * image.Channels;
                if (bits == 8) { row[x] = palette is null ? image.Pixels[src] : index[image.Pixels[src]]; continue; }
                int b = bits / 8;
                var (r, g, bl) = image.Channels == 1
                    ? (image.Pixels[src], image.Pixels[src], image.Pixels[src])
                    : (image.Pixels[src], image.Pixels[src + 1], image.Pixels[src + 2]);
                row[b * x] = bl;
                row[b * x + 1] = g;
                row[b * x + 2] = r;
                if (b == 4) row[b * x + 3] = 255;
            }
        }
        return output;
    }

    /// <summary>The palette orders drawn: first appearance, sorted, shuffled (twice).</summary>
    private static readonly int[] PaletteOrders = [0, 1, 2, 2];

    /// <summary>The distinct values of <paramref name="pixels"/>: <paramref name="order"/> 0 in order of first appearance,
    /// 1 sorted, 2 shuffled.</summary>
    private static byte[] OwnGrays(byte[] pixels, int order, Random random)
    {
        var seen = new bool[256];
        var grays = new List<byte>();
        foreach (var p in pixels)
            if (!seen[p]) { seen[p] = true; grays.Add(p); }
        if (order == 1) grays.Sort();
        byte[] result = [.. grays];
        if (order == 2) random.Shuffle(result);
        return result;
    }
}

using System.Buffers.Binary;

namespace ByteFormer.Codecs;

/// <summary>An image file's format and size as its header states them.</summary>
/// <param name="Format">The container format (<see cref="ImageFormat.Png"/> for every PNG, stored or compressed).</param>
/// <param name="Width">Pixels per row, or 0 when the header was cut before it.</param>
/// <param name="Height">Rows, or 0 when the header was cut before it.</param>
public sealed record ImageHeader(ImageFormat Format, int Width, int Height)
{
    /// <summary>The format's name for messages ("TIFF", "PNG", "JPEG", "BMP", "WebP").</summary>
    public string FormatName => Format switch
    {
        ImageFormat.Tiff => "TIFF",
        ImageFormat.Png or ImageFormat.PngStored => "PNG",
        ImageFormat.Jpeg => "JPEG",
        ImageFormat.Bmp => "BMP",
        ImageFormat.WebP => "WebP",
        _ => Format.ToString(),
    };

    /// <summary>
    /// The format (from its magic bytes) and the size (from the header: PNG's IHDR, BMP's info header, TIFF's
    /// ImageWidth and ImageLength tags, JPEG's first SOF segment, WebP's VP8, VP8L or VP8X chunk) of
    /// <paramref name="file"/>, without decoding a pixel; null for none of those formats. Never throws: a damaged
    /// or cut header gives a size of 0.
    /// </summary>
    public static ImageHeader? TryRead(ReadOnlySpan<byte> file)
    {
        try
        {
            return Read(file);
        }
        catch (Exception e) when (e is ArgumentOutOfRangeException or IndexOutOfRangeException or OverflowException)
        {
            return Sniff(file) is { } format ? new ImageHeader(format, 0, 0) : null;
        }
    }

    /// <summary>
    /// True for an indexed BMP (8 bits a pixel or fewer) whose palette is not a rising ramp of grays: its pixel bytes
    /// are indices that only the palette turns into grays, as in netpbm's <c>ppmtobmp</c> files (its colour hash's
    /// order). Black entries after the last other one (padding to 256) and entries past <c>biClrUsed</c> are not
    /// counted. A byte model reads the pixel bytes, not the palette (docs/results.md, the sixth cycle: the same
    /// images score 11 points lower with such a palette). Reads the header and palette only; false for any other
    /// file, a cut one included.
    /// </summary>
    public static bool HasUnorderedPalette(ReadOnlySpan<byte> file)
    {
        if (Sniff(file) != ImageFormat.Bmp || file.Length < 54) return false;
        var info = BinaryPrimitives.ReadInt32LittleEndian(file[14..]);
        if (info < 40 || info > 256) return false;                                   // OS/2 core headers: 3-byte entries
        var bits = BinaryPrimitives.ReadUInt16LittleEndian(file[28..]);
        if (bits is 0 or > 8) return false;
        long offset = BinaryPrimitives.ReadUInt32LittleEndian(file[10..]);
        long start = 14 + info, end = Math.Min(Math.Min(offset, file.Length), start + 4L * (1 << bits));
        var used = BinaryPrimitives.ReadUInt32LittleEndian(file[46..]);
        if (used > 0) end = Math.Min(end, start + 4L * used);
        if (end <= start) return false;
        var entries = (int)((end - start) / 4);
        var palette = file.Slice((int)start, entries * 4);
        while (entries > 1 && palette[4 * (entries - 1)] == 0 && palette[4 * (entries - 1) + 1] == 0 && palette[4 * (entries - 1) + 2] == 0) entries--;
        for (var i = 0; i < entries; i++)
        {
            byte b = palette[4 * i], g = palette[4 * i + 1], r = palette[4 * i + 2];
            if (b != g || g != r) return true;                                      // a colour: not a gray ramp
            if (i > 0 && b < palette[4 * (i - 1)]) return true;
        }
        return false;
    }

    private static ImageFormat? Sniff(ReadOnlySpan<byte> f)
    {
        if (f.Length >= 4 && (f[..4].SequenceEqual("II*\0"u8) || f[..4].SequenceEqual("MM\0*"u8))) return ImageFormat.Tiff;
        if (f.Length >= 8 && f[..8].SequenceEqual((ReadOnlySpan<byte>)[0x89, (byte)'P', (byte)'N', (byte)'G', 13, 10, 26, 10])) return ImageFormat.Png;
        if (f.Length >= 3 && f[0] == 0xFF && f[1] == 0xD8 && f[2] == 0xFF) return ImageFormat.Jpeg;
        if (f.Length >= 2 && f[0] == 'B' && f[1] == 'M') return ImageFormat.Bmp;
        if (f.Length >= 12 && f[..4].SequenceEqual("RIFF"u8) && f[8..12].SequenceEqual("WEBP"u8)) return ImageFormat.WebP;
        return null;
    }

    private static ImageHeader? Read(ReadOnlySpan<byte> f)
    {
        switch (Sniff(f))
        {
            case ImageFormat.Png:
                return new ImageHeader(ImageFormat.Png, (int)BinaryPrimitives.ReadUInt32BigEndian(f[16..]), (int)BinaryPrimitives.ReadUInt32BigEndian(f[20..]));
            case ImageFormat.Bmp:
                var info = BinaryPrimitives.ReadInt32LittleEndian(f[14..]);
                return info == 12
                    ? new ImageHeader(ImageFormat.Bmp, BinaryPrimitives.ReadUInt16LittleEndian(f[18..]), BinaryPrimitives.ReadUInt16LittleEndian(f[20..]))
                    : new ImageHeader(ImageFormat.Bmp, BinaryPrimitives.ReadInt32LittleEndian(f[18..]), Math.Abs(BinaryPrimitives.ReadInt32LittleEndian(f[22..])));
            case ImageFormat.Tiff:
                return ReadTiff(f);
            case ImageFormat.Jpeg:
                return ReadJpeg(f);
            case ImageFormat.WebP:
                return ReadWebP(f);
            default:
                return null;
        }
    }

    private static ImageHeader ReadTiff(ReadOnlySpan<byte> f)
    {
        var big = f[0] == 'M';
        var ifd = checked((int)U32(f, 4, big));
        int width = 0, height = 0;
        var count = U16(f, ifd, big);
        for (var i = 0; i < count; i++)
        {
            var entry = ifd + 2 + 12 * i;
            var tag = U16(f, entry, big);
            if (tag is not (256 or 257)) continue;
            var value = U16(f, entry + 2, big) == 3 ? U16(f, entry + 8, big) : (int)U32(f, entry + 8, big);
            if (tag == 256) width = value; else height = value;
        }
        return new ImageHeader(ImageFormat.Tiff, width, height);
    }

    private static uint U32(ReadOnlySpan<byte> f, int at, bool big) =>
        big ? BinaryPrimitives.ReadUInt32BigEndian(f[at..]) : BinaryPrimitives.ReadUInt32LittleEndian(f[at..]);

    private static ushort U16(ReadOnlySpan<byte> f, int at, bool big) =>
        big ? BinaryPrimitives.ReadUInt16BigEndian(f[at..]) : BinaryPrimitives.ReadUInt16LittleEndian(f[at..]);

    private static ImageHeader ReadJpeg(ReadOnlySpan<byte> f)
    {
        var at = 2;
        while (at + 9 < f.Length)
        {
            if (f[at] != 0xFF) { at++; continue; }
            var marker = f[at + 1];
            if (marker is 0xFF or 0x01 or (>= 0xD0 and <= 0xD8)) { at++; continue; }
            // SOF0..SOF15, but DHT (C4), JPG (C8) and DAC (CC) share the range.
            if (marker is >= 0xC0 and <= 0xCF and not (0xC4 or 0xC8 or 0xCC))
                return new ImageHeader(ImageFormat.Jpeg, BinaryPrimitives.ReadUInt16BigEndian(f[(at + 7)..]), BinaryPrimitives.ReadUInt16BigEndian(f[(at + 5)..]));
            if (marker == 0xDA) break;                                          // scan data before any SOF: give up
            at += 2 + BinaryPrimitives.ReadUInt16BigEndian(f[(at + 2)..]);
        }
        return new ImageHeader(ImageFormat.Jpeg, 0, 0);
    }

    private static ImageHeader ReadWebP(ReadOnlySpan<byte> f)
    {
        var at = 12;
        while (at + 8 <= f.Length)
        {
            // Unsigned and in 64 bits: a size read as a negative int (0xFFFFFFF8) stepped back to the same chunk forever.
            var size = BinaryPrimitives.ReadUInt32LittleEndian(f[(at + 4)..]);
            var body = f[(at + 8)..];
            if (f.Slice(at, 4).SequenceEqual("VP8X"u8))
                return new ImageHeader(ImageFormat.WebP, 1 + (body[4] | body[5] << 8 | body[6] << 16), 1 + (body[7] | body[8] << 8 | body[9] << 16));
            if (f.Slice(at, 4).SequenceEqual("VP8 "u8))
                return new ImageHeader(ImageFormat.WebP, BinaryPrimitives.ReadUInt16LittleEndian(body[6..]) & 0x3FFF, BinaryPrimitives.ReadUInt16LittleEndian(body[8..]) & 0x3FFF);
            if (f.Slice(at, 4).SequenceEqual("VP8L"u8))
            {
                var bits = BinaryPrimitives.ReadUInt32LittleEndian(body[1..]);
                return new ImageHeader(ImageFormat.WebP, (int)(bits & 0x3FFF) + 1, (int)((bits >> 14) & 0x3FFF) + 1);
            }
            var next = at + 8L + size + (size & 1);
            if (next >= f.Length) break;
            at = (int)next;
        }
        return new ImageHeader(ImageFormat.WebP, 0, 0);
    }
}

using System.Buffers.Binary;
using System.Text;

namespace ByteFormer.Codecs.Writers;

/// <summary>
/// Inserts valid metadata of a chosen size in front of a file's pixel data, leaving the pixels it decodes to
/// unchanged: the model then has to find the pixels at another offset, as in files from other programs.
/// </summary>
public static class MetadataInsertion
{
    /// <summary>
    /// The file with about <paramref name="bytes"/> bytes of metadata inserted before its pixel data (0 returns a copy):
    /// TIFF: an ASCII tag (one the IFD lacks: ImageDescription, Software, Artist, ...) whose value lies just before the
    /// first strip, every offset fixed up (growth exactly <paramref name="bytes"/> from 18 bytes on, the 12-byte IFD
    /// entry included; 12 below that); PNG: one tEXt chunk right after IHDR with its CRC (exact from 14 bytes on);
    /// JPEG: COM segments right after SOI (and APP0 when the file starts with one), split at 65,533 bytes of
    /// payload (exact from 4 bytes on); BMP: a gap of text before the pixel array, bfOffBits and bfSize moved (exact);
    /// WebP: an XMP chunk before the image data, turning a simple file into the extended layout (VP8X) if needed
    /// (exact from 26 bytes on for a simple file, 8 for an extended one, rounded up to even).
    /// </summary>
    /// <param name="file">A file of <paramref name="format"/>.</param>
    /// <param name="format">Tiff, PngStored, Png, Jpeg, Bmp or WebP.</param>
    /// <param name="bytes">About how many bytes to insert (0 to 100 MB).</param>
    /// <param name="random">Draws the tag or keyword and the text.</param>
    /// <returns>A new array; <paramref name="file"/> is not changed.</returns>
    /// <exception cref="CodecException">The format has no metadata (raw layouts), or the file is not a valid file of it.</exception>
    public static byte[] Insert(byte[] file, ImageFormat format, int bytes, Random random)
    {
        if (bytes is < 0 or > 100_000_000) throw new CodecException($"{bytes} bytes of metadata: expected 0 to 100,000,000");
        if (bytes == 0) return (byte[])file.Clone();
        try
        {
            return format switch
            {
                ImageFormat.Tiff => Tiff(file, bytes, random),
                ImageFormat.Png or ImageFormat.PngStored => Png(file, bytes, random),
                ImageFormat.Jpeg => Jpeg(file, bytes, random),
                ImageFormat.Bmp => Bmp(file, bytes, random),
                ImageFormat.WebP => Webp(file, bytes, random),
                _ => throw new CodecException($"{format} files have no metadata to insert"),
            };
        }
        catch (Exception e) when (e is IndexOutOfRangeException or ArgumentOutOfRangeException or ArgumentException)
        {
            throw new CodecException($"cannot insert metadata: not a valid {format} file ({e.Message})");
        }
    }

    private static string Ascii(Random random, int length) => random.Text(length);

    // ---------------------------------------------------------------- PNG
    private static byte[] Png(byte[] file, int bytes, Random random)
    {
        if (file.Length < 33 || !file.AsSpan(0, 8).SequenceEqual(PngChunks.Signature) || !file.AsSpan(12, 4).SequenceEqual("IHDR"u8))
            throw new CodecException("cannot insert metadata: not a PNG file (no signature and IHDR)");
        int at = 8 + 12 + BinaryPrimitives.ReadInt32BigEndian(file.AsSpan(8));
        int data = Math.Max(2, bytes - 12);                                         // keyword, NUL, text
        var keyword = random.Pick(PngChunks.Keywords.Where(k => k.Length <= data - 1).DefaultIfEmpty("C").ToArray());
        var chunk = PngChunks.Text(keyword, Ascii(random, data - 1 - keyword.Length));
        return [.. file.AsSpan(0, at), .. chunk, .. file.AsSpan(at)];
    }

    // ---------------------------------------------------------------- JPEG
    private static byte[] Jpeg(byte[] file, int bytes, Random random)
    {
        if (file.Length < 4 || file[0] != 0xFF || file[1] != 0xD8) throw new CodecException("cannot insert metadata: not a JPEG file (no SOI)");
        int at = 2;
        if (file[2] == 0xFF && file[3] == 0xE0) at = 4 + BinaryPrimitives.ReadUInt16BigEndian(file.AsSpan(4));   // after APP0 (JFIF)
        using var segments = new MemoryStream();
        for (int left = Math.Max(4, bytes); left > 0;)
        {
            int size = Math.Min(left, 4 + 65533);
            if (left - size is > 0 and < 4) size -= 4;                               // leave the last segment room for its header
            int payload = size - 4;
            segments.Write([0xFF, 0xFE, (byte)((payload + 2) >> 8), (byte)(payload + 2)]);
            segments.Write(Encoding.ASCII.GetBytes(Ascii(random, payload)));
            left -= size;
        }
        return [.. file.AsSpan(0, at), .. segments.ToArray(), .. file.AsSpan(at)];
    }

    // ---------------------------------------------------------------- BMP
    private static byte[] Bmp(byte[] file, int bytes, Random random)
    {
        if (file.Length < 54 || file[0] != 'B' || file[1] != 'M') throw new CodecException("cannot insert metadata: not a BMP file (no BM)");
        int offBits = BinaryPrimitives.ReadInt32LittleEndian(file.AsSpan(10));
        int headerSize = BinaryPrimitives.ReadInt32LittleEndian(file.AsSpan(14));
        if (offBits < 14 + headerSize || offBits > file.Length) throw new CodecException($"cannot insert metadata: BMP pixel offset {offBits} is outside the file");
        var output = (byte[])[.. file.AsSpan(0, offBits), .. Encoding.ASCII.GetBytes(Ascii(random, bytes)), .. file.AsSpan(offBits)];
        BinaryPrimitives.WriteInt32LittleEndian(output.AsSpan(2), output.Length);
        BinaryPrimitives.WriteInt32LittleEndian(output.AsSpan(10), offBits + bytes);
        // A palette of "all 2^bits colours" (biClrUsed 0) is spelled out: ImageSharp infers the palette entry size from
        // the space before the pixels when biClrUsed is 0, and would read the gap as wider entries.
        int bits = BinaryPrimitives.ReadInt16LittleEndian(file.AsSpan(28));
        if (headerSize >= 40 && bits is 1 or 2 or 4 or 8 && BinaryPrimitives.ReadInt32LittleEndian(file.AsSpan(46)) == 0)
            BinaryPrimitives.WriteInt32LittleEndian(output.AsSpan(46), 1 << bits);
        if (headerSize >= 124)
        {
            uint csType = BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(14 + 56));
            int profile = BinaryPrimitives.ReadInt32LittleEndian(file.AsSpan(14 + 112));
            if (csType is 0x4D424544 or 0x4C494E4B && 14 + profile >= offBits)       // 'MBED' / 'LINK' after the pixels
                BinaryPrimitives.WriteInt32LittleEndian(output.AsSpan(14 + 112), profile + bytes);
        }
        return output;
    }

    // ---------------------------------------------------------------- WebP
    private static byte[] Webp(byte[] file, int bytes, Random random)
    {
        if (file.Length < 20 || !file.AsSpan(0, 4).SequenceEqual("RIFF"u8) || !file.AsSpan(8, 4).SequenceEqual("WEBP"u8))
            throw new CodecException("cannot insert metadata: not a WebP file (no RIFF/WEBP)");
        var first = Encoding.ASCII.GetString(file, 12, 4);
        byte[] head, rest;
        if (first == "VP8X")
        {
            int at = 12 + 8 + 10;
            if (at + 8 <= file.Length && file.AsSpan(at, 4).SequenceEqual("ICCP"u8))                       // after the colour profile
                at += 8 + ((BinaryPrimitives.ReadInt32LittleEndian(file.AsSpan(at + 4)) + 1) & ~1);
            head = file[12..at];
            rest = file[at..];
        }
        else
        {
            var (w, h, alpha) = first switch
            {
                "VP8 " when file.Length >= 30 && file[23] == 0x9D && file[24] == 0x01 && file[25] == 0x2A =>
                    (BinaryPrimitives.ReadUInt16LittleEndian(file.AsSpan(26)) & 0x3FFF, BinaryPrimitives.ReadUInt16LittleEndian(file.AsSpan(28)) & 0x3FFF, false),
                "VP8L" when file.Length >= 25 && file[20] == 0x2F => VP8LSize(BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(21))),
                _ => throw new CodecException($"cannot insert metadata: WebP chunk '{first}' is neither VP8X, VP8 nor VP8L"),
            };
            head = new byte[18];
            "VP8X"u8.CopyTo(head);
            head[4] = 10;
            head[8] = alpha ? (byte)0x10 : (byte)0;
            WriteUInt24(head.AsSpan(12), w - 1);
            WriteUInt24(head.AsSpan(15), h - 1);
            rest = file[12..];
        }
        head[8] |= 0x04;                                                            // XMP flag
        int overhead = 8 + (first == "VP8X" ? 0 : 18);
        int payload = Math.Max(0, bytes - overhead);
        var chunk = new byte[8 + ((payload + 1) & ~1)];
        "XMP "u8.CopyTo(chunk);
        BinaryPrimitives.WriteInt32LittleEndian(chunk.AsSpan(4), payload);
        Xmp(random, payload).CopyTo(chunk.AsSpan(8));
        var output = (byte[])[.. file.AsSpan(0, 12), .. head, .. chunk, .. rest];
        BinaryPrimitives.WriteInt32LittleEndian(output.AsSpan(4), output.Length - 8);
        return output;
    }

    private static (int, int, bool) VP8LSize(uint bits) => ((int)(bits & 0x3FFF) + 1, (int)((bits >> 14) & 0x3FFF) + 1, ((bits >> 28) & 1) != 0);

    private static void WriteUInt24(Span<byte> s, int v) => (s[0], s[1], s[2]) = ((byte)v, (byte)(v >> 8), (byte)(v >> 16));

    /// <summary>An XMP packet of exactly <paramref name="length"/> bytes (padded with spaces, as XMP writers pad), or plain text when too short.</summary>
    private static byte[] Xmp(Random random, int length)
    {
        const string open = "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\"><rdf:Description xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><dc:description>";
        const string close = "</dc:description></rdf:Description></rdf:RDF></x:xmpmeta>";
        if (length < open.Length + close.Length + 1) return Encoding.ASCII.GetBytes(Ascii(random, length));
        int text = Math.Min(length - open.Length - close.Length, 1 + random.Next(400));
        var xmp = open + Ascii(random, text).Replace('<', ' ').Replace('&', ' ') + close;
        return Encoding.ASCII.GetBytes(xmp.PadRight(length));
    }

    // ---------------------------------------------------------------- TIFF
    private static readonly ushort[] AsciiTags = [270, 305, 315, 269, 316, 285, 33432];   // ImageDescription, Software, Artist, DocumentName, HostComputer, PageName, Copyright

    private static byte[] Tiff(byte[] file, int bytes, Random random)
    {
        if (file.Length < 8 || !(file[0] == file[1] && file[0] is (byte)'I' or (byte)'M')) throw new CodecException("cannot insert metadata: not a TIFF file (no II/MM)");
        bool big = file[0] == 'M';
        var t = new TiffView(file, big);
        if (t.U16(2) != 42) throw new CodecException("cannot insert metadata: not a classic TIFF file (magic is not 42)");
        uint ifd0 = t.U32(4);
        int n = t.U16((int)ifd0);
        var tags = Enumerable.Range(0, n).Select(i => t.U16((int)ifd0 + 2 + 12 * i)).ToHashSet();
        var free = AsciiTags.Where(tag => !tags.Contains(tag)).ToArray();
        if (free.Length == 0) throw new CodecException("cannot insert metadata: the TIFF has every ASCII tag this inserts");
        ushort newTag = random.Pick(free);

        // Every offset field in the file: header, IFD chains (with Exif, GPS, Interop and SubIFDs), out-of-line values, strips/tiles.
        var fields = new List<(int Position, bool Short)> { (4, false) };
        var strips = new List<uint>();
        var seen = new HashSet<uint>();
        void Walk(uint ifd, bool chain)
        {
            while (ifd != 0 && seen.Add(ifd))
            {
                int count = t.U16((int)ifd);
                for (var i = 0; i < count; i++)
                {
                    int e = (int)ifd + 2 + 12 * i;
                    ushort tag = t.U16(e), type = t.U16(e + 2);
                    uint items = t.U32(e + 4);
                    long size = items * TypeSize(type);
                    int valueAt = size > 4 ? (int)t.U32(e + 8) : e + 8;
                    if (size > 4) fields.Add((e + 8, false));
                    if (tag is 273 or 324 or 513)                                       // Strip/TileOffsets, JPEGInterchangeFormat
                        for (var k = 0; k < items; k++)
                        {
                            bool isShort = type == 3;
                            int p = valueAt + k * (isShort ? 2 : 4);
                            fields.Add((p, isShort));
                            if (tag != 513) strips.Add(isShort ? t.U16(p) : t.U32(p));
                        }
                    if (tag is 34665 or 34853 or 40965 or 330)                         // Exif, GPS, Interop IFDs; SubIFDs
                        for (var k = 0; k < items; k++)
                        {
                            int p = valueAt + 4 * k;
                            fields.Add((p, false));
                            Walk(t.U32(p), chain: false);
                        }
                }
                int next = (int)ifd + 2 + 12 * count;
                fields.Add((next, false));
                ifd = t.U32(next);
                if (!chain) break;
            }
        }
        Walk(ifd0, chain: true);
        if (strips.Count == 0) throw new CodecException("cannot insert metadata: the TIFF has no strip or tile offsets");

        int value = bytes >= 17 ? bytes - 12 : Math.Max(1, Math.Min(4, bytes - 12));   // ASCII bytes, NUL included
        int padded = value > 4 ? (value + 1) & ~1 : 0;
        int j = Enumerable.Range(0, n).Count(i => t.U16((int)ifd0 + 2 + 12 * i) < newTag);
        int entryAt = (int)ifd0 + 2 + 12 * j;                                     // A: the new entry
        int valueAtOld = (int)strips.Min();                                       // B: before the first strip
        uint Map(uint o) => o + (o >= entryAt ? 12u : 0u) + (padded > 0 && o >= valueAtOld ? (uint)padded : 0u);

        var patched = (byte[])file.Clone();
        var p2 = new TiffView(patched, big);
        foreach (var (pos, isShort) in fields.Distinct())
            if (isShort)
            {
                uint mapped = Map(t.U16(pos));
                if (mapped > ushort.MaxValue) throw new CodecException("cannot insert metadata: a SHORT strip offset would overflow");
                p2.W16(pos, (ushort)mapped);
            }
            else if (t.U32(pos) != 0 || pos == 4) p2.W32(pos, Map(t.U32(pos)));
        p2.W16((int)ifd0, (ushort)(n + 1));

        var text = Encoding.ASCII.GetBytes(Ascii(random, value - 1) + "\0");
        var entry = new byte[12];
        var ev = new TiffView(entry, big);
        ev.W16(0, newTag);
        ev.W16(2, 2);
        ev.W32(4, (uint)value);
        if (padded == 0) text.CopyTo(entry, 8);
        else ev.W32(8, (uint)(valueAtOld + (valueAtOld >= entryAt ? 12 : 0)));
        var block = new byte[padded];
        if (padded > 0) text.CopyTo(block, 0);

        var inserts = new List<(int At, byte[] Bytes)> { (entryAt, entry) };
        if (padded > 0) inserts.Add((valueAtOld, block));
        inserts.Sort((a, b) => a.At.CompareTo(b.At));
        using var output = new MemoryStream(file.Length + 12 + padded);
        int from = 0;
        foreach (var (at, insert) in inserts)
        {
            output.Write(patched, from, at - from);
            output.Write(insert);
            from = at;
        }
        output.Write(patched, from, patched.Length - from);
        return output.ToArray();
    }

    private static int TypeSize(ushort type) => type switch
    {
        1 or 2 or 6 or 7 => 1,
        3 or 8 => 2,
        4 or 9 or 11 or 13 => 4,
        5 or 10 or 12 => 8,
        _ => 1,
    };

    private readonly struct TiffView(byte[] bytes, bool big)
    {
        public ushort U16(int at) => big ? BinaryPrimitives.ReadUInt16BigEndian(bytes.AsSpan(at)) : BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(at));
        public uint U32(int at) => big ? BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(at)) : BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at));
        public void W16(int at, ushort v) { if (big) BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(at), v); else BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(at), v); }
        public void W32(int at, uint v) { if (big) BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(at), v); else BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(at), v); }
    }
}

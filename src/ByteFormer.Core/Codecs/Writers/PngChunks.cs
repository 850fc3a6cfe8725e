using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace ByteFormer.Codecs.Writers;

/// <summary>PNG chunk writing (length, type, data, CRC-32) and the ancillary chunks real files carry.</summary>
internal static class PngChunks
{

    public static readonly byte[] Signature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    public static readonly string[] Keywords = ["Comment", "Software", "Description", "Title", "Author", "Creation Time", "Source", "Copyright"];

    public static uint Crc(ReadOnlySpan<byte> type, ReadOnlySpan<byte> data) => Crc32.Compute(type, data);

    /// <summary>The chunk's bytes: 4-byte length, type, data, CRC.</summary>
    public static byte[] Chunk(string type, ReadOnlySpan<byte> data)
    {
        var chunk = new byte[12 + data.Length];
        BinaryPrimitives.WriteInt32BigEndian(chunk, data.Length);
        Encoding.ASCII.GetBytes(type, chunk.AsSpan(4, 4));
        data.CopyTo(chunk.AsSpan(8));
        BinaryPrimitives.WriteUInt32BigEndian(chunk.AsSpan(8 + data.Length), Crc(chunk.AsSpan(4, 4), data));
        return chunk;
    }

    public static void Write(Stream output, string type, ReadOnlySpan<byte> data) => output.Write(Chunk(type, data));

    public static byte[] Text(string keyword, string text) =>
        Chunk("tEXt", [.. Encoding.Latin1.GetBytes(keyword), 0, .. Encoding.Latin1.GetBytes(text)]);

    public static byte[] CompressedText(string keyword, string text) =>
        Chunk("zTXt", [.. Encoding.Latin1.GetBytes(keyword), 0, 0, .. Zlib(Encoding.Latin1.GetBytes(text), 6)]);

    public static byte[] InternationalText(string keyword, string text, bool compress, string language) =>
        Chunk("iTXt", [.. Encoding.Latin1.GetBytes(keyword), 0, compress ? (byte)1 : (byte)0, 0, .. Encoding.ASCII.GetBytes(language), 0,
                       .. Encoding.UTF8.GetBytes(keyword), 0, .. compress ? Zlib(Encoding.UTF8.GetBytes(text), 6) : Encoding.UTF8.GetBytes(text)]);

    public static byte[] Zlib(byte[] data, int level)
    {
        using var buffer = new MemoryStream();
        using (var z = new ZLibStream(buffer, new ZLibCompressionOptions { CompressionLevel = level }, leaveOpen: true))
            z.Write(data);
        return buffer.ToArray();
    }

    /// <summary>Keywords of the text chunks programs write after IDAT (ImageMagick's dates among them).</summary>
    public static readonly string[] TrailingKeywords = ["date:create", "date:modify", "date:timestamp", "Comment", "Software", "Creation Time"];

    /// <summary>One random ancillary chunk of the kinds real PNG files carry before IDAT; none changes decoded pixels.
    /// <paramref name="rgb"/> is the colour type's (bKGD and sBIT differ in length for gray and RGB).</summary>
    public static byte[] RandomAncillary(Random random, bool rgb) => random.Next(10) switch
    {
        0 => Physical(random),
        1 => Gamma(random),
        2 => Time(random),
        3 => Text(random.Pick(Keywords), random.SomeText()),
        4 => CompressedText(random.Pick(Keywords), random.SomeText()),
        5 => InternationalText(random.Pick(Keywords), random.SomeText(), random.Chance(0.5), random.Chance(0.5) ? "" : "en-US"),
        6 => Chromaticities(random),
        7 => Background(random, rgb),
        8 => StandardRgb(random),
        _ => SignificantBits(random, rgb),
    };

    /// <summary>
    /// The ancillary chunks one program writes before IDAT, each kind present or not, in the order libpng-based tools
    /// write them (gAMA, cHRM, sRGB, sBIT, bKGD, pHYs, tIME, then text): ImageMagick writes gAMA, cHRM, bKGD and tIME,
    /// GIMP bKGD, pHYs and tIME, Photoshop pHYs and text.
    /// </summary>
    public static IEnumerable<byte[]> ProgramSet(Random random, bool rgb)
    {
        if (random.Chance(0.6)) yield return Gamma(random);
        if (random.Chance(0.4)) yield return Chromaticities(random);
        if (random.Chance(0.3)) yield return StandardRgb(random);
        if (random.Chance(0.2)) yield return SignificantBits(random, rgb);
        if (random.Chance(0.5)) yield return Background(random, rgb);
        if (random.Chance(0.5)) yield return Physical(random);
        if (random.Chance(0.5)) yield return Time(random);
        if (random.Chance(0.3)) yield return Text(random.Pick(Keywords), random.SomeText());
    }

    /// <summary>1 to 3 text chunks after IDAT, as ImageMagick writes its dates ("date:create", ISO 8601).</summary>
    public static IEnumerable<byte[]> TrailingText(Random random)
    {
        var count = random.Next(1, 4);
        for (var i = 0; i < count; i++)
        {
            var keyword = random.Pick(TrailingKeywords);
            yield return Text(keyword, keyword.StartsWith("date:", StringComparison.Ordinal)
                ? random.Date().ToString("yyyy-MM-dd'T'HH:mm:ss") + random.Pick(new[] { "+00:00", "+01:00", "-05:00", "Z" })
                : random.SomeText());
        }
    }

    private static byte[] Physical(Random random)
    {
        var ppm = (int)Math.Round(random.Dpi() / 0.0254);
        var data = new byte[9];
        BinaryPrimitives.WriteInt32BigEndian(data, ppm);
        BinaryPrimitives.WriteInt32BigEndian(data.AsSpan(4), ppm);
        data[8] = 1;                                                                // metres
        return Chunk("pHYs", data);
    }

    private static byte[] Gamma(Random random)
    {
        var data = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(data, random.Chance(0.7) ? 45455 : 100000);   // 1/2.2 or linear
        return Chunk("gAMA", data);
    }

    private static byte[] Time(Random random)
    {
        var d = random.Date();
        var data = new byte[7];
        BinaryPrimitives.WriteUInt16BigEndian(data, (ushort)d.Year);
        (data[2], data[3], data[4], data[5], data[6]) = ((byte)d.Month, (byte)d.Day, (byte)d.Hour, (byte)d.Minute, (byte)d.Second);
        return Chunk("tIME", data);
    }

    /// <summary>cHRM: white point and primaries × 100,000; sRGB's (D65, Rec. 709) or Adobe RGB's.</summary>
    private static byte[] Chromaticities(Random random)
    {
        int[] values = random.Chance(0.8)
            ? [31270, 32900, 64000, 33000, 30000, 60000, 15000, 6000]
            : [31270, 32900, 64000, 33000, 21000, 71000, 15000, 6000];
        var data = new byte[32];
        for (var i = 0; i < 8; i++) BinaryPrimitives.WriteInt32BigEndian(data.AsSpan(4 * i), values[i]);
        return Chunk("cHRM", data);
    }

    /// <summary>bKGD: a background gray (2 bytes) or RGB (6 bytes), white, black or any.</summary>
    private static byte[] Background(Random random, bool rgb)
    {
        var data = new byte[rgb ? 6 : 2];
        var level = random.Pick(new[] { 255, 0, random.Next(256) });
        for (var i = 0; i < data.Length; i += 2) BinaryPrimitives.WriteUInt16BigEndian(data.AsSpan(i), (ushort)(rgb ? random.Chance(0.8) ? level : random.Next(256) : level));
        return Chunk("bKGD", data);
    }

    /// <summary>sRGB: the rendering intent (0–3; perceptual is the common one).</summary>
    private static byte[] StandardRgb(Random random) => Chunk("sRGB", [(byte)(random.Chance(0.7) ? 0 : random.Next(4))]);

    /// <summary>sBIT: significant bits per channel (8 for 8-bit files, sometimes fewer).</summary>
    private static byte[] SignificantBits(Random random, bool rgb)
    {
        var bits = (byte)(random.Chance(0.8) ? 8 : random.Next(5, 8));
        return Chunk("sBIT", rgb ? [bits, bits, bits] : [bits]);
    }
}

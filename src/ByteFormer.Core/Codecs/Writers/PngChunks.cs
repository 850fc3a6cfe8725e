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

    /// <summary>One random ancillary chunk of the kinds real PNG files carry before IDAT; none changes decoded pixels.</summary>
    public static byte[] RandomAncillary(Random random)
    {
        switch (random.Next(6))
        {
            case 0:
            {
                var dpi = random.Dpi();
                var ppm = (int)Math.Round(dpi / 0.0254);
                var data = new byte[9];
                BinaryPrimitives.WriteInt32BigEndian(data, ppm);
                BinaryPrimitives.WriteInt32BigEndian(data.AsSpan(4), ppm);
                data[8] = 1;                                                        // metres
                return Chunk("pHYs", data);
            }
            case 1:
            {
                var data = new byte[4];
                BinaryPrimitives.WriteInt32BigEndian(data, random.Chance(0.7) ? 45455 : 100000);   // 1/2.2 or linear
                return Chunk("gAMA", data);
            }
            case 2:
            {
                var d = random.Date();
                var data = new byte[7];
                BinaryPrimitives.WriteUInt16BigEndian(data, (ushort)d.Year);
                (data[2], data[3], data[4], data[5], data[6]) = ((byte)d.Month, (byte)d.Day, (byte)d.Hour, (byte)d.Minute, (byte)d.Second);
                return Chunk("tIME", data);
            }
            case 3: return Text(random.Pick(Keywords), random.SomeText());
            case 4: return CompressedText(random.Pick(Keywords), random.SomeText());
            default: return InternationalText(random.Pick(Keywords), random.SomeText(), random.Chance(0.5), random.Chance(0.5) ? "" : "en-US");
        }
    }
}

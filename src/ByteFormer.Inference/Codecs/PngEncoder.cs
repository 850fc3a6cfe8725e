using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace ByteFormer.Codecs;

/// <summary>
/// PNG, 8-bit gray or RGB, filter type 0 on every row. <c>compress: false</c> writes zlib stored blocks,
/// so the file length depends only on the image size, as the reference's PIL <c>compress_level=0</c>;
/// <c>compress: true</c> uses zlib's default level (variable length).
/// </summary>
public static class PngEncoder
{

    /// <summary>The PNG file of <paramref name="image"/> (IHDR, one IDAT, IEND); <paramref name="compress"/> as above.</summary>
    public static byte[] Encode(PixelImage image, bool compress)
    {
        int stride = image.Width * image.Channels;
        var raw = new byte[(stride + 1) * image.Height];
        for (var y = 0; y < image.Height; y++)
            Buffer.BlockCopy(image.Pixels, y * stride, raw, y * (stride + 1) + 1, stride);   // filter byte 0
        using var zlib = new MemoryStream();
        using (var z = new ZLibStream(zlib, compress ? CompressionLevel.Optimal : CompressionLevel.NoCompression, leaveOpen: true))
            z.Write(raw);

        using var output = new MemoryStream();
        output.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, image.Width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), image.Height);
        ihdr[8] = 8;                                                                // bit depth
        ihdr[9] = image.Channels == 3 ? (byte)2 : (byte)0;                          // colour type: RGB / gray
        Chunk(output, "IHDR", ihdr);
        Chunk(output, "IDAT", zlib.ToArray());
        Chunk(output, "IEND", []);
        return output.ToArray();
    }

    private static void Chunk(Stream output, string type, byte[] data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        output.Write(word);
        var typeBytes = Encoding.ASCII.GetBytes(type);
        output.Write(typeBytes);
        output.Write(data);
        BinaryPrimitives.WriteUInt32BigEndian(word, Crc32.Compute(typeBytes, data));
        output.Write(word);
    }
}

using System.Buffers.Binary;

namespace ByteFormer.Codecs;

/// <summary>Uncompressed Windows BMP: 8-bit with a gray palette for gray images, 24-bit BGR for RGB; rows bottom-up, padded to 4 bytes.</summary>
public static class BmpEncoder
{
    /// <summary>The BMP file of <paramref name="image"/> (72 dpi); its length depends only on the image size.</summary>
    public static byte[] Encode(PixelImage image)
    {
        int bits = image.Channels == 3 ? 24 : 8;
        int rowBytes = (image.Width * bits / 8 + 3) / 4 * 4;
        int paletteBytes = bits == 8 ? 256 * 4 : 0;
        int dataOffset = 14 + 40 + paletteBytes;
        var output = new byte[dataOffset + rowBytes * image.Height];
        var s = output.AsSpan();
        s[0] = (byte)'B';
        s[1] = (byte)'M';
        BinaryPrimitives.WriteInt32LittleEndian(s[2..], output.Length);
        BinaryPrimitives.WriteInt32LittleEndian(s[10..], dataOffset);
        BinaryPrimitives.WriteInt32LittleEndian(s[14..], 40);                       // BITMAPINFOHEADER
        BinaryPrimitives.WriteInt32LittleEndian(s[18..], image.Width);
        BinaryPrimitives.WriteInt32LittleEndian(s[22..], image.Height);             // positive: bottom-up
        BinaryPrimitives.WriteInt16LittleEndian(s[26..], 1);
        BinaryPrimitives.WriteInt16LittleEndian(s[28..], (short)bits);
        BinaryPrimitives.WriteInt32LittleEndian(s[34..], rowBytes * image.Height);
        BinaryPrimitives.WriteInt32LittleEndian(s[38..], 2835);                     // 72 dpi
        BinaryPrimitives.WriteInt32LittleEndian(s[42..], 2835);
        if (bits == 8)
        {
            BinaryPrimitives.WriteInt32LittleEndian(s[46..], 256);
            for (var i = 0; i < 256; i++)
            {
                var p = 54 + 4 * i;
                s[p] = s[p + 1] = s[p + 2] = (byte)i;
            }
        }
        for (var y = 0; y < image.Height; y++)
        {
            var row = s.Slice(dataOffset + (image.Height - 1 - y) * rowBytes, rowBytes);
            for (var x = 0; x < image.Width; x++)
            {
                var src = (y * image.Width + x) * image.Channels;
                if (bits == 8) row[x] = image.Pixels[src];
                else
                {
                    row[3 * x] = image.Pixels[src + 2];
                    row[3 * x + 1] = image.Pixels[src + 1];
                    row[3 * x + 2] = image.Pixels[src];
                }
            }
        }
        return output;
    }
}

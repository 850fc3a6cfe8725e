using System.Buffers.Binary;

namespace ByteFormer.Codecs;

/// <summary>
/// Baseline uncompressed TIFF, little-endian ("II*\0"), laid out as PIL writes it for the reference: the
/// 8-byte header, one IFD of 10 tags right after it, the BitsPerSample array for RGB, then the pixels in
/// one strip. A 224×224 RGB image is 150,668 bytes (byteformer.md §3.2); 28×28 gray is 918.
/// </summary>
public static class TiffEncoder
{
    /// <summary>The TIFF file of <paramref name="image"/>: 8-byte header, IFD, and the HWC pixels unchanged; its length depends only on the image size.</summary>
    public static byte[] Encode(PixelImage image)
    {
        const int tagCount = 10;
        int ifdSize = 2 + tagCount * 12 + 4;
        int extra = image.Channels == 3 ? 6 : 0;                                    // BitsPerSample [8, 8, 8]
        int bitsOffset = 8 + ifdSize, dataOffset = bitsOffset + extra;
        var output = new byte[dataOffset + image.Pixels.Length];
        var span = output.AsSpan();
        span[0] = (byte)'I';
        span[1] = (byte)'I';
        BinaryPrimitives.WriteUInt16LittleEndian(span[2..], 42);
        BinaryPrimitives.WriteUInt32LittleEndian(span[4..], 8);
        BinaryPrimitives.WriteUInt16LittleEndian(span[8..], tagCount);
        var at = 10;
        void Tag(ushort tag, ushort type, uint count, uint value)
        {
            var entry = output.AsSpan(at, 12);
            BinaryPrimitives.WriteUInt16LittleEndian(entry, tag);
            BinaryPrimitives.WriteUInt16LittleEndian(entry[2..], type);
            BinaryPrimitives.WriteUInt32LittleEndian(entry[4..], count);
            if (type == 3 && count == 1) BinaryPrimitives.WriteUInt16LittleEndian(entry[8..], (ushort)value);
            else BinaryPrimitives.WriteUInt32LittleEndian(entry[8..], value);
            at += 12;
        }
        const ushort Short = 3, Long = 4;
        Tag(256, Short, 1, (uint)image.Width);                                      // ImageWidth
        Tag(257, Short, 1, (uint)image.Height);                                     // ImageLength
        Tag(258, Short, (uint)image.Channels, image.Channels == 3 ? (uint)bitsOffset : 8); // BitsPerSample
        Tag(259, Short, 1, 1);                                                      // Compression: none
        Tag(262, Short, 1, image.Channels == 3 ? 2u : 1u);                         // Photometric: RGB / BlackIsZero
        Tag(273, Long, 1, (uint)dataOffset);                                        // StripOffsets
        Tag(277, Short, 1, (uint)image.Channels);                                   // SamplesPerPixel
        Tag(278, Short, 1, (uint)image.Height);                                     // RowsPerStrip
        Tag(279, Long, 1, (uint)image.Pixels.Length);                               // StripByteCounts
        Tag(284, Short, 1, 1);                                                      // PlanarConfiguration: chunky
        BinaryPrimitives.WriteUInt32LittleEndian(span[at..], 0);                    // no next IFD
        if (image.Channels == 3)
            for (var i = 0; i < 3; i++) BinaryPrimitives.WriteUInt16LittleEndian(span[(bitsOffset + 2 * i)..], 8);
        image.Pixels.CopyTo(span[dataOffset..]);
        return output;
    }
}

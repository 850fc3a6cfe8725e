namespace ByteFormer;

/// <summary>CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320, slicing by 8), as zip and PNG store it.</summary>
public static class Crc32
{
    private static readonly uint[] Table = MakeTable();

    /// <summary>The CRC-32 of <paramref name="data"/>, as zip stores it.</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => ~Append(0xFFFFFFFFu, data);

    /// <summary>The CRC-32 of <paramref name="first"/> followed by <paramref name="second"/> (a PNG chunk's type and data).</summary>
    public static uint Compute(ReadOnlySpan<byte> first, ReadOnlySpan<byte> second) => ~Append(Append(0xFFFFFFFFu, first), second);

    private static uint Append(uint crc, ReadOnlySpan<byte> data)
    {
        var t = Table;
        var i = 0;
        for (; i + 8 <= data.Length; i += 8)
        {
            crc ^= (uint)(data[i] | data[i + 1] << 8 | data[i + 2] << 16 | data[i + 3] << 24);
            crc = t[7 * 256 + (crc & 0xFF)] ^ t[6 * 256 + ((crc >> 8) & 0xFF)] ^ t[5 * 256 + ((crc >> 16) & 0xFF)] ^ t[4 * 256 + (crc >> 24)]
                  ^ t[3 * 256 + data[i + 4]] ^ t[2 * 256 + data[i + 5]] ^ t[256 + data[i + 6]] ^ t[data[i + 7]];
        }
        for (; i < data.Length; i++) crc = t[(crc ^ data[i]) & 0xFF] ^ (crc >> 8);
        return crc;
    }

    private static uint[] MakeTable()
    {
        var t = new uint[8 * 256];
        for (uint n = 0; n < 256; n++)
        {
            var c = n;
            for (var k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            t[n] = c;
        }
        for (var n = 0; n < 256; n++)
            for (var s = 1; s < 8; s++)
                t[s * 256 + n] = t[(s - 1) * 256 + n] >> 8 ^ t[t[(s - 1) * 256 + n] & 0xFF];
        return t;
    }
}

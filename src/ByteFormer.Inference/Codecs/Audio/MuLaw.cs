namespace ByteFormer.Codecs.Audio;

/// <summary>
/// G.711 μ-law, as the classic reference encoder (Sun's g711.c): bias 0x84, clip at 32,635, segment and
/// mantissa, bits inverted. sox rounds where this truncates, so the two differ by ±1 code on some samples
/// (datasets.md §4); decoding either gives the same curve.
/// </summary>
public static class MuLaw
{
    private const int Bias = 0x84;
    private const int Clip = 32635;

    /// <summary>The 8-bit μ-law code of a 16-bit PCM sample (magnitudes above 32,635 clip).</summary>
    public static byte Encode(short sample)
    {
        int pcm = sample;
        var sign = pcm < 0 ? 0x80 : 0;
        if (pcm < 0) pcm = -pcm;
        if (pcm > Clip) pcm = Clip;
        pcm += Bias;
        var exponent = 7;
        for (var mask = 0x4000; (pcm & mask) == 0 && exponent > 0; mask >>= 1) exponent--;
        var mantissa = (pcm >> (exponent + 3)) & 0x0F;
        return (byte)~(sign | (exponent << 4) | mantissa);
    }

    /// <summary>The 16-bit PCM value a μ-law code stands for (the middle of its step).</summary>
    public static short Decode(byte code)
    {
        int u = ~code & 0xFF;
        var t = ((u & 0x0F) << 3) + Bias;
        t <<= (u & 0x70) >> 4;
        return (short)((u & 0x80) != 0 ? Bias - t : t - Bias);
    }
}

using System.Buffers.Binary;
using System.Text;

namespace ByteFormer.Codecs.Audio;

/// <summary>The sample formats the reference writes WAV files in (byteformer.md §3.3), plus G.711 μ-law.</summary>
public enum WavSampleFormat
{
    /// <summary>IEEE float, 32-bit; 58-byte header (fmt of 18 bytes + fact), as sox writes it.</summary>
    Float32,
    /// <summary>Signed 32-bit, x·(2³¹−1) truncated; 80-byte WAVE_FORMAT_EXTENSIBLE header.</summary>
    Int32,
    /// <summary>Signed 16-bit, x·(2¹⁵−1) truncated; 44-byte header.</summary>
    Int16,
    /// <summary>Unsigned 8-bit, (x+1)·255/2 truncated; 44-byte header.</summary>
    UInt8,
    /// <summary>G.711 μ-law, 8 bits a sample (format tag 7); 58-byte header, as <c>sox -e mu-law</c>.</summary>
    MuLaw,
}

/// <summary>
/// Writes mono WAV files byte-for-byte in the layouts the reference's sox backend produces (header sizes of
/// byteformer.md §3.3), and reads PCM, float, extensible and μ-law WAV. Samples outside [-1, 1] are clamped
/// before conversion.
/// </summary>
public static class WavCodec
{
    private static readonly byte[] PcmGuid = Convert.FromHexString("0100000000001000800000AA00389B71");

    /// <summary>The mono WAV file of <paramref name="clip"/> at its sample rate, in <paramref name="format"/>'s layout.</summary>
    public static byte[] Encode(AudioClip clip, WavSampleFormat format)
    {
        var n = clip.Samples.Length;
        int bits = format switch { WavSampleFormat.Float32 or WavSampleFormat.Int32 => 32, WavSampleFormat.Int16 => 16, _ => 8 };
        int bytesPerSample = bits / 8, dataBytes = n * bytesPerSample, pad = dataBytes & 1;
        int fmtBody = format switch { WavSampleFormat.Int16 or WavSampleFormat.UInt8 => 16, WavSampleFormat.Int32 => 40, _ => 18 };
        var hasFact = fmtBody != 16;
        var total = 12 + 8 + fmtBody + (hasFact ? 12 : 0) + 8 + dataBytes + pad;
        var bytes = new byte[total];
        var at = 0;
        void Tag(string t) { Encoding.ASCII.GetBytes(t, bytes.AsSpan(at)); at += 4; }
        void U32(uint v) { BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(at), v); at += 4; }
        void U16(ushort v) { BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(at), v); at += 2; }
        Tag("RIFF"); U32((uint)(total - 8)); Tag("WAVE");
        Tag("fmt "); U32((uint)fmtBody);
        ushort tag = format switch { WavSampleFormat.Float32 => 3, WavSampleFormat.Int32 => 0xFFFE, WavSampleFormat.MuLaw => 7, _ => 1 };
        U16(tag); U16(1); U32((uint)clip.SampleRate); U32((uint)(clip.SampleRate * bytesPerSample)); U16((ushort)bytesPerSample); U16((ushort)bits);
        if (fmtBody >= 18) U16((ushort)(fmtBody - 18));
        if (format == WavSampleFormat.Int32)
        {
            U16(32); U32(4);                                                           // valid bits; front centre
            PcmGuid.CopyTo(bytes, at); at += 16;
        }
        if (hasFact) { Tag("fact"); U32(4); U32((uint)n); }
        Tag("data"); U32((uint)dataBytes);
        var data = bytes.AsSpan(at, dataBytes);
        for (var i = 0; i < n; i++)
        {
            var x = Math.Clamp(clip.Samples[i], -1f, 1f);
            switch (format)
            {
                case WavSampleFormat.Float32: BinaryPrimitives.WriteSingleLittleEndian(data[(4 * i)..], x); break;
                case WavSampleFormat.Int32: BinaryPrimitives.WriteInt32LittleEndian(data[(4 * i)..], (int)(x * 2147483647.0)); break;
                case WavSampleFormat.Int16: BinaryPrimitives.WriteInt16LittleEndian(data[(2 * i)..], (short)(x * 32767f)); break;
                case WavSampleFormat.UInt8: data[i] = (byte)((x + 1f) * 255f / 2f); break;
                case WavSampleFormat.MuLaw: data[i] = MuLaw.Encode((short)(x * 32767f)); break;
            }
        }
        return bytes;
    }

    /// <summary>The fmt chunk's fields (the sub-format's tag for an extensible WAV) and where the data chunk is.
    /// Throws <see cref="CodecException"/> on a file without RIFF/WAVE, a usable fmt chunk or a data chunk.</summary>
    public static WavHeader ReadHeader(ReadOnlySpan<byte> file, string source = "input")
    {
        if (file.Length < 12 || !file[..4].SequenceEqual("RIFF"u8) || !file.Slice(8, 4).SequenceEqual("WAVE"u8))
            throw new CodecException($"{source}: not a WAV file (no RIFF/WAVE header)");
        int at = 12, tag = 0, channels = 0, rate = 0, bits = 0, dataAt = -1, dataSize = 0;
        while (at + 8 <= file.Length)
        {
            var id = Encoding.ASCII.GetString(file.Slice(at, 4));
            var size = (int)Math.Min(BinaryPrimitives.ReadUInt32LittleEndian(file[(at + 4)..]), (uint)(file.Length - at - 8));
            var body = file.Slice(at + 8, size);
            if (id == "fmt " && size >= 16)
            {
                tag = BinaryPrimitives.ReadUInt16LittleEndian(body);
                channels = BinaryPrimitives.ReadUInt16LittleEndian(body[2..]);
                rate = BinaryPrimitives.ReadInt32LittleEndian(body[4..]);
                bits = BinaryPrimitives.ReadUInt16LittleEndian(body[14..]);
                if (tag == 0xFFFE && size >= 40) tag = BinaryPrimitives.ReadUInt16LittleEndian(body[24..]);  // sub-format
            }
            else if (id == "data")
            {
                (dataAt, dataSize) = (at + 8, size);
                break;
            }
            at += 8 + size + (size & 1);
        }
        if (channels == 0 || rate <= 0) throw new CodecException($"{source}: WAV without a usable fmt chunk");
        if (dataAt < 0) throw new CodecException($"{source}: WAV without a data chunk");
        return new WavHeader(tag, channels, rate, bits, dataAt, dataSize);
    }

    /// <summary>Reads a mono or multi-channel WAV (channels averaged). Throws <see cref="CodecException"/> on a broken file.</summary>
    public static AudioClip Decode(ReadOnlySpan<byte> file, string source = "input")
    {
        var (tag, channels, rate, bits, dataAt, dataSize) = ReadHeader(file, source);
        var data = file.Slice(dataAt, dataSize);
        var width = bits / 8;
        var supported = (tag, bits) is (1, 8) or (1, 16) or (1, 24) or (1, 32) or (3, 32) or (7, 8);
        if (!supported) throw new CodecException($"{source}: WAV format tag {tag} with {bits} bits is not supported");
        var frames = data.Length / (width * channels);
        if (frames == 0) throw new CodecException($"{source}: WAV with no samples");
        var samples = new float[frames];
        for (var f = 0; f < frames; f++)
        {
            double sum = 0;
            for (var c = 0; c < channels; c++)
            {
                var p = data[((f * channels + c) * width)..];
                sum += (tag, bits) switch
                {
                    (3, 32) => BinaryPrimitives.ReadSingleLittleEndian(p),
                    (7, 8) => MuLaw.Decode(p[0]) / 32768.0,
                    (1, 8) => (p[0] - 128) / 128.0,
                    (1, 16) => BinaryPrimitives.ReadInt16LittleEndian(p) / 32768.0,
                    (1, 24) => ((p[0] | (p[1] << 8) | (p[2] << 16)) << 8 >> 8) / 8388608.0,
                    _ => BinaryPrimitives.ReadInt32LittleEndian(p) / 2147483648.0,
                };
            }
            samples[f] = (float)(sum / channels);
        }
        return new AudioClip(samples, rate);
    }
}

/// <summary>A WAV's format as its fmt chunk states it, and the position of its samples.</summary>
/// <param name="Tag">Format tag: 1 PCM, 3 IEEE float, 7 μ-law; for WAVE_FORMAT_EXTENSIBLE, its sub-format's tag.</param>
/// <param name="Channels">Interleaved channels.</param>
/// <param name="SampleRate">Frames per second, in Hz.</param>
/// <param name="BitsPerSample">Bits of one channel's sample.</param>
/// <param name="DataOffset">Where the samples start: the byte after the data chunk's size field.</param>
/// <param name="DataLength">Bytes of samples, as the data chunk states it but no more than the file holds.</param>
public readonly record struct WavHeader(int Tag, int Channels, int SampleRate, int BitsPerSample, int DataOffset, int DataLength)
{
    /// <summary>The format in words, e.g. "1 channel(s), 8,000 Hz, 16-bit".</summary>
    public string Format => $"{Channels} channel(s), {SampleRate:N0} Hz, {BitsPerSample}-bit";
}

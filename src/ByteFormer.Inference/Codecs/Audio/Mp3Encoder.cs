using System.Diagnostics;
using System.Runtime.InteropServices;

namespace ByteFormer.Codecs.Audio;

/// <summary>
/// MP3 through Debian's LAME (datasets.md §4): constant bit rate, mono, from 16-bit PCM. It calls
/// libmp3lame in the process with the settings of <c>lame -r -s R -m m -b K - -</c> (same bytes as that
/// command), because a <c>lame</c> process per clip costs 12.7 ms against 2.5 ms in the process (a 1 s clip at
/// 8 kHz, measured side by side), and the data loader encodes on one thread. LAME is
/// deterministic, so the same clip gives the same bytes.
/// </summary>
public static class Mp3Encoder
{
    /// <summary>The bit rate for a sample rate: 32 kbps at 16 kHz (the paper's), 16 kbps at 8 kHz.</summary>
    public static int DefaultKbps(int sampleRate) => sampleRate >= 16000 ? 32 : 16;

    /// <summary>The MP3 file of <paramref name="clip"/> at <paramref name="kbps"/> (null: <see cref="DefaultKbps"/> of its rate).</summary>
    /// <exception cref="ByteFormerException">libmp3lame is missing (naming its package) or refused the settings.</exception>
    public static byte[] Encode(AudioClip clip, int? kbps = null) =>
        Lame.Encode(Pcm16(clip), clip.SampleRate, kbps ?? DefaultKbps(clip.SampleRate));

    /// <summary>The 16-bit samples both encoders are given.</summary>
    private static short[] Pcm16(AudioClip clip) => clip.Samples.Select(x => (short)(Math.Clamp(x, -1f, 1f) * 32767f)).ToArray();

    /// <summary>The same encoding through the <c>lame</c> command (one process per clip); tests compare the two.</summary>
    public static byte[] EncodeWithCommand(AudioClip clip, int? kbps = null)
    {
        var pcm = MemoryMarshal.AsBytes(Pcm16(clip).AsSpan()).ToArray();            // in the machine's byte order
        var khz = (clip.SampleRate / 1000.0).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var args = $"--quiet -r -s {khz} --bitwidth 16 --signed {(BitConverter.IsLittleEndian ? "--little-endian" : "--big-endian")} -m m -b {kbps ?? DefaultKbps(clip.SampleRate)} - -";
        return ExternalTool.Run("lame", "lame", args, pcm);
    }

    /// <summary>The few libmp3lame calls the encoder needs (lame.h).</summary>
    private static class Lame
    {
        private const string Library = "libmp3lame.so.0";
        private const int MpegMono = 3;

        [DllImport(Library)] private static extern IntPtr lame_init();
        [DllImport(Library)] private static extern int lame_close(IntPtr flags);
        [DllImport(Library)] private static extern int lame_set_in_samplerate(IntPtr flags, int rate);
        [DllImport(Library)] private static extern int lame_set_num_channels(IntPtr flags, int channels);
        [DllImport(Library)] private static extern int lame_set_mode(IntPtr flags, int mode);
        [DllImport(Library)] private static extern int lame_set_brate(IntPtr flags, int kbps);
        [DllImport(Library)] private static extern int lame_init_params(IntPtr flags);
        [DllImport(Library)] private static extern unsafe int lame_encode_buffer(IntPtr flags, short* left, short* right, int samples, byte* output, int size);
        [DllImport(Library)] private static extern unsafe int lame_encode_flush(IntPtr flags, byte* output, int size);

        public static unsafe byte[] Encode(short[] pcm, int sampleRate, int kbps)
        {
            IntPtr flags;
            try
            {
                flags = lame_init();
            }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException)
            {
                throw new ByteFormerException("libmp3lame is not installed: install Debian's 'libmp3lame0' package (scripts/setup.sh installs 'lame', which brings it)");
            }
            if (flags == IntPtr.Zero) throw new ByteFormerException("libmp3lame could not start an encoder");
            try
            {
                lame_set_in_samplerate(flags, sampleRate);
                lame_set_num_channels(flags, 1);
                lame_set_mode(flags, MpegMono);
                lame_set_brate(flags, kbps);
                if (lame_init_params(flags) < 0)
                    throw new ByteFormerException($"libmp3lame refused {kbps} kbps mono at {sampleRate} Hz");
                // lame.h's worst case: 1.25 × samples + 7200 bytes; the flush writes at most 7200 more.
                var output = new byte[pcm.Length * 5 / 4 + 7200 + 7200];
                int written;
                fixed (short* samples = pcm)
                fixed (byte* o = output)
                {
                    var n = lame_encode_buffer(flags, samples, samples, pcm.Length, o, output.Length);
                    if (n < 0) throw new ByteFormerException($"libmp3lame failed to encode (code {n})");
                    var m = lame_encode_flush(flags, o + n, output.Length - n);
                    if (m < 0) throw new ByteFormerException($"libmp3lame failed to flush (code {m})");
                    written = n + m;
                }
                return output.AsSpan(0, written).ToArray();
            }
            finally
            {
                lame_close(flags);
            }
        }
    }
}

using System.Collections.Concurrent;

namespace ByteFormer.Codecs.Audio;

/// <summary>
/// Band-limited resampling by a rational factor with a Kaiser-windowed sinc (cut-off at 0.95 × the lower
/// Nyquist frequency, 16 zero crossings a side). The filter taps for each phase are computed once per
/// pair of rates, so 16 kHz → 8 kHz costs a short dot product per output sample. Deterministic.
/// </summary>
public static class Resampler
{
    private sealed record Kernel(int Up, int Down, int[] First, float[][] Taps);

    private static readonly ConcurrentDictionary<(int, int), Kernel> Kernels = new();

    /// <summary><paramref name="clip"/> at <paramref name="rate"/> Hz, floor(length · rate / old rate) samples long; the clip itself when
    /// the rate is unchanged. Throws <see cref="CodecException"/> for a rate that is not positive.</summary>
    public static AudioClip To(AudioClip clip, int rate)
    {
        if (rate <= 0) throw new CodecException($"sample rate must be positive, got {rate}");
        if (rate == clip.SampleRate) return clip;
        var kernel = Kernels.GetOrAdd((clip.SampleRate, rate), key => Build(key.Item1, key.Item2));
        var input = clip.Samples;
        var outLength = (int)((long)input.Length * kernel.Up / kernel.Down);
        var output = new float[outLength];
        for (var n = 0; n < outLength; n++)
        {
            // Output n sits at input position n·Down/Up; its phase picks the precomputed taps.
            long position = (long)n * kernel.Down;
            int whole = (int)(position / kernel.Up), phase = (int)(position % kernel.Up);
            var taps = kernel.Taps[phase];
            var start = whole + kernel.First[phase];
            double sum = 0;
            for (var t = 0; t < taps.Length; t++)
            {
                var k = start + t;
                if ((uint)k < (uint)input.Length) sum += input[k] * taps[t];
            }
            output[n] = (float)sum;
        }
        return new AudioClip(output, rate);
    }

    private static Kernel Build(int inRate, int outRate)
    {
        var g = Gcd(inRate, outRate);
        int up = outRate / g, down = inRate / g;
        var cutoff = 0.95 * Math.Min(1.0, (double)up / down);                       // of the input Nyquist
        const int zeroCrossings = 16;
        const double beta = 8.6;
        var halfWidth = zeroCrossings / cutoff;                                      // in input samples
        var i0Beta = BesselI0(beta);
        var first = new int[up];
        var taps = new float[up][];
        for (var phase = 0; phase < up; phase++)
        {
            var frac = (double)phase / up;                                           // output position - floor
            int lo = (int)Math.Ceiling(frac - halfWidth), hi = (int)Math.Floor(frac + halfWidth);
            first[phase] = lo;
            taps[phase] = new float[hi - lo + 1];
            for (var k = lo; k <= hi; k++)
            {
                var x = k - frac;
                var arg = Math.PI * cutoff * x;
                var sinc = Math.Abs(arg) < 1e-12 ? 1.0 : Math.Sin(arg) / arg;
                var w = x / halfWidth;
                taps[phase][k - lo] = (float)(cutoff * sinc * BesselI0(beta * Math.Sqrt(Math.Max(0, 1 - w * w))) / i0Beta);
            }
        }
        return new Kernel(up, down, first, taps);
    }

    private static int Gcd(int a, int b) => b == 0 ? a : Gcd(b, a % b);

    private static double BesselI0(double x)
    {
        double sum = 1, term = 1, half = x / 2;
        for (var k = 1; k < 60; k++)
        {
            term *= half / k * (half / k);
            sum += term;
            if (term < 1e-14 * sum) break;
        }
        return sum;
    }
}

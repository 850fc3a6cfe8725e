namespace ByteFormer.Codecs.Audio;

/// <summary>Mono audio: samples in [-1, 1] at a sample rate.</summary>
/// <param name="Samples">The waveform, nominally in [-1, 1]; encoders clamp values outside it.</param>
/// <param name="SampleRate">Samples per second, in Hz.</param>
public sealed record AudioClip(float[] Samples, int SampleRate)
{
    /// <summary>Duration: samples divided by the sample rate.</summary>
    public double Seconds => (double)Samples.Length / SampleRate;

    /// <summary>Pads with silence or cuts (at the end) to exactly <paramref name="length"/> samples.</summary>
    public AudioClip WithLength(int length)
    {
        if (Samples.Length == length) return this;
        var samples = new float[length];
        Array.Copy(Samples, samples, Math.Min(length, Samples.Length));
        return this with { Samples = samples };
    }
}

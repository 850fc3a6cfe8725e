namespace ByteFormer.Codecs.Audio;

/// <summary>Mono audio: samples in [-1, 1] at a sample rate.</summary>
public sealed record AudioClip(float[] Samples, int SampleRate)
{
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

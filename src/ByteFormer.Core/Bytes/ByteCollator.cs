using static TorchSharp.torch;

namespace ByteFormer.Bytes;

/// <summary>Turns byte sequences into the model's input: int64 [B, N], right-padded with -1 (CoreNet's collate).</summary>
public static class ByteCollator
{
    /// <summary>The pad value; the model maps it to its padding embedding row.</summary>
    public const long PadValue = -1;

    /// <summary>Pads every sequence to the longest one, and to at least <paramref name="minLength"/>.</summary>
    public static Tensor Collate(IReadOnlyList<ReadOnlyMemory<byte>> samples, int minLength = 0, Device? device = null)
    {
        if (samples.Count == 0) throw new ArgumentException("cannot collate an empty batch");
        int length = Math.Max(minLength, samples.Max(s => s.Length));
        var flat = new long[(long)samples.Count * length];
        Array.Fill(flat, PadValue);
        for (var i = 0; i < samples.Count; i++)
        {
            var span = samples[i].Span;
            var row = flat.AsSpan(i * length, length);
            for (var j = 0; j < span.Length; j++) row[j] = span[j];
        }
        return tensor(flat, [samples.Count, length], device: device);
    }
}

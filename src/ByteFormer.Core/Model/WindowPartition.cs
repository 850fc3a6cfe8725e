using TorchSharp;
using static TorchSharp.torch;

namespace ByteFormer.Model;

/// <summary>Cutting a sequence into (shifted) windows and back, and the masks that make windows exact.</summary>
public static class WindowPartition
{
    /// <summary>Right-pads <paramref name="x"/> [B, N, C] with zero vectors to a multiple of
    /// <paramref name="window"/>, rolls it left by <paramref name="shift"/> and returns [B*Np/W, W, C].</summary>
    public static Tensor Split(Tensor x, int window, int shift)
    {
        long b = x.shape[0], n = x.shape[1], c = x.shape[2];
        long pad = (window - n % window) % window;
        var padded = pad > 0 ? nn.functional.pad(x, [0, 0, 0, pad]) : x;           // [B, Np, C]
        if (shift > 0) padded = padded.roll(-shift, 1);
        return padded.reshape(b * (n + pad) / window, window, c);
    }

    /// <summary>Undoes <see cref="Split"/>: [B*Np/W, W, C] back to [B, N, C].</summary>
    public static Tensor Merge(Tensor windows, long batch, long length, int shift)
    {
        var y = windows.reshape(batch, -1, windows.shape[2]);                      // [B, Np, C]
        if (shift > 0) y = y.roll(shift, 1);
        return y.narrow(1, 0, length);
    }

    /// <summary>
    /// Boolean attention mask [B*Np/L, 1, L, L] (true = attend) for the windows of length
    /// <paramref name="windowLength"/> that <see cref="Split"/> makes of sequences with
    /// <paramref name="lengths"/> valid tokens. A query attends to the keys that are real tokens of the same
    /// segment, segments being what shifted windows of <paramref name="window"/> tokens mean: with a shift S,
    /// positions [0, S) form their own segment, then every W positions from S, so the wrapped last window does
    /// not mix the tail with the head. <paramref name="windowLength"/> is W, or the sequence length when that
    /// is shorter. Each query also attends to itself, so a padding query has a finite, unused output.
    /// </summary>
    public static Tensor AttentionMask(Tensor lengths, long paddedLength, int windowLength, int window, int shift)
    {
        var device = lengths.device;
        long b = lengths.shape[0], windowsPerRow = paddedLength / windowLength;
        // Scalars explicit and alive across the native calls (see Training.AdamW's remarks).
        using var s = shift.ToScalar();
        using var np = paddedLength.ToScalar();
        using var w = window.ToScalar();
        using var head = (-1).ToScalar();
        var original = arange(paddedLength, int64, device).Plus(s).remainder(np);      // rolled position -> original
        var segment = shift > 0
            ? where(original.lt(s), full_like(original, head), (original - s).div(w, RoundingMode.floor))
            : original.div(w, RoundingMode.floor);
        var seg = segment.view(windowsPerRow, windowLength);
        var sameSegment = seg.unsqueeze(2).eq(seg.unsqueeze(1));                   // [nW, W, W]
        var keyValid = original.unsqueeze(0) < lengths.unsqueeze(1);                // [B, Np]
        var mask = sameSegment.unsqueeze(0) & keyValid.view(b, windowsPerRow, 1, windowLength); // [B, nW, L, L]
        mask = mask | eye(windowLength, dtype: ScalarType.Bool, device: device);
        return mask.view(b * windowsPerRow, 1, windowLength, windowLength);
    }

    /// <summary>Boolean [B, N], true for the first lengths[b] positions of row b.</summary>
    public static Tensor ValidMask(Tensor lengths, long length) =>
        arange(length, int64, lengths.device).unsqueeze(0) < lengths.unsqueeze(1);
}

using System.Collections.Concurrent;
using System.Globalization;

namespace ByteFormer.Bytes;

/// <summary>
/// A change made to a file's bytes before the model reads them (byteformer.md §3.4): the same at training,
/// evaluation and prediction, so a model trained on changed bytes is always shown changed bytes.
/// </summary>
public interface IByteTransform
{
    /// <summary>The transform as text (e.g. <c>noise:-5:5</c>), as <see cref="ByteTransformPipeline.FromSpec"/> reads it.</summary>
    string Spec { get; }

    /// <summary>The changed bytes; <paramref name="random"/> supplies any randomness (fresh per sample).</summary>
    byte[] Apply(byte[] bytes, Random random);
}

/// <summary>
/// <c>RandomUniformNoise</c>: adds an integer drawn uniformly from [<see cref="Low"/>, <see cref="High"/>]
/// to every byte, modulo 256, fresh per byte and per call (the reference adds it at evaluation too).
/// </summary>
public sealed record RandomUniformNoise : IByteTransform
{
    /// <summary>Noise in [<paramref name="low"/>, <paramref name="high"/>], both inclusive; throws <see cref="ByteFormerException"/> unless -255 ≤ low ≤ high ≤ 255.</summary>
    public RandomUniformNoise(int low, int high)
    {
        if (low > high || low < -255 || high > 255) throw new ByteFormerException($"noise range [{low}, {high}] must have low ≤ high within ±255");
        (Low, High) = (low, high);
    }

    /// <summary>Smallest value added (inclusive).</summary>
    public int Low { get; }
    /// <summary>Largest value added (inclusive).</summary>
    public int High { get; }

    /// <summary><c>noise:LOW:HIGH</c>.</summary>
    public string Spec => string.Create(CultureInfo.InvariantCulture, $"noise:{Low}:{High}");

    /// <summary>A new array: each byte plus its own draw from <paramref name="random"/>, modulo 256.</summary>
    public byte[] Apply(byte[] bytes, Random random)
    {
        var result = new byte[bytes.Length];
        for (var i = 0; i < bytes.Length; i++) result[i] = (byte)(bytes[i] + random.Next(Low, High + 1));
        return result;
    }
}

/// <summary>
/// <c>MaskPositions</c>, the privacy camera: keeps a fixed random subset of byte positions, in their original
/// order, and drops the rest, so the sequence gets shorter. The subset depends only on the length and the seed,
/// so it is the same for every file of a length (the reference caches the first length's mask and would fail
/// on another; here each length gets its own).
/// </summary>
public sealed class MaskPositions : IByteTransform
{
    private readonly ConcurrentDictionary<int, int[]> keptByLength = new();

    /// <summary>Keeps <paramref name="keepFraction"/> of the positions, in (0, 1] (else <see cref="ByteFormerException"/>); <paramref name="seed"/> picks which.</summary>
    public MaskPositions(double keepFraction, int seed = DefaultSeed)
    {
        if (!(keepFraction is > 0 and <= 1)) throw new ByteFormerException($"keep fraction must be in (0, 1], got {keepFraction}");
        KeepFraction = keepFraction;
        Seed = seed;
    }

    /// <summary>The reference's generator seed.</summary>
    public const int DefaultSeed = 2147483647;

    /// <summary>Share of positions kept: floor(fraction · length), at least one.</summary>
    public double KeepFraction { get; }
    /// <summary>Seed of the kept subset, mixed with the length; not part of <see cref="Spec"/>.</summary>
    public int Seed { get; }
    /// <summary><c>keep:FRACTION</c>.</summary>
    public string Spec => string.Create(CultureInfo.InvariantCulture, $"keep:{KeepFraction}");

    /// <summary>The positions kept in a sequence of <paramref name="length"/> bytes, ascending.</summary>
    public int[] KeptPositions(int length) => keptByLength.GetOrAdd(length, n =>
    {
        var order = Enumerable.Range(0, n).ToArray();
        new Random(Seeds.Mix(Seed, n)).Shuffle(order);
        var keep = Math.Max(1, (int)(KeepFraction * n));
        var kept = order[..Math.Min(keep, n)];
        Array.Sort(kept);
        return kept;
    });

    /// <summary>The bytes at <see cref="KeptPositions"/> of their length, in order; <paramref name="random"/> is not used.</summary>
    public byte[] Apply(byte[] bytes, Random random)
    {
        if (bytes.Length == 0) return bytes;
        var kept = KeptPositions(bytes.Length);
        var result = new byte[kept.Length];
        for (var i = 0; i < kept.Length; i++) result[i] = bytes[kept[i]];
        return result;
    }
}

/// <summary>How <see cref="ShuffleBytes"/> reorders a file.</summary>
public enum ShuffleMode
{
    /// <summary>Last byte first.</summary>
    Reverse,
    /// <summary>A fresh random order per sample (and per epoch).</summary>
    Random,
    /// <summary>Rotated by half the length.</summary>
    CyclicHalf,
    /// <summary>Bytes 0, s, 2s, …, then 1, s+1, …: the file read in columns of width s.</summary>
    Stride,
    /// <summary>One fixed permutation of w positions applied to each full w-byte chunk; the tail stays.</summary>
    Window,
}

/// <summary>
/// <c>ShuffleBytes</c>: the paper's byte-order ablation. The reference uses s = w = 1024 on ImageNet JPEGs
/// (about 48 KB); a 28×28 file is under 1 KB, where 1024 would change nothing, so the size is a parameter.
/// Unlike the reference, whose window permutation comes from an unseeded generator rebuilt every batch, the
/// window permutation here is fixed by a seed, so training and evaluation see the same order.
/// </summary>
public sealed class ShuffleBytes : IByteTransform
{
    private readonly int[]? windowOrder;

    /// <summary>Reorders by <paramref name="mode"/>. <paramref name="size"/> is the stride s or window w (at least 2; ignored by the other
    /// modes); <paramref name="seed"/> fixes the window permutation. Throws <see cref="ByteFormerException"/> for a stride or window under 2.</summary>
    public ShuffleBytes(ShuffleMode mode, int size = 0, int seed = MaskPositions.DefaultSeed)
    {
        if (mode is ShuffleMode.Stride or ShuffleMode.Window && size < 2)
            throw new ByteFormerException($"shuffle mode {Name(mode)} needs a size of at least 2, got {size}");
        Mode = mode;
        Size = mode is ShuffleMode.Stride or ShuffleMode.Window ? size : 0;
        if (mode == ShuffleMode.Window)
        {
            windowOrder = Enumerable.Range(0, size).ToArray();
            new Random(Seeds.Mix(seed, size)).Shuffle(windowOrder);
        }
    }

    /// <summary>How the bytes are reordered.</summary>
    public ShuffleMode Mode { get; }
    /// <summary>Stride s or window w; 0 for the modes that take no size.</summary>
    public int Size { get; }

    /// <summary><c>shuffle:MODE</c>, or <c>shuffle:MODE:SIZE</c> for stride and window.</summary>
    public string Spec => Size > 0 ? $"shuffle:{Name(Mode)}:{Size}" : $"shuffle:{Name(Mode)}";

    /// <summary>The mode's name in specs: reverse, random, cyclic-half, stride or window.</summary>
    public static string Name(ShuffleMode mode) => mode switch
    {
        ShuffleMode.Reverse => "reverse",
        ShuffleMode.Random => "random",
        ShuffleMode.CyclicHalf => "cyclic-half",
        ShuffleMode.Stride => "stride",
        _ => "window",
    };

    /// <summary>The mode named <paramref name="name"/> (as <see cref="Name"/> writes it); throws <see cref="ByteFormerException"/> for any other.</summary>
    public static ShuffleMode ParseMode(string name) => name switch
    {
        "reverse" => ShuffleMode.Reverse,
        "random" => ShuffleMode.Random,
        "cyclic-half" => ShuffleMode.CyclicHalf,
        "stride" => ShuffleMode.Stride,
        "window" => ShuffleMode.Window,
        _ => throw new ByteFormerException($"unknown shuffle mode '{name}' (expected reverse, random, cyclic-half, stride:S or window:W)"),
    };

    /// <summary>A new array of the same length, reordered; <paramref name="random"/> is used only by <see cref="ShuffleMode.Random"/>.</summary>
    public byte[] Apply(byte[] bytes, Random random)
    {
        var n = bytes.Length;
        var result = new byte[n];
        switch (Mode)
        {
            case ShuffleMode.Reverse:
                for (var i = 0; i < n; i++) result[i] = bytes[n - 1 - i];
                break;
            case ShuffleMode.Random:
                Array.Copy(bytes, result, n);
                random.Shuffle(result);
                break;
            case ShuffleMode.CyclicHalf:
                // torch.roll(x, n // 2): element i moves to (i + n/2) mod n.
                for (var i = 0; i < n; i++) result[(i + n / 2) % n] = bytes[i];
                break;
            case ShuffleMode.Stride:
                var at = 0;
                for (var start = 0; start < Size; start++)
                    for (var i = start; i < n; i += Size) result[at++] = bytes[i];
                break;
            default:
                Array.Copy(bytes, result, n);
                for (var chunk = 0; chunk + Size <= n; chunk += Size)
                    for (var i = 0; i < Size; i++) result[chunk + i] = bytes[chunk + windowOrder![i]];
                break;
        }
        return result;
    }
}

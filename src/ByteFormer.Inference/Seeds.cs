namespace ByteFormer;

/// <summary>
/// Deterministic seed derivation. .NET's HashCode is randomised per process, so it must never decide data
/// order, augmentation or dropout: a resumed run in a new process has to draw the same numbers.
/// </summary>
public static class Seeds
{
    /// <summary>A non-negative seed mixed from <paramref name="parts"/> (SplitMix64 finaliser per part).</summary>
    public static int Mix(params long[] parts)
    {
        var h = 0x9E3779B97F4A7C15UL;
        foreach (var p in parts)
        {
            h ^= unchecked((ulong)p);
            h = unchecked((h ^ (h >> 30)) * 0xBF58476D1CE4E5B9UL);
            h = unchecked((h ^ (h >> 27)) * 0x94D049BB133111EBUL);
            h ^= h >> 31;
        }
        return (int)(h & 0x7FFFFFFF);
    }
}

using System.Globalization;

namespace ByteFormer.Robustness;

/// <summary>How a file is damaged.</summary>
public enum DamageKind
{
    /// <summary>Cut short: only the first <see cref="FileDamage.Fraction"/> of its bytes arrive.</summary>
    Cut,
    /// <summary><see cref="FileDamage.Fraction"/> of its bytes, at random positions, take another value.</summary>
    Flip,
}

/// <summary>One damage level: a file cut after a fraction of its bytes, or a fraction of its bytes changed.</summary>
/// <param name="Kind">Cut short or bytes changed.</param>
/// <param name="Fraction">Share of the bytes kept (<see cref="DamageKind.Cut"/>, at least one byte) or changed (<see cref="DamageKind.Flip"/>).</param>
public sealed record FileDamage(DamageKind Kind, double Fraction)
{
    /// <summary>The damaged copy; positions and new values come from <paramref name="random"/>.</summary>
    public byte[] Apply(byte[] file, Random random)
    {
        if (Kind == DamageKind.Cut)
            return file[..Math.Clamp((int)Math.Round(file.Length * Fraction), 1, file.Length)];
        var result = (byte[])file.Clone();
        var count = Math.Clamp((int)Math.Round(file.Length * Fraction), 0, file.Length);
        if (count == 0) return result;
        var positions = Enumerable.Range(0, file.Length).ToArray();
        for (var i = 0; i < count; i++)                      // the first `count` of a Fisher-Yates shuffle
        {
            var j = random.Next(i, positions.Length);
            (positions[i], positions[j]) = (positions[j], positions[i]);
            result[positions[i]] ^= (byte)random.Next(1, 256);   // never 0: every chosen byte changes
        }
        return result;
    }

    /// <summary>The level in words, e.g. "cut after 50% of the bytes" or "1% of the bytes changed".</summary>
    public override string ToString() => Kind == DamageKind.Cut
        ? string.Create(CultureInfo.InvariantCulture, $"cut after {Fraction * 100:0.##}% of the bytes")
        : string.Create(CultureInfo.InvariantCulture, $"{Fraction * 100:0.##}% of the bytes changed");
}

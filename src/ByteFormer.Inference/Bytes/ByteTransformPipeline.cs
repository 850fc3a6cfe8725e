using System.Globalization;

namespace ByteFormer.Bytes;

/// <summary>
/// The byte transforms a model reads its files through, in the fixed order keep positions → shuffle → noise →
/// permutation (noise goes before the permutation, as in the reference's obfuscation runs). Its
/// <see cref="Spec"/> is stored in the model file; a permutation is stored by fingerprint only, so
/// prediction needs the key again (<see cref="FromSpec"/>).
/// </summary>
public sealed class ByteTransformPipeline
{
    /// <summary>Model-file metadata key holding <see cref="Spec"/>.</summary>
    public const string MetadataKey = "byteformer.byte_transforms";

    /// <summary>A pipeline of <paramref name="steps"/>, applied in their order.</summary>
    public ByteTransformPipeline(IReadOnlyList<IByteTransform> steps) => Steps = steps;

    /// <summary>No transform: bytes pass as they are.</summary>
    public static ByteTransformPipeline None { get; } = new([]);

    /// <summary>The transforms, in the order they are applied.</summary>
    public IReadOnlyList<IByteTransform> Steps { get; }

    /// <summary>True when there is nothing to apply.</summary>
    public bool IsEmpty => Steps.Count == 0;

    /// <summary>Comma-separated step specs, e.g. <c>noise:-5:5,permute:3fa1…</c>; empty for none.</summary>
    public string Spec => string.Join(',', Steps.Select(s => s.Spec));

    /// <summary>Applies every step to <paramref name="bytes"/>; noise draws from <paramref name="random"/>.</summary>
    public byte[] Apply(byte[] bytes, Random random)
    {
        foreach (var step in Steps) bytes = step.Apply(bytes, random);
        return bytes;
    }

    /// <summary>The pipeline for training options; null arguments leave a step out.</summary>
    public static ByteTransformPipeline Create(double? keepFraction = null, string? shuffle = null, int? noiseWidth = null,
        BytePermutation? permutation = null)
    {
        var steps = new List<IByteTransform>();
        if (keepFraction is { } keep) steps.Add(new MaskPositions(keep));
        if (shuffle is not null) steps.Add(ParseShuffle(shuffle));
        if (noiseWidth is { } width)
        {
            if (width is < 1 or > 255) throw new ByteFormerException($"byte noise width must be between 1 and 255, got {width}");
            steps.Add(new RandomUniformNoise(-width, width));
        }
        if (permutation is not null) steps.Add(permutation);
        return new ByteTransformPipeline(steps);
    }

    /// <summary>
    /// The pipeline a model file's <paramref name="spec"/> describes. A permutation step needs the user's key
    /// (checked against the stored fingerprint); with <paramref name="prePermuted"/> the files were permuted by
    /// the key holder, so the steps up to and including the permutation are theirs and are left out here.
    /// </summary>
    public static ByteTransformPipeline FromSpec(string? spec, BytePermutation? key, bool prePermuted, string model)
    {
        var parts = string.IsNullOrEmpty(spec) ? [] : spec.Split(',');
        var permuteAt = Array.FindIndex(parts, p => p.StartsWith("permute:", StringComparison.Ordinal));
        if (permuteAt < 0)
        {
            if (key is not null || prePermuted)
                throw new ByteFormerException($"{model} was trained on plain bytes: it takes no key and no pre-permuted files");
            return new ByteTransformPipeline(parts.Select(ParseStep).ToList());
        }
        var expected = parts[permuteAt]["permute:".Length..];
        if (prePermuted)
        {
            if (key is not null) throw new ByteFormerException($"{model}: give either its key or pre-permuted files, not both");
            return new ByteTransformPipeline(parts.Skip(permuteAt + 1).Select(ParseStep).ToList());
        }
        if (key is null)
            throw new ByteFormerException($"{model} was trained on permuted bytes (key {expected}): it needs that key, " +
                                          "or files permuted with that key already (pre-permuted)");
        var given = key.IsReference ? BytePermutation.ReferenceName : key.Fingerprint;
        if (given != expected)
            throw new ByteFormerException($"wrong key: {model} was trained with key {expected}, this key is {given}");
        return new ByteTransformPipeline(parts.Select((p, i) => i == permuteAt ? key : ParseStep(p)).ToList());
    }

    /// <summary>The key fingerprint a spec's permutation step names ("reference" for CoreNet's table), or null when it has none.</summary>
    public static string? KeyFingerprintOf(string? spec) =>
        string.IsNullOrEmpty(spec) ? null
            : spec.Split(',').FirstOrDefault(p => p.StartsWith(PermuteStep, StringComparison.Ordinal))?[PermuteStep.Length..];

    private const string PermuteStep = "permute:";

    private static IByteTransform ParseStep(string part)
    {
        var fields = part.Split(':');
        try
        {
            return fields[0] switch
            {
                "keep" when fields.Length == 2 => new MaskPositions(double.Parse(fields[1], CultureInfo.InvariantCulture)),
                "noise" when fields.Length == 3 => new RandomUniformNoise(int.Parse(fields[1], CultureInfo.InvariantCulture),
                    int.Parse(fields[2], CultureInfo.InvariantCulture)),
                "shuffle" => ParseShuffle(part["shuffle:".Length..]),
                _ => throw new FormatException(),
            };
        }
        catch (Exception e) when (e is FormatException or OverflowException)
        {
            throw new ByteFormerException($"unknown byte transform '{part}' (this version knows keep, shuffle, noise and permute)");
        }
    }

    /// <summary>Parses <c>reverse</c>, <c>random</c>, <c>cyclic-half</c>, <c>stride:S</c> or <c>window:W</c>.</summary>
    public static ShuffleBytes ParseShuffle(string text)
    {
        var fields = text.Split(':');
        var mode = ShuffleBytes.ParseMode(fields[0]);
        if (mode is ShuffleMode.Stride or ShuffleMode.Window)
        {
            if (fields.Length != 2 || !int.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out var size))
                throw new ByteFormerException($"shuffle mode {fields[0]} needs a size: {fields[0]}:N (e.g. {fields[0]}:32)");
            return new ShuffleBytes(mode, size);
        }
        if (fields.Length != 1) throw new ByteFormerException($"shuffle mode {fields[0]} takes no size");
        return new ShuffleBytes(mode);
    }
}

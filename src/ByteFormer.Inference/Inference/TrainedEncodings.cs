using ByteFormer.Codecs;

namespace ByteFormer.Inference;

/// <summary>The encodings one data set of a model's training data came in.</summary>
/// <param name="DataName">The data set's name in a model trained on several (its class labels' prefix), else null.</param>
/// <param name="Encodings">The encodings; several for a mixture (each sample drew one per epoch).</param>
public sealed record TrainedPart(string? DataName, IReadOnlyList<IFileEncoding> Encodings)
{
    /// <summary>The part as the model file writes it: "tiff", "tiff,png", or "NAME: wav-int16@8k".</summary>
    public override string ToString()
    {
        var names = string.Join(',', Encodings.Select(e => e.Name));
        return DataName is null ? names : $"{DataName}: {names}";
    }
}

/// <summary>
/// What a model's files were encoded as in training (the model file's <see cref="ModelMetadata.Encoding"/>): one
/// part, or one part per data set of a model trained on several ("fashion-mnist: tiff + speech: mulaw@8k"), each
/// with one encoding or a mixture. Folders of files used as they are appear as "as is".
/// </summary>
public sealed class TrainedEncodings
{
    private const string PartSeparator = " + ";
    private const string NameSeparator = ": ";

    /// <summary>Encodings of one or several data sets.</summary>
    public TrainedEncodings(IReadOnlyList<TrainedPart> parts) => Parts = parts;

    /// <summary>Nothing recorded (a model trained on a plain folder, or imported).</summary>
    public static TrainedEncodings None { get; } = new([]);

    /// <summary>The parts, one per data set.</summary>
    public IReadOnlyList<TrainedPart> Parts { get; }

    /// <summary>True when nothing is recorded.</summary>
    public bool IsEmpty => Parts.Count == 0;

    /// <summary>Every encoding named, of every part, in order.</summary>
    public IEnumerable<IFileEncoding> All => Parts.SelectMany(p => p.Encodings);

    /// <summary>Reads the model file's value back; null or empty gives <see cref="None"/>.</summary>
    /// <exception cref="CodecException">A name in it is not an encoding this version knows.</exception>
    public static TrainedEncodings Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return None;
        var parts = new List<TrainedPart>();
        foreach (var part in text.Split(PartSeparator))
        {
            var named = part.Split(NameSeparator, 2);
            var (name, list) = named.Length == 2 ? (named[0], named[1]) : ((string?)null, named[0]);
            var encodings = list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(FileEncodings.Parse).ToList();
            parts.Add(new TrainedPart(name, encodings));
        }
        return new TrainedEncodings(parts);
    }

    /// <summary>
    /// The one encoding of <paramref name="kind"/> to make test files in for the data set <paramref name="dataName"/>:
    /// the part of that name, else the only part of that kind with one encoding. Null when none or several fit.
    /// </summary>
    public IFileEncoding? For(EncodingKind kind, string? dataName = null)
    {
        var named = Parts.Where(p => dataName is not null && p.DataName == dataName).ToList();
        var candidates = (named.Count == 1 ? named : Parts.Where(p => p.Encodings.Any(e => e.Kind == kind)).ToList())
            .Where(p => p.Encodings.Count == 1 && p.Encodings[0].Kind == kind).ToList();
        return candidates.Count == 1 ? candidates[0].Encodings[0] : null;
    }

    /// <summary>The one audio encoding the model was trained on alone (a keyword model), else null.</summary>
    public Codecs.Audio.AudioEncoding? SingleAudio =>
        Parts.Count == 1 && Parts[0].Encodings is [Codecs.Audio.AudioEncoding audio] ? audio : null;

    /// <summary>The value the model file stores; <see cref="Parse"/> reads it back.</summary>
    public override string ToString() => string.Join(PartSeparator, Parts);
}

using ByteFormer.Bytes;
using ByteFormer.Data;
using ByteFormer.Data.Speech;

namespace ByteFormer.Runs;

/// <summary>Augmentation before encoding.</summary>
public enum AugmentationLevel
{
    /// <summary>The reference's: images crop, flip and random erasing; audio background noise, shift and mixup.</summary>
    Full,
    /// <summary>Images crop and flip; audio a fifth of the noise and no mixup (whose soft targets slow short runs).</summary>
    Light,
    /// <summary>No augmentation.</summary>
    None,
}

/// <summary>
/// What a training run trains on, and how its bytes are made: the data source (Fashion-MNIST, a Speech Commands
/// folder, a folder of files, or several joined), its encoding, limits, augmentation and byte transforms. Stored as
/// the run folder's data.json (<see cref="RunFolder"/>), so a resumed run needs no data options; the field names
/// are those of runs written before this type existed, so those runs resume too.
/// </summary>
public sealed record RunSpec
{
    /// <summary>"fashion-mnist", or a folder (a Speech Commands set, or <c>train/&lt;class&gt;/*</c>); the first of <see cref="JoinData"/> when joined.</summary>
    public required string Data { get; init; }

    /// <summary>The encoding name (<see cref="Codecs.FileEncodings.Parse"/>); for Fashion-MNIST several, comma-separated, for a mixture. Null for files as they are.</summary>
    public string? Encoding { get; init; }

    /// <summary>Where Debian's dataset-fashion-mnist is.</summary>
    public string Source { get; init; } = FashionMnist.DefaultRoot;

    /// <summary>Use only this many training samples (Fashion-MNIST's first; for Speech Commands spread over every class).</summary>
    public int? TrainLimit { get; init; }

    /// <summary>Use only this many test samples, as <see cref="TrainLimit"/>.</summary>
    public int? TestLimit { get; init; }

    /// <summary>Runs written before <see cref="Augmentation"/> existed: true meant full augmentation.</summary>
    public bool Augment { get; init; } = true;

    /// <summary>Seeds data order, augmentation and initial weights.</summary>
    public int Seed { get; init; }

    /// <summary>"full", "light" or "none" (<see cref="AugmentationLevel"/>); null: as <see cref="Augment"/> says.</summary>
    public string? Augmentation { get; init; }

    /// <summary>Speech Commands: 12 classes (10 commands, unknown, silence) or 35.</summary>
    public int Task { get; init; } = 12;

    /// <summary>The privacy camera: keep this fraction of byte positions (fixed), drop the rest.</summary>
    public double? KeepFraction { get; init; }

    /// <summary>A byte-order change: reverse, random, cyclic-half, stride:S or window:W.</summary>
    public string? ShuffleBytes { get; init; }

    /// <summary>Uniform byte noise in [−W, W], mod 256, before any permutation.</summary>
    public int? NoiseWidth { get; init; }

    /// <summary>The key file's full path (or "reference" for CoreNet's table): the run names its key, never holds it.</summary>
    public string? PermutationKey { get; init; }

    /// <summary>Several data sets trained as one model (classes named <c>set/class</c>); null for one.</summary>
    public string[]? JoinData { get; init; }

    /// <summary>One encoding per entry of <see cref="JoinData"/> (null for files as they are).</summary>
    public string?[]? JoinEncodings { get; init; }

    /// <summary>Audio: play each training clip at a random speed in [1 − R, 1 + R].</summary>
    public double? SpeedPerturb { get; init; }

    /// <summary>Fashion-MNIST written by a pool of real writers ("all", formats or writer names: <see cref="Codecs.Writers.ImageWriters.Parse"/>),
    /// drawn per image per epoch, in place of one <see cref="Encoding"/>; null for none.</summary>
    public string? Writers { get; init; }

    /// <summary>With <see cref="Writers"/>: the most bytes of valid metadata inserted before the pixels (random length); null for none.</summary>
    public int? MetadataBytes { get; init; }

    /// <summary>With <see cref="Writers"/>: how often each format is drawn in training relative to the others
    /// (<c>jpeg=3,png=2</c>: <see cref="Codecs.Writers.ImageWriters.ParseFormatWeights"/>; a format not named weighs 1); null draws
    /// them uniformly. The test and validation files keep uniform draws, so their figures stay comparable between runs.</summary>
    public string? FormatWeights { get; init; }

    /// <summary>With <see cref="Writers"/>: how often each writer is drawn in training among its format's writers
    /// (<c>bmp-project=3</c>: <see cref="Codecs.Writers.ImageWriters.ParseWriterWeights"/>; a writer not named weighs 1),
    /// the formats' shares unchanged; null draws them uniformly. Test and validation files keep uniform draws.</summary>
    public string? WriterWeights { get; init; }

    /// <summary>
    /// The share of the training files held out as a validation split (at most <see cref="MaxValidationSamples"/>), on
    /// which the run chooses between its raw and its EMA weights; a Speech Commands set uses its own validation list.
    /// 0 holds out nothing. Null in runs from before the split existed (they resume as they started: no split);
    /// <see cref="Runs.TrainingRun.Start"/> gives a new run <see cref="DefaultValidationShare"/>.
    /// </summary>
    public double? ValidationShare { get; init; }

    /// <summary>The model file the run started from (full path), or null for random weights; recorded so that the model
    /// file can say what it was fine-tuned from.</summary>
    public string? InitFrom { get; init; }

    /// <summary>The validation share of a new run unless told.</summary>
    public const double DefaultValidationShare = 0.1;

    /// <summary>The most samples a validation split holds: enough to tell raw from EMA weights apart, few enough to leave a large set almost whole.</summary>
    public const int MaxValidationSamples = 2000;

    /// <summary>Fewer training samples than this hold out nothing: the choice is then made on the training files.</summary>
    public const int MinSamplesForValidation = 50;

    /// <summary>How many of <paramref name="trainCount"/> training samples this run holds out (0 for none).</summary>
    public int ValidationCount(int trainCount)
    {
        if (ValidationShare is not { } share || share <= 0 || trainCount < MinSamplesForValidation) return 0;
        return (int)Math.Clamp(Math.Round(share * trainCount), 1, Math.Min(MaxValidationSamples, trainCount - 1));
    }

    /// <summary>The name by which the Fashion-MNIST data set is asked for.</summary>
    public const string FashionMnistName = "fashion-mnist";

    /// <summary>The augmentation level.</summary>
    /// <exception cref="ByteFormerException">An unknown name.</exception>
    public AugmentationLevel Level => (Augmentation ?? (Augment ? "full" : "none")) switch
    {
        "full" => AugmentationLevel.Full,
        "light" => AugmentationLevel.Light,
        "none" => AugmentationLevel.None,
        var other => throw new ByteFormerException($"unknown augmentation '{other}' (expected full, light or none)"),
    };

    /// <summary>The image augmentation of <see cref="Level"/>, or null for none.</summary>
    public ImageAugmentation? ImageAugmentationPolicy => Level switch
    {
        AugmentationLevel.Full => new ImageAugmentation(),
        AugmentationLevel.Light => ImageAugmentation.Light,
        _ => null,
    };

    /// <summary>The audio augmentation of <see cref="Level"/> (with <see cref="SpeedPerturb"/>), or null for none.</summary>
    public AudioAugmentation? AudioAugmentationPolicy => Level switch
    {
        AugmentationLevel.Full => new AudioAugmentation(SpeedRange: SpeedPerturb ?? 0),
        AugmentationLevel.Light => new AudioAugmentation(NoiseMaxGain: 0.1, Mixup: false, SpeedRange: SpeedPerturb ?? 0),
        _ => null,
    };

    /// <summary>The run's byte transforms (none by default); a permutation loads its key file.</summary>
    public ByteTransformPipeline Transforms() => ByteTransformPipeline.Create(KeepFraction, ShuffleBytes, NoiseWidth,
        PermutationKey is null ? null : BytePermutation.Load(PermutationKey));

    /// <summary>True when the run's bytes go through any transform (without loading a key file).</summary>
    public bool HasByteTransforms => KeepFraction is not null || ShuffleBytes is not null || NoiseWidth is not null || PermutationKey is not null;

    /// <summary>True when the run trains one model on several data sets.</summary>
    public bool IsJoined => JoinData is { Length: > 1 };

    /// <summary>The data sets, one spec each: this one alone, or one per joined set.</summary>
    public IReadOnlyList<RunSpec> Parts() => IsJoined
        ? JoinData!.Select((d, i) => this with { Data = d, Encoding = JoinEncodings?[i], JoinData = null, JoinEncodings = null }).ToList()
        : [this];

    /// <summary>Checks what can be checked before any data is read.</summary>
    /// <exception cref="ByteFormerException">Naming the first field that cannot work.</exception>
    public RunSpec Validate()
    {
        _ = Level;
        if (IsJoined && JoinEncodings?.Length != JoinData!.Length)
            throw new ByteFormerException($"{JoinData!.Length} data sets to join need {JoinData.Length} encodings, one each");
        if (Writers is not null && Encoding is not null)
            throw new ByteFormerException("a writer pool replaces the encoding: give one or the other");
        if (MetadataBytes is < 0 or > 1_000_000) throw new ByteFormerException($"metadata length must be 0 to 1,000,000 bytes, not {MetadataBytes}");
        if (MetadataBytes is not null && Writers is null) throw new ByteFormerException("metadata insertion goes with a writer pool");
        if (FormatWeights is not null)
        {
            if (Writers is null) throw new ByteFormerException("format weights go with a writer pool");
            var pool = Codecs.Writers.ImageWriters.Parse(Writers).Select(w => w.Format).ToHashSet();
            foreach (var format in Codecs.Writers.ImageWriters.ParseFormatWeights(FormatWeights).Keys)
                if (!pool.Contains(format))
                    throw new ByteFormerException($"a format weight names {new Codecs.ImageEncoding(format)}, which no writer of the pool '{Writers}' writes");
        }
        if (WriterWeights is not null)
        {
            if (Writers is null) throw new ByteFormerException("writer weights go with a writer pool");
            var pool = Codecs.Writers.ImageWriters.Parse(Writers).Select(w => w.Name).ToHashSet();
            foreach (var writer in Codecs.Writers.ImageWriters.ParseWriterWeights(WriterWeights).Keys)
                if (!pool.Contains(writer))
                    throw new ByteFormerException($"a writer weight names {writer}, which is not in the pool '{Writers}'");
        }
        if (Task is not (12 or 35)) throw new ByteFormerException($"a Speech Commands task has 12 or 35 classes, not {Task}");
        if (TrainLimit is < 1 || TestLimit is < 1) throw new ByteFormerException("a sample limit must be at least 1");
        if (ValidationShare is < 0 or >= 0.5) throw new ByteFormerException($"a validation share must be at least 0 and under 0.5, not {ValidationShare}");
        if (SpeedPerturb is { } r)
        {
            if (r is <= 0 or >= 0.5 || AudioAugmentationPolicy is null)
                throw new ByteFormerException("speed perturbation takes R in (0, 0.5) and goes with light or full augmentation");
            if (!Parts().Any(p => Directory.Exists(p.Data) && SpeechCommandsDataset.IsSpeechCommands(p.Data)))
                throw new ByteFormerException("speed perturbation is for audio: it needs a Speech Commands folder among the data sets");
        }
        return this;
    }
}

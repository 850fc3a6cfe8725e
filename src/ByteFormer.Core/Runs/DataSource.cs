using ByteFormer.Codecs;
using ByteFormer.Codecs.Audio;
using ByteFormer.Codecs.Writers;
using ByteFormer.Data;
using ByteFormer.Data.Speech;
using ByteFormer.Inference;

namespace ByteFormer.Runs;

/// <summary>A run's data: training and test sets, the encodings they came in, and notes on files left out.</summary>
/// <param name="Train">The training set.</param>
/// <param name="Test">The test set, or null when the source has none.</param>
/// <param name="Encodings">What the model file records as its training encodings.</param>
/// <param name="Notes">One line per thing a user should know (files skipped), in order.</param>
/// <param name="Writers">The writer pool's names, for a run on images written by several programs; else null.</param>
/// <param name="ImageSize">The images' width and height, for a run on images; else null.</param>
/// <param name="Validation">Samples held out of the training files (or a Speech Commands set's validation list), without
/// augmentation, on which the run chooses its weights; null when the run holds out none.</param>
public sealed record RunData(IByteDataset Train, IByteDataset? Test, TrainedEncodings Encodings, IReadOnlyList<string> Notes,
    IReadOnlyList<string>? Writers = null, (int Width, int Height)? ImageSize = null, IByteDataset? Validation = null);

/// <summary>A data set to evaluate a model on, in the model's label space.</summary>
/// <param name="Dataset">The samples, labelled as the model's classes.</param>
/// <param name="Speech">The Speech Commands set behind it, when it is one (for per-voice figures), else null.</param>
/// <param name="Notes">One line per thing a user should know (files skipped).</param>
public sealed record EvaluationData(IByteDataset Dataset, SpeechCommandsDataset? Speech, IReadOnlyList<string> Notes);

/// <summary>
/// Opens the data a run specification names, for training, and the data an evaluation names, in a model's encoding:
/// one place that knows the three sources (Fashion-MNIST encoded in memory, a Speech Commands folder encoded clip
/// by clip, a folder of files used as they are) and how they join.
/// </summary>
public static class DataSource
{
    /// <summary>The training and test sets of <paramref name="spec"/> (not yet through its byte transforms).</summary>
    /// <param name="spec">The run specification.</param>
    /// <param name="byteBudget">The most bytes of a file the model reads (folders read no more).</param>
    /// <exception cref="ByteFormerException">A source, encoding or folder that cannot be used, named.</exception>
    public static RunData OpenTraining(RunSpec spec, long byteBudget)
    {
        if (!spec.IsJoined) return OpenOne(spec, byteBudget);
        var parts = spec.Parts();
        var loaded = parts.Select(p => OpenOne(p, byteBudget)).ToList();
        var names = parts.Select(p => PartName(p.Data)).ToList();
        var train = new JoinedDataset(names.Zip(loaded, (n, l) => (n, l.Train)).ToList());
        JoinedDataset? test = loaded.All(l => l.Test is not null) ? new JoinedDataset(names.Zip(loaded, (n, l) => (n, l.Test!)).ToList()) : null;
        JoinedDataset? validation = loaded.All(l => l.Validation is not null)
            ? new JoinedDataset(names.Zip(loaded, (n, l) => (n, l.Validation!)).ToList()) : null;
        var encodings = new TrainedEncodings(loaded.Select((l, i) => new TrainedPart(names[i],
            l.Encodings.IsEmpty ? [FileEncodings.AsIs] : l.Encodings.All.ToList())).ToList());
        return new RunData(train, test, encodings, loaded.SelectMany(l => l.Notes).ToList(), Validation: validation);
    }

    /// <summary>A joined data set's name for class labels: fashion-mnist, or the folder's name.</summary>
    public static string PartName(string data) =>
        IsFashionMnist(data) ? RunSpec.FashionMnistName : Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(data)));

    private static bool IsFashionMnist(string data) => data == RunSpec.FashionMnistName && !Directory.Exists(data);

    private static bool IsSpeech(string data) => Directory.Exists(data) && SpeechCommandsDataset.IsSpeechCommands(data);

    private static RunData OpenOne(RunSpec spec, long byteBudget)
    {
        var encoding = spec.Encoding is null ? null : FileEncodings.Parse(spec.Encoding.Split(',')[0]);
        if (IsFashionMnist(spec.Data) && spec.Writers is not null)
        {
            // Every image written by a writer drawn from the pool per epoch; the test set the same pool, one draw per image.
            var writers = ImageWriters.Parse(spec.Writers);
            var metadata = spec.MetadataBytes ?? 0;
            var train = FashionMnist.Load("train", spec.Source, spec.TrainLimit);
            var test = FashionMnist.Load("test", spec.Source, spec.TestLimit);
            var formats = writers.Select(w => w.Format).Distinct().Select(f => (IFileEncoding)new ImageEncoding(f)).ToList();
            var weights = spec.FormatWeights is null ? null : ImageWriters.ParseFormatWeights(spec.FormatWeights);
            var writerWeights = spec.WriterWeights is null ? null : ImageWriters.ParseWriterWeights(spec.WriterWeights);
            return HoldOut(spec, new RunData(new WrittenImageDataset(train, writers, spec.ImageAugmentationPolicy, spec.Seed, "fashion-mnist train", metadata,
                    formatWeights: weights, writerWeights: writerWeights),
                new WrittenImageDataset(test, writers, null, spec.Seed, "fashion-mnist test", metadata),
                new TrainedEncodings([new TrainedPart(null, formats)]), [], writers.Select(w => w.Name).ToList(),
                (FashionMnist.Width, FashionMnist.Height)), new WrittenImageDataset(train, writers, null, spec.Seed, "fashion-mnist train", metadata));
        }
        if (spec.Writers is not null) throw new ByteFormerException("a writer pool applies to Fashion-MNIST");
        if (IsFashionMnist(spec.Data))
        {
            // Several encodings (tiff,png,jpeg75): each sample draws one per epoch; the test set is the same mixture.
            if (spec.Encoding is null) throw new ByteFormerException("Fashion-MNIST needs an image encoding (e.g. tiff)");
            var encodings = spec.Encoding.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(e => FileEncodings.Parse<ImageEncoding>(e, EncodingKind.Image)).ToList();
            var train = FashionMnist.Load("train", spec.Source, spec.TrainLimit);
            var test = FashionMnist.Load("test", spec.Source, spec.TestLimit);
            return HoldOut(spec, new RunData(new EncodedImageDataset(train, encodings, spec.ImageAugmentationPolicy, spec.Seed, "fashion-mnist train"),
                new EncodedImageDataset(test, encodings, null, spec.Seed, "fashion-mnist test"),
                new TrainedEncodings([new TrainedPart(null, encodings)]), [], ImageSize: (FashionMnist.Width, FashionMnist.Height)),
                new EncodedImageDataset(train, encodings, null, spec.Seed, "fashion-mnist train"));
        }
        if (IsSpeech(spec.Data))
        {
            var audio = encoding switch
            {
                null => throw new ByteFormerException($"{spec.Data} is a Speech Commands set: it needs an audio encoding (e.g. wav-int16@8k)"),
                _ => FileEncodings.Parse<AudioEncoding>(spec.Encoding!, EncodingKind.Audio),
            };
            var task = spec.Task == 35 ? SpeechTask.ThirtyFive : SpeechTask.Twelve;
            IByteDataset train = new SpeechCommandsDataset(spec.Data, "train", task, audio, spec.AudioAugmentationPolicy, spec.Seed);
            IByteDataset test = new SpeechCommandsDataset(spec.Data, "test", task, audio, null, spec.Seed);
            // The clips are stored word by word: a limit takes clips spread over every class, not the first words.
            if (spec.TrainLimit is { } tl) train = new SpreadSamples(train, tl);
            if (spec.TestLimit is { } el) test = new SpreadSamples(test, el);
            // The set's own validation list holds out whole voices, as its test list does: no training clip is taken.
            IByteDataset? validation = null;
            if (spec.ValidationCount(train.Count) > 0)
            {
                var listed = new SpeechCommandsDataset(spec.Data, "validation", task, audio, null, spec.Seed);
                if (listed.Count > 0)
                    validation = listed.Count > RunSpec.MaxValidationSamples ? new SpreadSamples(listed, RunSpec.MaxValidationSamples) : listed;
            }
            return new RunData(train, test, new TrainedEncodings([new TrainedPart(null, [audio])]), [], Validation: validation);
        }
        if (encoding is not null && encoding.Kind != EncodingKind.File)
            throw new ByteFormerException($"{spec.Data}: an encoding applies to Fashion-MNIST and Speech Commands folders; other folders' files are used as they are");
        var trainDir = Path.Combine(spec.Data, "train");
        if (!Directory.Exists(trainDir)) throw new ByteFormerException($"{spec.Data} has no train/ folder (expected {spec.Data}/train/<class>/<files>)");
        var trainSet = new FolderDataset(trainDir, byteBudget);
        var testDir = Path.Combine(spec.Data, "test");
        var testSet = Directory.Exists(testDir) ? new FolderDataset(testDir, byteBudget, trainSet.ClassNames) : null;
        return HoldOut(spec, new RunData(trainSet, testSet, TrainedEncodings.None,
            new[] { trainSet.SkipSummary, testSet?.SkipSummary }.OfType<string>().ToList()), trainSet);
    }

    /// <summary>The run's data with <see cref="RunSpec.ValidationCount"/> training samples held out, read from
    /// <paramref name="clean"/> (the training samples without augmentation); the data as it is when none are.</summary>
    private static RunData HoldOut(RunSpec spec, RunData data, IByteDataset clean)
    {
        var count = spec.ValidationCount(data.Train.Count);
        if (count == 0) return data;
        var (train, validation) = SampleSubset.HoldOut(data.Train, clean, count, spec.Seed);
        return data with { Train = train, Validation = validation };
    }

    /// <summary>
    /// The data <paramref name="data"/> names, in <paramref name="model"/>'s label space, made in the model's own
    /// encoding unless <paramref name="encoding"/> says another: "fashion-mnist" (its test set, encoded in memory),
    /// a Speech Commands folder (the split's clips), or a folder of <c>class/files</c>, used as they are. A model
    /// trained on several data sets takes the set's own encoding, found by the set's name, else by kind.
    /// </summary>
    /// <param name="data">"fashion-mnist" or a folder.</param>
    /// <param name="model">The model to evaluate.</param>
    /// <param name="encoding">An encoding name, or null for the one the model was trained on.</param>
    /// <param name="split">For a Speech Commands folder: test, validation or train.</param>
    /// <param name="limit">Only this many samples: Fashion-MNIST's first, or spread over every class of a folder.</param>
    /// <param name="fashionMnistRoot">Where Debian's dataset-fashion-mnist is.</param>
    /// <param name="writers">Fashion-MNIST only: write the test images with this writer pool (<see cref="ImageWriters.Parse"/>) in
    /// place of an encoding, one writer drawn per image.</param>
    /// <param name="metadataBytes">With <paramref name="writers"/>: insert exactly this many bytes of valid metadata before the pixels of every file.</param>
    /// <exception cref="ByteFormerException">No encoding can be chosen, or the data's classes are not the model's.</exception>
    public static EvaluationData OpenEvaluation(string data, LoadedModel model, string? encoding = null, string split = "test",
        int? limit = null, string fashionMnistRoot = FashionMnist.DefaultRoot, string? writers = null, int? metadataBytes = null) =>
        OpenEvaluation(data, new EvaluatedModel(model.Labels, model.Source, model.Model.ByteBudget, model.Contract), encoding, split, limit,
            fashionMnistRoot, writers, metadataBytes);

    /// <summary><see cref="OpenEvaluation(string, LoadedModel, string?, string, int?, string, string?, int?)"/> for a predictor of
    /// either backend (an ONNX model has no <see cref="LoadedModel"/>); it must have been made with its model's input contract.</summary>
    /// <exception cref="ByteFormerException">No encoding can be chosen, or the data's classes are not the model's.</exception>
    public static EvaluationData OpenEvaluation(string data, Predictor predictor, string? encoding = null, string split = "test",
        int? limit = null, string fashionMnistRoot = FashionMnist.DefaultRoot, string? writers = null, int? metadataBytes = null)
    {
        var contract = predictor.Contract ?? throw new ArgumentException("the predictor was made without its model's input contract", nameof(predictor));
        return OpenEvaluation(data, new EvaluatedModel(predictor.Labels, contract.ModelName, predictor.ByteBudget, contract), encoding, split, limit,
            fashionMnistRoot, writers, metadataBytes);
    }

    /// <summary>What choosing and labelling evaluation data needs of a model.</summary>
    private sealed record EvaluatedModel(IReadOnlyList<string> Labels, string Source, long ByteBudget, InputContract Contract);

    private static EvaluationData OpenEvaluation(string data, EvaluatedModel model, string? encoding, string split,
        int? limit, string fashionMnistRoot, string? writers, int? metadataBytes)
    {
        if ((writers is not null || metadataBytes is not null) && !IsFashionMnist(data))
            throw new ByteFormerException("writers and metadata insertion make Fashion-MNIST test files; other data is read as it is");
        if (metadataBytes is not null && writers is null) throw new ByteFormerException("metadata insertion goes with a writer pool");
        if (writers is not null && encoding is not null) throw new ByteFormerException("a writer pool replaces the encoding: give one or the other");
        if (limit is < 1) throw new ByteFormerException($"a sample limit must be at least 1, got {limit}");
        IByteDataset dataset;
        SpeechCommandsDataset? speech = null;
        var notes = new List<string>();
        if (IsFashionMnist(data) && writers is not null)
        {
            var written = new WrittenImageDataset(FashionMnist.Load("test", fashionMnistRoot), ImageWriters.Parse(writers), null, 0,
                "fashion-mnist test", metadataBytes ?? 0, exactMetadata: true);
            dataset = RelabeledDataset.InLabelSpace(written, model.Labels)
                      ?? throw new ByteFormerException($"{model.Source}: its classes are not Fashion-MNIST's");
            if (limit is { } first) dataset = new FirstSamples(dataset, first);
            return new EvaluationData(dataset, null, notes);
        }
        if (IsFashionMnist(data))
        {
            // Encoded in memory, without augmentation: the cross-encoding matrix needs no files written.
            var image = EncodingFor<ImageEncoding>(model, encoding, EncodingKind.Image, RunSpec.FashionMnistName);
            var test = new EncodedImageDataset(FashionMnist.Load("test", fashionMnistRoot), image, null, 0, "fashion-mnist test");
            dataset = RelabeledDataset.InLabelSpace(test, model.Labels)
                      ?? throw new ByteFormerException($"{model.Source}: its classes are not Fashion-MNIST's");
            // Fashion-MNIST's test set is in no class order, so its first N are a fair sample.
            if (limit is { } n) dataset = new FirstSamples(dataset, n);
            return new EvaluationData(dataset, null, notes);
        }
        if (IsSpeech(data))
        {
            // Clips are encoded as the model was trained (its metadata says how), without augmentation.
            var audio = EncodingFor<AudioEncoding>(model, encoding, EncodingKind.Audio, PartName(data));
            var task = model.Labels.Any(l => l == SpeechCommandsWords.Unknown || l.EndsWith("/" + SpeechCommandsWords.Unknown, StringComparison.Ordinal))
                ? SpeechTask.Twelve : SpeechTask.ThirtyFive;
            speech = new SpeechCommandsDataset(data, split, task, audio, null, 0);
            dataset = RelabeledDataset.InLabelSpace(speech, model.Labels)
                      ?? throw new ByteFormerException($"{data}: its classes ({string.Join(", ", speech.ClassNames.Take(5))}, …) are not the model's ({string.Join(", ", model.Labels.Take(5))}, …)");
        }
        else
        {
            // A training folder (train/ and test/) is evaluated on its test files, unless the model has classes of those names.
            if (Directory.Exists(Path.Combine(data, "test")) && Directory.Exists(Path.Combine(data, "train"))
                && !model.Labels.Contains("test") && !model.Labels.Contains("train"))
            {
                notes.Add($"{data} holds train/ and test/: evaluating {Path.Combine(data, "test")}");
                data = Path.Combine(data, "test");
            }
            // The folder's classes are the model's, or one data set's of a joint model (labels "set/class"); else the
            // model's labels name the folders (a folder may hold some classes only).
            var folder = new FolderDataset(data, model.ByteBudget);
            var relabeled = RelabeledDataset.InLabelSpace(folder, model.Labels);
            if (relabeled is null) folder = new FolderDataset(data, model.ByteBudget, model.Labels);
            if (folder.SkipSummary is { } skipped) notes.Add(skipped);
            dataset = relabeled ?? folder;
        }
        // Folders and Speech Commands are stored class by class, so N files spread over all of them.
        if (limit is { } count) dataset = new SpreadSamples(dataset, count);
        return new EvaluationData(dataset, speech, notes);
    }

    private static T EncodingFor<T>(EvaluatedModel model, string? given, EncodingKind kind, string dataName) where T : class, IFileEncoding
    {
        if (given is not null) return FileEncodings.Parse<T>(given, kind);
        var trained = model.Contract.Encodings;
        if (trained.IsEmpty)
            throw new ByteFormerException($"{model.Source} does not say which encoding it was trained on: name one");
        return trained.For(kind, dataName) as T
               ?? throw new ByteFormerException($"{model.Source} was trained on {trained}: name the encoding of {FileEncodings.Plural(kind)} to make");
    }
}

using System.CommandLine;
using System.Diagnostics;
using ByteFormer.Bytes;
using ByteFormer.Cli.Output;
using ByteFormer.Codecs;
using ByteFormer.Codecs.Audio;
using ByteFormer.Data;
using ByteFormer.Data.Speech;
using ByteFormer.Inference;
using ByteFormer.Model;
using ByteFormer.Training;
using Spectre.Console;

namespace ByteFormer.Cli.Commands;

/// <summary><c>byteformer train</c>: CoreNet's recipe on Fashion-MNIST encoded on the fly, or on any folder of files.</summary>
internal static class TrainCommand
{
    public static Command Create(CliIO io)
    {
        var data = new Option<string[]>("--data")
        {
            Description = "'fashion-mnist', or a folder with train/<class>/* (and test/<class>/*); with --resume, the run's own. " +
                          "Give it several times to train one model on all of them (classes named data/class), with one --encoding each ('none' for a plain folder)",
        };
        var encoding = new Option<string[]>("--encoding")
        {
            Description = "For fashion-mnist: fhwc, fchw, tiff, png-stored, png, jpeg[Q], bmp, webp[Q]; for a Speech Commands folder: " +
                          "wav-float32, wav-int32, wav-int16, wav-uint8, mulaw or mp3, optionally @8k. Fashion-MNIST takes several, comma-separated, " +
                          "for a mixture (each sample draws one per epoch)",
        };
        var task = new Option<int>("--task") { Description = "Speech Commands: 12 (commands + unknown + silence) or 35 classes", DefaultValueFactory = _ => 12 };
        task.AcceptOnlyFromAmong("12", "35");
        var source = new Option<string>("--source") { Description = "Where Debian's dataset-fashion-mnist is", DefaultValueFactory = _ => FashionMnist.DefaultRoot };
        var trainLimit = new Option<int?>("--train-limit") { Description = "Use only N training samples: the first N images; for Speech Commands, N clips spread over every class" };
        var testLimit = new Option<int?>("--test-limit") { Description = "Use only N test samples (as --train-limit)" };
        var noAugment = new Option<bool>("--no-augment") { Description = "Same as --augment none" };
        var augment = new Option<string>("--augment")
        {
            Description = "Augmentation before encoding. Images: full (crop, flip, random erasing), light (crop, flip); audio: full (background noise, shift, mixup), light (no mixup); or none",
            DefaultValueFactory = _ => "full",
        };
        augment.AcceptOnlyFromAmong("full", "light", "none");
        var preset = new Option<string>("--preset") { Description = $"Model size: {string.Join(", ", ByteFormerConfig.PresetNames)}", DefaultValueFactory = _ => "micro" };
        var architecture = new Option<string>("--architecture")
        {
            Description = "byteformer, or pixel-vit: the pixel-space baseline (a ViT of the preset's width and depth on raw fHWC pixel files)",
            DefaultValueFactory = _ => "byteformer",
        };
        architecture.AcceptOnlyFromAmong("byteformer", "pixel-vit");
        var patch = new Option<int>("--patch") { Description = "pixel-vit: patch size in pixels", DefaultValueFactory = _ => 4 };
        var kernel = new Option<int?>("--kernel") { Description = "Conv kernel k (stride k/2)" };
        var window = new Option<int?>("--window") { Description = "Window size for every layer (shifts become half of it)" };
        var maxTokens = new Option<int?>("--max-tokens") { Description = "Positional table rows" };
        var epochs = new Option<int>("--epochs") { Description = "Epochs (with --time-budget: the most)", DefaultValueFactory = _ => 10 };
        var timeBudget = new Option<double>("--time-budget") { Description = "Minutes: after the first epoch, keep as many epochs as fit (at most --epochs)" };
        var batch = new Option<int>("--batch-size") { DefaultValueFactory = _ => 32 };
        var accum = new Option<int>("--accumulate") { Description = "Micro-batches per optimizer step", DefaultValueFactory = _ => 1 };
        var lr = new Option<double>("--lr") { DefaultValueFactory = _ => 1e-3 };
        var warmup = new Option<int>("--warmup-steps") { DefaultValueFactory = _ => 500 };
        var wd = new Option<double>("--weight-decay") { DefaultValueFactory = _ => 0.05 };
        var smoothing = new Option<double>("--label-smoothing") { DefaultValueFactory = _ => 0.1 };
        var emaMomentum = new Option<double>("--ema") { Description = "EMA momentum (0: off)", DefaultValueFactory = _ => 1e-3 };
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => 0 };
        var runDir = new Option<string>("--run-dir") { Description = "Folder for checkpoint.zip, metrics.jsonl, curves.png, model.safetensors", Required = true };
        var resume = new Option<bool>("--resume") { Description = "Continue the run in --run-dir from its checkpoint" };
        var checkpointEvery = new Option<int>("--checkpoint-every") { Description = "Also checkpoint every N steps", DefaultValueFactory = _ => 500 };
        var output = new Option<string?>("--out") { Description = "Also write the final model file here" };
        var threads = CommonOptions.ThreadsOption();
        var permutation = CommonOptions.KeyOption();
        var noise = new Option<int?>("--byte-noise") { Description = "Add uniform noise in [-W, W] to every byte, mod 256 (before any permutation)" };
        var keepFraction = new Option<double?>("--keep-fraction") { Description = "Privacy camera: keep this fraction of byte positions (fixed), drop the rest" };
        var speed = new Option<double?>("--speed-perturb")
        {
            Description = "Audio: play each training clip at a random speed in [1 - R, 1 + R] (pitch and formants move with it), " +
                          "on top of --augment light or full; not in the reference's recipe",
        };
        var shuffleBytes = new Option<string?>("--shuffle-bytes") { Description = "Reorder bytes: reverse, random, cyclic-half, stride:S or window:W" };
        var command = new Command("train", "Train a ByteFormer on file bytes")
        {
            data, encoding, task, source, trainLimit, testLimit, noAugment, augment, preset, architecture, patch, kernel, window, maxTokens, epochs, batch, accum,
            lr, warmup, wd, smoothing, emaMomentum, seed, runDir, resume, checkpointEvery, output, threads,
            permutation, noise, keepFraction, shuffleBytes, timeBudget, speed,
        };
        command.SetAction(parse => ErrorReporter.Guard(io, () =>
        {
            var options = new TrainOptions
            {
                Epochs = parse.GetValue(epochs), BatchSize = parse.GetValue(batch), AccumulationSteps = parse.GetValue(accum),
                LearningRate = parse.GetValue(lr), WarmupSteps = parse.GetValue(warmup), WeightDecay = parse.GetValue(wd),
                LabelSmoothing = parse.GetValue(smoothing), EmaMomentum = parse.GetValue(emaMomentum), Seed = parse.GetValue(seed),
                CheckpointEverySteps = parse.GetValue(checkpointEvery), TimeBudgetMinutes = parse.GetValue(timeBudget),
            };
            var dataNames = parse.GetValue(data) ?? [];
            var encodings = parse.GetValue(encoding) ?? [];
            var runFolder = parse.GetValue(runDir)!;
            DataSpec spec;
            if (dataNames.Length == 0)
            {
                if (!parse.GetValue(resume)) throw new ByteFormerException("--data is required (fashion-mnist or a folder)");
                spec = ReadSpec(runFolder);
            }
            else
            {
                if (dataNames.Length > 1 && encodings.Length != dataNames.Length)
                    throw new ByteFormerException($"{dataNames.Length} --data need {dataNames.Length} --encoding, one each in the same order ('none' for a plain folder)");
                if (dataNames.Length == 1 && encodings.Length > 1)
                    throw new ByteFormerException("one --data takes one --encoding (several encodings of Fashion-MNIST: --encoding tiff,png)");
                string? EncodingOf(int i) => i < encodings.Length && encodings[i] != "none" ? encodings[i] : null;
                spec = new DataSpec(dataNames[0], EncodingOf(0), parse.GetValue(source)!, parse.GetValue(trainLimit),
                    parse.GetValue(testLimit), true, options.Seed,
                    parse.GetValue(noAugment) ? "none" : parse.GetValue(augment), parse.GetValue(task),
                    parse.GetValue(keepFraction), parse.GetValue(shuffleBytes), parse.GetValue(noise),
                    KeyPath(parse.GetValue(permutation)),
                    dataNames.Length > 1 ? dataNames : null, dataNames.Length > 1 ? dataNames.Select((_, i) => EncodingOf(i)).ToArray() : null,
                    parse.GetValue(speed));
                if (spec.SpeedPerturb is { } r && (r is <= 0 or >= 0.5 || spec.AudioAugmentationPolicy is null))
                    throw new ByteFormerException("--speed-perturb takes R in (0, 0.5) and goes with --augment light or full");
                if (spec.SpeedPerturb is not null && !dataNames.Any(d => Directory.Exists(d) && SpeechCommandsDataset.IsSpeechCommands(d)))
                    throw new ByteFormerException("--speed-perturb is for audio: it needs a Speech Commands folder among --data");
            }
            var shape = new ModelChoice(parse.GetValue(architecture)!, parse.GetValue(preset)!, parse.GetValue(patch));
            return CommonOptions.WithThreads(parse.GetValue(threads), () => Run(io, spec, shape, parse.GetValue(kernel),
                parse.GetValue(window), parse.GetValue(maxTokens), options, parse.GetValue(runDir)!, parse.GetValue(resume),
                parse.GetValue(output), string.Join(' ', parse.Tokens.Select(t => t.Value))));
        }));
        return command;
    }

    /// <summary>What a run trains on; stored as the run's data.json so --resume needs no data options.</summary>
    /// <remarks><c>Augment</c> is the field of runs written before <c>Augmentation</c> existed (true meant full).
    /// <c>PermutationKey</c> is the key file's full path (or "reference"): the run folder names the key, never holds it.</remarks>
    internal sealed record DataSpec(string Data, string? Encoding, string Source, int? TrainLimit, int? TestLimit, bool Augment, int Seed,
        string? Augmentation = null, int Task = 12, double? KeepFraction = null, string? ShuffleBytes = null, int? NoiseWidth = null,
        string? PermutationKey = null, string[]? JoinData = null, string?[]? JoinEncodings = null, double? SpeedPerturb = null)
    {
        /// <summary>The byte transforms of the run (none by default).</summary>
        public ByteTransformPipeline Transforms() => ByteTransformPipeline.Create(KeepFraction, ShuffleBytes, NoiseWidth,
            PermutationKey is null ? null : BytePermutation.Load(PermutationKey));

        /// <summary>full, light or none; runs written before <c>Augmentation</c> existed say it with <c>Augment</c>.</summary>
        private string AugmentationName => (Augmentation ?? (Augment ? "full" : "none")) switch
        {
            var name and ("full" or "light" or "none") => name,
            var other => throw new ByteFormerException($"unknown augmentation '{other}' (expected full, light or none)"),
        };

        public ImageAugmentation? AugmentationPolicy => AugmentationName switch
        {
            "full" => new ImageAugmentation(),
            "light" => ImageAugmentation.Light,
            _ => null,
        };

        /// <summary>For audio: full is background noise, circular shift and mixup (the reference's recipe); light has a
        /// fifth of the noise and no mixup, whose soft targets slow learning in a short run. Either plays clips at
        /// random speeds when <c>SpeedPerturb</c> is set.</summary>
        public AudioAugmentation? AudioAugmentationPolicy => AugmentationName switch
        {
            "full" => new AudioAugmentation(SpeedRange: SpeedPerturb ?? 0),
            "light" => new AudioAugmentation(NoiseMaxGain: 0.1, Mixup: false, SpeedRange: SpeedPerturb ?? 0),
            _ => null,
        };
    }

    private const string SpecFile = "data.json";
    private const string CommandFile = "command.txt";

    /// <summary>The key as data.json records it: a full path (a resumed run may start elsewhere), or "reference".</summary>
    private static string? KeyPath(string? key) => key is null or BytePermutation.ReferenceName ? key : Path.GetFullPath(key);

    private static DataSpec ReadSpec(string runDir)
    {
        var path = Path.Combine(runDir, SpecFile);
        if (!File.Exists(path)) throw new ByteFormerException($"{path} is missing; give --data (and --encoding) as for the original run");
        return System.Text.Json.JsonSerializer.Deserialize<DataSpec>(File.ReadAllText(path))
               ?? throw new ByteFormerException($"{path} is empty");
    }

    private static (IByteDataset Train, IByteDataset? Test, string? Encoding) LoadData(CliIO io, DataSpec spec, long byteBudget)
    {
        if (spec.JoinData is { Length: > 1 } sources)
        {
            var loaded = sources.Select((d, i) => LoadData(io, spec with { Data = d, Encoding = spec.JoinEncodings![i], JoinData = null, JoinEncodings = null }, byteBudget)).ToList();
            var names = sources.Select(PartName).ToList();
            var train = new JoinedDataset(names.Zip(loaded, (n, l) => (n, l.Train)).ToList());
            JoinedDataset? test = loaded.All(l => l.Test is not null) ? new JoinedDataset(names.Zip(loaded, (n, l) => (n, l.Test!)).ToList()) : null;
            return (train, test, string.Join(" + ", loaded.Select((l, i) => $"{names[i]}: {l.Encoding ?? "as is"}")));
        }
        if (spec.Data == "fashion-mnist")
        {
            // Several encodings (tiff,png,jpeg75): each sample draws one per epoch; the test set is the same mixture.
            var encodings = (spec.Encoding ?? throw new ByteFormerException("--data fashion-mnist needs --encoding"))
                .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(e => ImageEncoding.Parse(e)).ToList();
            var train = FashionMnist.Load("train", spec.Source, spec.TrainLimit);
            var test = FashionMnist.Load("test", spec.Source, spec.TestLimit);
            return (new EncodedImageDataset(train, encodings, spec.AugmentationPolicy, spec.Seed, "fashion-mnist train"),
                    new EncodedImageDataset(test, encodings, null, spec.Seed, "fashion-mnist test"), string.Join(',', encodings));
        }
        if (Directory.Exists(spec.Data) && SpeechCommandsDataset.IsSpeechCommands(spec.Data))
        {
            var audio = AudioEncoding.Parse(spec.Encoding ?? throw new ByteFormerException($"{spec.Data} is a Speech Commands set: give --encoding (e.g. wav-int16@8k)"));
            var speechTask = spec.Task == 35 ? SpeechTask.ThirtyFive : SpeechTask.Twelve;
            var augmentation = spec.AudioAugmentationPolicy;
            IByteDataset train = new SpeechCommandsDataset(spec.Data, "train", speechTask, audio, augmentation, spec.Seed);
            IByteDataset test = new SpeechCommandsDataset(spec.Data, "test", speechTask, audio, null, spec.Seed);
            // The clips are stored word by word: a limit takes clips spread over every class, not the first words.
            if (spec.TrainLimit is { } tl) train = new SpreadSamples(train, tl);
            if (spec.TestLimit is { } el) test = new SpreadSamples(test, el);
            return (train, test, audio.ToString());
        }
        if (spec.Encoding is not null) throw new ByteFormerException("--encoding applies to fashion-mnist and Speech Commands folders; other folders' files are used as they are");
        var trainDir = Path.Combine(spec.Data, "train");
        if (!Directory.Exists(trainDir)) throw new ByteFormerException($"{spec.Data} has no train/ folder (expected {spec.Data}/train/<class>/<files>)");
        var trainSet = new FolderDataset(trainDir, byteBudget);
        var testDir = Path.Combine(spec.Data, "test");
        var testSet = Directory.Exists(testDir) ? new FolderDataset(testDir, byteBudget, trainSet.ClassNames) : null;
        foreach (var skipped in new[] { trainSet.SkipSummary, testSet?.SkipSummary }.OfType<string>())
            io.Err.WriteLine($"byteformer: {skipped}");
        return (trainSet, testSet, null);
    }

    /// <summary>A joined data set's name for class labels: fashion-mnist, or the folder's name.</summary>
    private static string PartName(string data) =>
        data == "fashion-mnist" ? data : Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(data)));

    /// <summary>Which network to train: the architecture, the preset giving its size, and the pixel ViT's patch.</summary>
    internal sealed record ModelChoice(string Architecture, string Preset, int Patch);

    private static int Run(CliIO io, DataSpec spec, ModelChoice choice, int? kernel, int? window, int? maxTokens,
        TrainOptions options, string runDir, bool resume, string? output, string commandLine)
    {
        if (options.Epochs < 1 || options.BatchSize < 1 || options.AccumulationSteps < 1)
            throw new ByteFormerException("--epochs, --batch-size and --accumulate must be at least 1");
        if (options.TimeBudgetMinutes < 0) throw new ByteFormerException("--time-budget must be a positive number of minutes");
        var checkpoint = Path.Combine(runDir, Checkpoint.FileName);
        Func<int, ByteClassifier> build;                                        // classes -> fresh network
        long byteBudget;
        if (resume)
        {
            var header = Checkpoint.ReadHeader(checkpoint);
            options = header.Options;
            var architecture = header.Model.Architecture;
            var json = header.Model.ConfigJson();
            byteBudget = header.Model.ByteBudget;
            header.Model.Dispose();
            build = _ => ModelFile.Build(architecture, json, checkpoint);
        }
        else
        {
            if (File.Exists(checkpoint))
                throw new ByteFormerException($"{runDir} already holds a run; continue it with --resume or choose another --run-dir");
            var config = ByteFormerConfig.Preset(choice.Preset);
            if (kernel is { } k) config = config with { ConvKernelSize = k };
            if (window is { } w) config = config with { WindowSizes = [w], WindowShifts = Enumerable.Range(0, config.NTransformerLayers).Select(i => i % 2 == 0 ? 0 : w / 2).ToArray() };
            if (maxTokens is { } m) config = config with { MaxNumTokens = m };
            config.Validate();
            if (choice.Architecture == "pixel-vit")
            {
                if (spec.Data != "fashion-mnist" || spec.Encoding is not ("fhwc" or "fchw"))
                    throw new ByteFormerException("--architecture pixel-vit reads decoded pixels: use --data fashion-mnist --encoding fhwc");
                var vit = PixelVitConfig.MatchingWidthAndDepth(config, FashionMnist.Height, FashionMnist.Width, 1) with { PatchSize = choice.Patch };
                vit.Validate();
                byteBudget = vit.ImageBytes;
                build = classes => new PixelVisionTransformer(vit with { NClasses = classes });
            }
            else
            {
                byteBudget = Predictor.ByteBudgetFor(config);
                build = classes => new ByteFormerModel(config with { NClasses = classes });
            }
        }
        var (train, test, encoding) = LoadData(io, spec, byteBudget);
        var transforms = spec.Transforms();
        if (!transforms.IsEmpty)
        {
            if (choice.Architecture == "pixel-vit" && !resume)
                throw new ByteFormerException("byte transforms (--byte-permutation, --byte-noise, --keep-fraction, --shuffle-bytes) are for the byte model, not --architecture pixel-vit");
            train = TransformedDataset.Wrap(train, transforms, options.Seed);
            if (test is not null) test = TransformedDataset.Wrap(test, transforms, options.Seed);
        }
        var commandFile = Path.Combine(runDir, CommandFile);
        var trainCommand = "byteformer " + commandLine;
        if (resume && File.Exists(commandFile))                                 // the model file names the command that started the run
            trainCommand = File.ReadAllText(commandFile).Trim() + " (resumed: " + trainCommand + ")";
        if (!resume)
        {
            Directory.CreateDirectory(runDir);
            AtomicFile.Write(commandFile, s => s.Write(System.Text.Encoding.UTF8.GetBytes(trainCommand + "\n")));
            var specJson = System.Text.Json.JsonSerializer.Serialize(spec with { Seed = options.Seed });
            AtomicFile.Write(Path.Combine(runDir, SpecFile), s => s.Write(System.Text.Encoding.UTF8.GetBytes(specJson)));
        }
        using var cancel = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) => { e.Cancel = true; cancel.Cancel(); };
        Console.CancelKeyPress += onCancel;
        var observer = new ConsoleObserver(io);
        ByteClassifier? model = null;
        Trainer? trainer = null;
        bool finished;
        try
        {
            for (var attempt = 0; ; attempt++)
            {
                TorchSharp.torch.manual_seed(options.Seed);                     // same initial weights on every attempt
                model = build(train.ClassNames.Count);
                trainer = new Trainer(model, train, test, options, runDir, observer);
                if (resume || attempt > 0) trainer.Resume();
                if (attempt == 0)
                    io.Err.WriteLine($"Training {Describe(model)} on {train.Count:N0} samples: {train.Describe}; " +
                                     $"{options.Epochs} epochs of {trainer.StepsPerEpoch:N0} steps");
                try
                {
                    finished = trainer.Run(cancel.Token);
                    break;
                }
                catch (System.Runtime.InteropServices.ExternalException e) when (attempt < MaxRecoveries && File.Exists(checkpoint))
                {
                    // A native failure mid-run (see Training.AdamW's remarks on TorchSharp's scalars): the run is
                    // deterministic per step, so continuing from the last checkpoint reaches the same weights.
                    io.Err.WriteLine($"libtorch failed ({e.Message.Split('\n')[0].Trim()}); continuing from the last checkpoint ({attempt + 1}/{MaxRecoveries})");
                    trainer.Dispose();
                    model.Dispose();
                }
            }
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
        using var _ = model;
        using var __ = trainer;
        if (!finished) return 130;

        var metadata = new Dictionary<string, string>
        {
            ["byteformer.data"] = train.Describe,
            ["byteformer.train_command"] = trainCommand,
        };
        if (encoding is not null) metadata["byteformer.encoding"] = encoding;
        if (!transforms.IsEmpty) metadata[ByteTransformPipeline.MetadataKey] = transforms.Spec;
        var last = trainer.FinalModel;
        if (test is not null)
        {
            var result = Evaluator.Evaluate(last, test);
            metadata["byteformer.test_top1"] = result.Top1.ToString("F4", System.Globalization.CultureInfo.InvariantCulture);
            io.Out.WriteLine($"Final model: test top-1 {result.Top1:P2} on {result.Samples:N0} samples");
            if (test is JoinedDataset joined)
                for (var i = 0; i < joined.PartNames.Count; i++)
                {
                    var part = Evaluator.Evaluate(last, joined.Part(i));
                    metadata[$"byteformer.test_top1.{joined.PartNames[i]}"] = part.Top1.ToString("F4", System.Globalization.CultureInfo.InvariantCulture);
                    io.Out.WriteLine($"  {joined.PartNames[i]}: test top-1 {part.Top1:P2} on {part.Samples:N0} samples");
                }
        }
        var modelPath = Path.Combine(runDir, "model.safetensors");
        ModelFile.Save(modelPath, last, train.ClassNames, metadata);
        if (output is not null) ModelFile.Save(output, last, train.ClassNames, metadata);
        io.Out.WriteLine($"Wrote {modelPath}" + (output is null ? "" : $" and {output}") + $"; metrics in {trainer.MetricsPath}, curves in {trainer.PlotPath}");
        return 0;
    }

    private const int MaxRecoveries = 3;


    /// <summary>Progress as log lines (one every 30 s and per epoch), readable in a terminal and in nohup logs.</summary>
    private sealed class ConsoleObserver(CliIO io) : ITrainingObserver
    {
        private readonly Stopwatch sinceLine = Stopwatch.StartNew();
        private readonly Stopwatch total = Stopwatch.StartNew();
        private long firstStep = -1;

        public void OnStep(StepProgress p)
        {
            if (firstStep < 0) firstStep = p.Step - 1;
            if (sinceLine.Elapsed.TotalSeconds < 30 && p.StepInEpoch != 1) return;
            sinceLine.Restart();
            var done = p.Step - firstStep;
            var eta = done > 0 ? TimeSpan.FromSeconds(total.Elapsed.TotalSeconds / done * (p.TotalSteps - p.Step)) : TimeSpan.Zero;
            io.Err.WriteLine($"epoch {p.Epoch + 1}/{p.Epochs} step {p.StepInEpoch}/{p.StepsPerEpoch} | loss {p.Loss:F4} acc {p.Accuracy:P1} | " +
                             $"{p.SamplesPerS:F0} samples/s | lr {p.LearningRate:E2} | ETA {eta:hh\\:mm\\:ss}");
        }

        public void OnEpoch(EpochMetrics m) =>
            io.Err.WriteLine($"epoch {m.Epoch} done in {m.EpochSeconds:F0} s ({m.TrainSamplesPerS:F0} samples/s): train loss {m.TrainLoss:F4} acc {m.TrainAccuracy:P2}" +
                             (m.TestAccuracy is null ? "" : $" | test acc {m.TestAccuracy:P2}") +
                             (m.EmaTestAccuracy is null ? "" : $", EMA {m.EmaTestAccuracy:P2}"));

        public void OnMessage(string message) => io.Err.WriteLine(message);
    }

    private static string Describe(ByteClassifier model)
    {
        var parameters = model.parameters().Sum(p => p.numel());
        return model switch
        {
            ByteFormerModel { Config: var c } =>
                $"{c.Mode} ({parameters:N0} parameters, k {c.ConvKernelSize}, {c.Semantics.ToString().ToLowerInvariant()} semantics)",
            PixelVisionTransformer { Config: var c } =>
                $"pixel ViT ({parameters:N0} parameters, {c.EmbedDim} wide, {c.NTransformerLayers} layers, {c.PatchSize}×{c.PatchSize} patches)",
            _ => model.Architecture,
        };
    }
}

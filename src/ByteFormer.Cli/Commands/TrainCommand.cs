using System.CommandLine;
using System.Runtime.InteropServices;
using ByteFormer.Bytes;
using ByteFormer.Cli.Output;
using ByteFormer.Codecs;
using ByteFormer.Data;
using ByteFormer.Data.Speech;
using ByteFormer.Model;
using ByteFormer.Runs;
using ByteFormer.Training;
using ByteFormer.Training.Distributed;

namespace ByteFormer.Cli.Commands;

/// <summary><c>byteformer train</c>: CoreNet's recipe on Fashion-MNIST encoded on the fly, or on any folder of files.</summary>
internal static class TrainCommand
{
    public static Command Create(CliIO io)
    {
        var data = new Option<string[]>("--data") { Description = "'fashion-mnist', or a folder with train/<class>/* (and test/<class>/*); with --resume, the run's own. Give it several times to train one model on all of them (classes named data/class), with one --encoding each ('none' for a plain folder); required unless --resume" };
        var encoding = new Option<string[]>("--encoding") { Description = "For fashion-mnist: fhwc, fchw, tiff, png-stored, png, jpeg[Q], bmp, webp[Q]; for a Speech Commands folder: wav-float32, wav-int32, wav-int16, wav-uint8, mulaw or mp3, optionally @8k. Fashion-MNIST takes several, comma-separated, for a mixture (each sample draws one per epoch); other folders need none (default: none)" };
        var task = new Option<int>("--task") { Description = "Speech Commands: 12 (commands + unknown + silence) or 35 classes", DefaultValueFactory = _ => 12 };
        task.AcceptOnlyFromAmong("12", "35");
        var source = new Option<string>("--source") { Description = "Where Debian's dataset-fashion-mnist is", DefaultValueFactory = _ => FashionMnist.DefaultRoot };
        var trainLimit = new Option<int?>("--train-limit") { Description = "Use only N training samples: the first N images; for Speech Commands, N clips spread over every class (default: all)" };
        var testLimit = new Option<int?>("--test-limit") { Description = "Use only N test samples, as --train-limit (default: all)" };
        var noAugment = new Option<bool>("--no-augment") { Description = "Same as --augment none" };
        var augment = new Option<string>("--augment") { Description = "Augmentation before encoding. Images: full (crop, flip, random erasing), light (crop, flip); audio: full (background noise, shift, mixup), light (no mixup); or none", DefaultValueFactory = _ => "full" };
        augment.AcceptOnlyFromAmong("full", "light", "none");
        var preset = new Option<string>("--preset") { Description = $"Model size: {string.Join(", ", ByteFormerConfig.PresetNames)}", DefaultValueFactory = _ => "micro" };
        var architecture = new Option<string>("--architecture") { Description = "byteformer, or pixel-vit: the pixel-space baseline (a ViT of the preset's width and depth on raw fHWC pixel files)", DefaultValueFactory = _ => ModelArchitecture.ByteFormer };
        architecture.AcceptOnlyFromAmong([.. ModelArchitecture.Names]);
        var patch = new Option<int>("--patch") { Description = "pixel-vit: patch size in pixels", DefaultValueFactory = _ => 4 };
        var kernel = new Option<int?>("--kernel") { Description = "Conv kernel k (stride k/2) (default: the preset's)" };
        var window = new Option<int?>("--window") { Description = "Window size for every layer, shifts half of it (default: the preset's)" };
        var maxTokens = new Option<int?>("--max-tokens") { Description = "The most tokens the Conv1d may make, the positional table's rows (default: the preset's)" };
        var positions = new Option<string>("--positions") { Description = "How tokens know their place: learned (CoreNet's absolute table), relative (a learned bias per head and offset inside each window, no table) or none; with --init-from, a change keeps every other weight of the file and starts the new position weights afresh", DefaultValueFactory = _ => "learned" };
        positions.AcceptOnlyFromAmong("learned", "relative", "none");
        var epochs = new Option<int>("--epochs") { Description = "Epochs (with --time-budget: the most)", DefaultValueFactory = _ => 10 };
        var timeBudget = new Option<double>("--time-budget") { Description = "Minutes: after the first epoch, keep as many epochs as fit, at most --epochs (default: none)" };
        var batch = new Option<int>("--batch-size") { Description = "Samples per micro-batch", DefaultValueFactory = _ => 32 };
        var lengthGroups = new Option<int>("--length-groups") { Description = "Split each batch into G groups of similar length, one forward pass each (less padding; same gradient)", DefaultValueFactory = _ => 1 };
        var accum = new Option<int>("--accumulate") { Description = "Micro-batches per optimizer step", DefaultValueFactory = _ => 1 };
        var lr = new Option<double>("--lr") { Description = "Peak learning rate (AdamW, after the warm-up, then cosine)", DefaultValueFactory = _ => 1e-3 };
        var warmup = new Option<int>("--warmup-steps") { Description = "Linear warm-up in optimizer steps, at most 10% of the run's steps (a short run gets a short warm-up)", DefaultValueFactory = _ => 500 };
        var wd = new Option<double>("--weight-decay") { Description = "AdamW weight decay (not on biases and norms)", DefaultValueFactory = _ => 0.05 };
        var smoothing = new Option<double>("--label-smoothing") { Description = "Label smoothing of the loss", DefaultValueFactory = _ => 0.1 };
        var emaMomentum = new Option<double>("--ema") { Description = "EMA momentum (0: off); it warms up as timm's does, and the better of raw and EMA weights on the validation split is saved", DefaultValueFactory = _ => 1e-3 };
        var validation = new Option<double>("--validation-share") { Description = $"Share of the training files held out (at most {RunSpec.MaxValidationSamples:N0}) to choose between raw and EMA weights; 0: none. Speech Commands uses its validation list", DefaultValueFactory = _ => RunSpec.DefaultValidationShare };
        var initFrom = new Option<string?>("--init-from") { Description = "Fine-tune: start from this model file (bundled, trained or imported); its architecture and weights replace --preset, --kernel, --window and --max-tokens; the head is re-initialised when the classes differ (default: random weights)" };
        var seed = new Option<int>("--seed") { Description = "Seeds the weights, the data order, the validation split and the augmentation", DefaultValueFactory = _ => 0 };
        var runDir = new Option<string>("--run-dir") { Description = "Folder for checkpoint.zip, metrics.jsonl, curves.png, model.safetensors", Required = true };
        var resume = new Option<bool>("--resume") { Description = "Continue the run in --run-dir from its checkpoint" };
        var checkpointEvery = new Option<int>("--checkpoint-every") { Description = "Also checkpoint every N steps", DefaultValueFactory = _ => 500 };
        var output = new Option<string?>("--out") { Description = "Also write the final model file here (default: only RUN/model.safetensors)" };
        var threads = CommonOptions.ThreadsOption();
        var device = CommonOptions.DeviceOption();
        var force = CommonOptions.ForceOption();
        var permutation = new Option<string?>("--byte-permutation") { Description = "Train on bytes permuted with this key file (from 'byteformer keygen'), or 'reference' for CoreNet's table; the run records the key's path, never the key (default: none)" };
        var noise = new Option<int?>("--byte-noise") { Description = "Add uniform noise in [-W, W] to every byte, mod 256, before any permutation (default: none)" };
        var keepFraction = new Option<double?>("--keep-fraction") { Description = "Privacy camera: keep this fraction of byte positions (fixed), drop the rest (default: all)" };
        var speed = new Option<double?>("--speed-perturb") { Description = "Audio: play each training clip at a random speed in [1 - R, 1 + R] (pitch and formants move with it), on top of --augment light or full; not in the reference's recipe (default: none)" };
        var writers = new Option<string?>("--writers") { Description = "Fashion-MNIST written by a pool of real image writers drawn per image per epoch, in place of --encoding: all, formats (tiff,png,…) or writer names (default: none)" };
        var metadataBytes = new Option<int?>("--metadata-bytes") { Description = "With --writers: insert up to this many bytes of valid metadata before the pixels (random length per file; default: none)" };
        var formatWeights = new Option<string?>("--format-weights") { Description = "With --writers: draw some formats more often in training, e.g. jpeg=3,png=2 (a format not named weighs 1; test files stay uniform; default: uniform)" };
        var writerWeights = new Option<string?>("--writer-weights") { Description = "With --writers: draw some writers more often among their format's writers, e.g. bmp-project=3 (a writer not named weighs 1; each format's share unchanged; test files stay uniform; default: uniform)" };
        var mpiTimeout = new Option<double>("--mpi-timeout") { Description = "Under mpirun: seconds any rank waits for the others in one collective call before it stops the whole job with one line (a rank died or hangs; default: 120)", DefaultValueFactory = _ => MpiCommunicator.DefaultTimeout.TotalSeconds };
        var deepen = new Option<bool>("--deepen") { Description = "With --init-from: grow the file's network to twice its depth, each block followed by a copy of itself whose output projections start at zero, so training starts from the file's exact function with more capacity (default: the file's depth)" };
        var shuffleBytes = new Option<string?>("--shuffle-bytes") { Description = "Reorder bytes: reverse, random, cyclic-half, stride:S or window:W (default: none)" };
        var command = new Command("train", "Train a ByteFormer on file bytes")
        {
            data, encoding, task, source, trainLimit, testLimit, noAugment, augment, preset, architecture, patch, kernel, window, maxTokens, positions, epochs, batch, accum,
            lr, warmup, wd, smoothing, emaMomentum, seed, runDir, resume, checkpointEvery, output, threads,
            permutation, noise, keepFraction, shuffleBytes, timeBudget, speed, writers, metadataBytes, formatWeights, writerWeights, lengthGroups,
            validation, initFrom, deepen, device, force, mpiTimeout,
        };
        command.SetAction(parse => DistributedCli.Guard(io, parse.GetValue(mpiTimeout), sync =>
        {
            // Caught from the start: a SIGTERM while the data opens must stop the run too, not meet the runtime's default
            // (which can wait forever on libtorch's threads at exit while the main thread trains on).
            using var stop = new StopSignals(catchThem: sync.WorldSize == 1);
            var options = new TrainOptions
            {
                Epochs = parse.GetValue(epochs), BatchSize = parse.GetValue(batch), AccumulationSteps = parse.GetValue(accum),
                LearningRate = parse.GetValue(lr), WarmupSteps = parse.GetValue(warmup), WeightDecay = parse.GetValue(wd),
                LabelSmoothing = parse.GetValue(smoothing), EmaMomentum = parse.GetValue(emaMomentum), Seed = parse.GetValue(seed),
                CheckpointEverySteps = parse.GetValue(checkpointEvery), TimeBudgetMinutes = parse.GetValue(timeBudget),
                LengthGroups = parse.GetValue(lengthGroups),
            };
            CommonOptions.RequireCpuForTraining(parse.GetValue(device)!);
            if (parse.GetValue(output) is { } alsoTo) CommonOptions.RefuseToReplace(parse.GetValue(force), alsoTo);
            var dataNames = parse.GetValue(data) ?? [];
            var encodings = parse.GetValue(encoding) ?? [];
            var runFolder = parse.GetValue(runDir)!;
            var commandLine = "byteformer " + string.Join(' ', parse.Tokens.Select(t => t.Value));
            if (dataNames.Length == 0 && !parse.GetValue(resume)) throw new ByteFormerException("--data is required (fashion-mnist or a folder)");
            RunSpec? spec = null;
            if (dataNames.Length > 0)
            {
                if (dataNames.Length > 1 && encodings.Length != dataNames.Length)
                    throw new ByteFormerException($"{dataNames.Length} --data need {dataNames.Length} --encoding, one each in the same order ('none' for a plain folder)");
                if (dataNames.Length == 1 && encodings.Length > 1)
                    throw new ByteFormerException("one --data takes one --encoding (several encodings of Fashion-MNIST: --encoding tiff,png)");
                var speedPerturb = parse.GetValue(speed);
                var augmentation = parse.GetValue(noAugment) ? "none" : parse.GetValue(augment);
                if (speedPerturb is { } r && (r is <= 0 or >= 0.5 || augmentation == "none"))
                    throw new ByteFormerException("--speed-perturb takes R in (0, 0.5) and goes with --augment light or full");
                if (speedPerturb is not null && !dataNames.Any(d => Directory.Exists(d) && SpeechCommandsDataset.IsSpeechCommands(d)))
                    throw new ByteFormerException("--speed-perturb is for audio: it needs a Speech Commands folder among --data");
                string? EncodingOf(int i) => i < encodings.Length && !(FileEncodings.TryParse(encodings[i], out var e) && e.Kind == EncodingKind.File)
                    ? encodings[i] : null;
                spec = new RunSpec
                {
                    Data = dataNames[0], Encoding = EncodingOf(0), Source = parse.GetValue(source)!,
                    TrainLimit = parse.GetValue(trainLimit), TestLimit = parse.GetValue(testLimit), Seed = options.Seed,
                    Augmentation = augmentation, Task = parse.GetValue(task), KeepFraction = parse.GetValue(keepFraction),
                    ShuffleBytes = parse.GetValue(shuffleBytes), NoiseWidth = parse.GetValue(noise), PermutationKey = KeyPath(parse.GetValue(permutation)),
                    JoinData = dataNames.Length > 1 ? dataNames : null,
                    JoinEncodings = dataNames.Length > 1 ? dataNames.Select((_, i) => EncodingOf(i)).ToArray() : null,
                    SpeedPerturb = speedPerturb, Writers = parse.GetValue(writers), MetadataBytes = parse.GetValue(metadataBytes),
                    FormatWeights = parse.GetValue(formatWeights), WriterWeights = parse.GetValue(writerWeights),
                    ValidationShare = parse.GetValue(validation),
                };
            }
            var choice = new ModelChoice(parse.GetValue(architecture)!, parse.GetValue(preset)!,
                new ConfigOverrides(parse.GetValue(kernel), parse.GetValue(window), parse.GetValue(maxTokens),
                    parse.GetResult(positions) is { Implicit: false } ? Enum.Parse<PositionEncoding>(parse.GetValue(positions)!, ignoreCase: true) : null),
                parse.GetValue(patch))
            {
                InitFrom = parse.GetValue(initFrom),
                Deepen = parse.GetValue(deepen),
            };
            if (choice.Deepen && choice.InitFrom is null) throw new ByteFormerException("--deepen grows a trained network: give the model file to start from with --init-from");
            if (choice.InitFrom is not null)
            {
                // The model file decides the network: a size option beside it would be silently ignored. Positions may
                // change (FineTuning: the position weights start afresh, everything else is the file's).
                var given = new Option[] { preset, architecture, kernel, window, maxTokens, patch }.FirstOrDefault(o => parse.GetResult(o) is { Implicit: false });
                if (given is not null) throw new ByteFormerException($"--init-from takes the network from its model file: leave out {given.Name}");
                if (parse.GetValue(resume)) throw new ByteFormerException("--init-from starts a run; --resume continues one (from its checkpoint): give one of them");
            }
            return CommonOptions.WithThreads(parse.GetValue(threads) ?? DistributedCli.ThreadsPerRank(sync), () =>
            {
                var run = parse.GetValue(resume)
                    ? TrainingRun.Resume(runFolder, commandLine, spec, sync)
                    : TrainingRun.Start(spec!, choice, options, runFolder, commandLine, sync);
                return Run(io, run, parse.GetValue(output), sync, stop);
            });
        }));
        return command;
    }

    /// <summary>The key as the run records it: a full path (a resumed run may start elsewhere), or "reference".</summary>
    private static string? KeyPath(string? key) => key is null or BytePermutation.ReferenceName ? key : Path.GetFullPath(key);

    private static int Run(CliIO io, TrainingRun run, string? output, IGradientSync sync, StopSignals stop)
    {
        var result = run.Run(new ConsoleTrainingObserver(io), stop.Token, output);
        if (result is null) return stop.ExitCode;
        if (!sync.IsLeader) return 0;
        if (sync.WorldSize > 1 && sync.Stats is { Steps: > 0 } stats)
            io.Err.WriteLine($"gradient all-reduce on rank 0: {stats.Seconds / stats.Steps * 1e3:F1} ms a step over {stats.Steps:N0} steps " +
                             $"({stats.Bytes / (double)stats.Steps / 1e6:F2} MB in {(double)stats.Calls / stats.Steps:F0} call(s) a step, waiting for the other ranks included)");
        if (result.TestTop1 is { } top1)
        {
            io.Out.WriteLine($"Final model: test top-1 {top1:P2} on {result.TestSamples:N0} samples");
            foreach (var (name, part) in result.PartTop1) io.Out.WriteLine($"  {name}: test top-1 {part:P2}");
        }
        io.Out.WriteLine($"Wrote {result.ModelPath}" + (output is null ? "" : $" and {output}") + $"; metrics in {run.Folder.MetricsPath}, curves in {run.Folder.PlotPath}");
        return 0;
    }
}

/// <summary>
/// Ctrl+C (SIGINT) and SIGTERM (kill, docker stop, a CI timeout, a cluster scheduler), caught for a training run: both
/// stop it at the next step with a checkpoint, so that --resume continues it exactly. Under mpirun neither is caught: a
/// rank stopping alone would leave the others in a collective call, and mpirun sends SIGTERM to every rank when one
/// has died, which must end them (the last checkpoint stays whole).
/// </summary>
internal sealed class StopSignals : IDisposable
{
    private readonly CancellationTokenSource cancel = new();
    private readonly PosixSignalRegistration? onInterrupt, onTerminate;
    private volatile int exitCode = 130;

    public StopSignals(bool catchThem)
    {
        if (!catchThem) return;
        onInterrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        onTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
    }

    /// <summary>Cancelled when a signal asked the run to stop.</summary>
    public CancellationToken Token => cancel.Token;

    /// <summary>The exit code of a stopped run: 130 after SIGINT, 143 after SIGTERM (128 + the signal's number).</summary>
    public int ExitCode => exitCode;

    private void Stop(PosixSignalContext context)
    {
        context.Cancel = true;
        exitCode = context.Signal == PosixSignal.SIGTERM ? 143 : 130;
        cancel.Cancel();
    }

    public void Dispose()
    {
        onInterrupt?.Dispose();
        onTerminate?.Dispose();
        cancel.Dispose();
    }
}

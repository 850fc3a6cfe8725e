using System.Globalization;
using ByteFormer.Data;
using ByteFormer.Inference;
using ByteFormer.Model;
using ByteFormer.Training;
using ByteFormer.Training.Distributed;

namespace ByteFormer.Runs;

/// <summary>What a finished run wrote and measured.</summary>
/// <param name="ModelPath">The run's model file (EMA weights when EMA was on).</param>
/// <param name="TestTop1">Test top-1 of those weights at the last epoch, or null without a test set.</param>
/// <param name="TestSamples">The test samples that figure counts.</param>
/// <param name="PartTop1">For a run on several data sets: each set's name and test top-1.</param>
/// <param name="Metadata">What the model file records beside the weights.</param>
public sealed record TrainingResult(string ModelPath, double? TestTop1, int TestSamples, IReadOnlyList<(string Name, double Top1)> PartTop1,
    IReadOnlyDictionary<string, string> Metadata);

/// <summary>
/// One training run, composed: its specification and data, the network (built fresh or from the checkpoint's
/// configuration), the trainer, the run folder's files, the retry after a native failure, and the model file with
/// its metadata (data, encodings, byte transforms, command, test figure). The CLI's <c>train</c> parses options and
/// calls this; a service or an MPI launcher can call it too.
/// </summary>
public sealed class TrainingRun
{
    private readonly RunFolder folder;
    private readonly RunSpec spec;
    private readonly Func<IReadOnlyList<string>, ByteClassifier> build;
    private readonly string? initFrom;
    private readonly TrainOptions options;
    private readonly bool resume;
    private readonly string command;
    private readonly IGradientSync sync;

    /// <summary>How many times a run continues from its last checkpoint after libtorch fails mid-run.</summary>
    public const int MaxRecoveries = 3;

    private TrainingRun(RunFolder folder, RunSpec spec, Func<IReadOnlyList<string>, ByteClassifier> build, long byteBudget, TrainOptions options,
        bool resume, string command, IGradientSync? sync)
    {
        (this.folder, this.spec, this.build, this.options, this.resume, this.command) = (folder, spec, build, options, resume, command);
        initFrom = spec.InitFrom;
        this.sync = sync ?? SingleProcess.Instance;
        Data = DataSource.OpenTraining(spec, byteBudget);
        var transforms = spec.Transforms();
        Transforms = transforms;
        if (!transforms.IsEmpty)
            Data = Data with
            {
                Train = TransformedDataset.Wrap(Data.Train, transforms, options.Seed),
                Test = Data.Test is null ? null : TransformedDataset.Wrap(Data.Test, transforms, options.Seed),
                Validation = Data.Validation is null ? null : TransformedDataset.Wrap(Data.Validation, transforms, options.Seed),
            };
    }

    /// <summary>The run's folder.</summary>
    public RunFolder Folder => folder;

    /// <summary>The run's data (through its byte transforms).</summary>
    public RunData Data { get; }

    /// <summary>The run's byte transforms.</summary>
    public Bytes.ByteTransformPipeline Transforms { get; }

    /// <summary>The recipe (for a resumed run, the checkpoint's).</summary>
    public TrainOptions Options => options;

    /// <summary>
    /// A new run in <paramref name="runDir"/>: checks everything, opens the data, then writes the run's specification
    /// and command (nothing is written when a check fails).
    /// </summary>
    /// <param name="spec">What to train on.</param>
    /// <param name="model">Which network.</param>
    /// <param name="options">The recipe; its seed is the run's.</param>
    /// <param name="runDir">The run folder; it must not hold a run already.</param>
    /// <param name="command">The command line to record in the model file.</param>
    /// <param name="sync">The other ranks of a data-parallel run (only rank 0 writes); null for one process.</param>
    /// <exception cref="ByteFormerException">A folder that holds a run, or anything that cannot work, named.</exception>
    public static TrainingRun Start(RunSpec spec, ModelChoice model, TrainOptions options, string runDir, string command, IGradientSync? sync = null)
    {
        Check(options);
        var folder = new RunFolder(runDir);
        if (folder.HoldsRun)
            throw new ByteFormerException($"{runDir} already holds a run; resume it or choose another run folder");
        // Without a checkpoint, an earlier run's results would be silently replaced by this run's.
        if (folder.Leftovers() is { Count: > 0 } leftovers)
            throw new ByteFormerException($"{runDir} holds an earlier run's {string.Join(" and ", leftovers)} but no checkpoint to resume; choose another run folder or remove them");
        spec = (spec with { Seed = options.Seed, ValidationShare = spec.ValidationShare ?? RunSpec.DefaultValidationShare }).Validate();
        spec = spec with { InitFrom = model.InitFrom is null ? null : Path.GetFullPath(model.InitFrom) };
        var (build, budget) = model.Resolve(spec);
        var run = new TrainingRun(folder, spec, build, budget, options, resume: false, command, sync);
        if (run.sync.IsLeader) folder.WriteStart(spec, command);
        return run;
    }

    /// <summary>
    /// Continues the run in <paramref name="runDir"/> from its checkpoint: the recipe and the network's configuration
    /// come from the checkpoint, the data from the run's specification (or <paramref name="spec"/> for a run folder
    /// that has none).
    /// </summary>
    /// <param name="runDir">The run folder.</param>
    /// <param name="command">The command line, recorded beside the one that started the run.</param>
    /// <param name="spec">The data, for a run folder without a specification.</param>
    /// <param name="sync">The other ranks of a data-parallel run; it must have the checkpoint's world size.</param>
    /// <exception cref="ByteFormerException">No checkpoint, no specification, a checkpoint that cannot be read, or one of
    /// a run of another world size.</exception>
    public static TrainingRun Resume(string runDir, string command, RunSpec? spec = null, IGradientSync? sync = null)
    {
        var folder = new RunFolder(runDir);
        var header = Checkpoint.ReadHeader(folder.CheckpointPath);
        DataParallel.CheckResume(header.Options, sync ?? SingleProcess.Instance, folder.CheckpointPath);   // before the data is read
        spec ??= folder.ReadSpec()
                 ?? throw new ByteFormerException($"{folder.SpecPath} is missing; give the data (and encoding) as for the original run");
        // The model file names the command that started the run.
        var started = folder.ReadCommand();
        var recorded = started is null ? command : $"{started} (resumed: {command})";
        return new TrainingRun(folder, spec.Validate(), _ => header.BuildModel(), header.ByteBudget, header.Options, resume: true, recorded, sync);
    }

    private static void Check(TrainOptions options)
    {
        if (options.Epochs < 1 || options.BatchSize < 1 || options.AccumulationSteps < 1 || options.LengthGroups < 1)
            throw new ByteFormerException("epochs, batch size, accumulation steps and length groups must be at least 1");
        if (options.TimeBudgetMinutes < 0) throw new ByteFormerException("a time budget must be a positive number of minutes");
    }

    /// <summary>
    /// Trains to the last epoch (continuing from the checkpoint when resumed), then writes the model file (and a copy
    /// at <paramref name="alsoSaveTo"/>). A native failure mid-run continues from the last checkpoint, which reaches
    /// the same weights (the run is deterministic per step), up to <see cref="MaxRecoveries"/> times.
    /// </summary>
    /// <param name="observer">Receives progress and messages (the first one describes the run).</param>
    /// <param name="cancel">Cancelling writes a checkpoint at the current step and returns null.</param>
    /// <param name="alsoSaveTo">Another path for the model file, or null.</param>
    /// <returns>The result, or null when cancelled.</returns>
    public TrainingResult? Run(ITrainingObserver observer, CancellationToken cancel = default, string? alsoSaveTo = null)
    {
        if (!sync.IsLeader) observer = DataParallel.Quiet;
        foreach (var note in Data.Notes) observer.OnMessage(note);
        ByteClassifier? model = null;
        Trainer? trainer = null;
        try
        {
            for (var attempt = 0; ; attempt++)
            {
                TorchSharp.torch.manual_seed(options.Seed);                     // same initial weights on every attempt
                model = build(Data.Train.ClassNames);
                trainer = new Trainer(model, Data.Train, Data.Test, options, folder.Path, observer, sync);
                if (resume || attempt > 0) trainer.Resume();
                if (attempt == 0)
                {
                    observer.OnMessage($"Training {Describe(model)} on {Data.Train.Count:N0} samples: {Data.Train.Describe}; " +
                                       $"{options.Epochs} epochs of {trainer.StepsPerEpoch:N0} steps" +
                                       (sync.WorldSize > 1 ? $" on {sync.WorldSize} processes (batch {options.BatchSize} each, {GlobalBatch} a step)" : ""));
                    foreach (var warning in ShortRunWarnings(options, trainer.TotalSteps)) observer.OnMessage(warning);
                }
                try
                {
                    if (!trainer.Run(cancel)) return null;
                    break;
                }
                // Not under MPI: one rank going back to its checkpoint alone would leave the others' collectives unmatched.
                catch (System.Runtime.InteropServices.ExternalException e) when (attempt < MaxRecoveries && folder.HoldsRun && sync.WorldSize == 1)
                {
                    // A native failure mid-run (see Training.AdamW's remarks on TorchSharp's scalars).
                    observer.OnMessage($"libtorch failed ({e.Message.Split('\n')[0].Trim()}); continuing from the last checkpoint ({attempt + 1}/{MaxRecoveries})");
                    trainer.Dispose();
                    model.Dispose();
                    trainer = null;
                    model = null;
                }
            }
            return Finish(trainer, observer, alsoSaveTo);
        }
        finally
        {
            trainer?.Dispose();
            model?.Dispose();
        }
    }

    /// <summary>
    /// The weights to ship: the better of raw and EMA on the validation split (never the test set), EMA on a tie; on
    /// the training files without augmentation when the run holds out none. Says which and why.
    /// </summary>
    private (ByteClassifier Model, bool Ema, string Why) ChooseWeights(Trainer trainer)
    {
        if (trainer.EmaModel is not { } ema) return (trainer.RawModel, false, "saved the raw weights (EMA is off)");
        var (data, name) = Data.Validation is { } validation
            ? (validation, $"the validation split ({validation.Count:N0} samples held out of the training files)")
            : (Data.Train, $"the {Data.Train.Count:N0} training samples (too few to hold any out)");
        var raw = DataParallel.Evaluate(trainer.RawModel, data, sync).Top1;                  // shared by the ranks, one answer for all
        var smoothed = DataParallel.Evaluate(ema, data, sync).Top1;
        var useEma = smoothed >= raw;
        var figures = $"top-1 {smoothed:P2} EMA, {raw:P2} raw on {name}";
        return useEma
            ? (ema, true, $"saved the EMA weights: {figures}")
            : (trainer.RawModel, false, $"saved the raw weights: {figures}");
    }

    /// <summary>Notes on a run too short for its settings (the warm-up and EMA adapt, but the user should know).</summary>
    public static IReadOnlyList<string> ShortRunWarnings(TrainOptions options, long totalSteps)
    {
        var notes = new List<string>();
        var warmup = LearningRateSchedule.WarmupStepsOf(options, totalSteps);
        if (warmup < options.WarmupSteps)
            notes.Add($"warning: the run has {totalSteps:N0} optimizer steps, so the warm-up is {warmup:N0} steps " +
                      $"({options.WarmupMaxShare:P0} of the run) rather than {options.WarmupSteps:N0}");
        if (options.EmaMomentum > 0 && totalSteps * options.EmaMomentum < 3)
            notes.Add($"warning: EMA momentum {options.EmaMomentum:G3} averages over about {1 / options.EmaMomentum:N0} steps, more than the run's {totalSteps:N0}" +
                      (options.EmaWarmup ? "; its warm-up keeps it close to the weights, and the better of raw and EMA is saved" : "; the raw weights will likely be saved"));
        if (totalSteps < 20)
            notes.Add($"warning: {totalSteps:N0} optimizer steps is very short; more epochs, or a smaller --batch-size, will likely do better");
        return notes;
    }

    private TrainingResult Finish(Trainer trainer, ITrainingObserver observer, string? alsoSaveTo)
    {
        var metadata = new Dictionary<string, string>
        {
            [ModelMetadata.Data] = Data.Train.Describe,
            [ModelMetadata.TrainCommand] = command,
            [ModelMetadata.WorldSize] = sync.WorldSize.ToString(CultureInfo.InvariantCulture),
            [ModelMetadata.GlobalBatch] = GlobalBatch.ToString(CultureInfo.InvariantCulture),
        };
        if (!Data.Encodings.IsEmpty) metadata[ModelMetadata.Encoding] = Data.Encodings.ToString();
        if (!Transforms.IsEmpty) metadata[ModelMetadata.ByteTransforms] = Transforms.Spec;
        if (Data.Writers is { } writers) metadata[ModelMetadata.Writers] = string.Join(',', writers);
        if (Data.ImageSize is var (width, height)) metadata[ModelMetadata.ImageSize] = $"{width}x{height}";
        if (initFrom is not null)
        {
            var trained = (trainer.RawModel as ByteFormerModel)?.Config;
            metadata[ModelMetadata.InitFrom] = File.Exists(initFrom)
                ? FineTuning.Describe(initFrom, Data.Train.ClassNames, trained?.Positions, trained?.NTransformerLayers)
                : Path.GetFileName(initFrom);
        }
        var (final, useEma, why) = ChooseWeights(trainer);
        observer.OnMessage(why);
        metadata[ModelMetadata.Weights] = useEma ? "ema" : "raw";
        metadata[ModelMetadata.WeightsChoice] = why;
        double? top1 = null;
        var samples = 0;
        var parts = new List<(string, double)>();
        if (Data.Test is not null)
        {
            // The trainer scored these weights at the last epoch; a run resumed after its last epoch scores them now.
            var result = (useEma ? trainer.FinalModelTestResult : trainer.RawModelTestResult) ?? DataParallel.Evaluate(final, Data.Test, sync);
            (top1, samples) = (result.Top1, result.Samples);
            metadata[ModelMetadata.TestTop1] = Figure(result.Top1);
            if (Data.Test is JoinedDataset joined)
                for (var i = 0; i < joined.PartNames.Count; i++)
                {
                    var (start, count) = joined.PartRange(i);
                    var hits = Enumerable.Range(start, count).Count(j => result.Predicted[j] == joined.Label(j));
                    var part = count == 0 ? 0 : (double)hits / count;
                    metadata[ModelMetadata.TestTop1Prefix + joined.PartNames[i]] = Figure(part);
                    parts.Add((joined.PartNames[i], part));
                }
        }
        if (sync.IsLeader)
        {
            ModelFile.Save(folder.ModelPath, final, Data.Train.ClassNames, metadata);
            if (alsoSaveTo is not null) ModelFile.Save(alsoSaveTo, final, Data.Train.ClassNames, metadata);
        }
        return new TrainingResult(folder.ModelPath, top1, samples, parts, metadata);
    }

    /// <summary>Samples per optimizer step over all ranks.</summary>
    private long GlobalBatch => (long)options.BatchSize * options.AccumulationSteps * sync.WorldSize;

    private static string Figure(double top1) => top1.ToString("F4", CultureInfo.InvariantCulture);

    /// <summary>One line on a network: its size and shape.</summary>
    public static string Describe(ByteClassifier model)
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

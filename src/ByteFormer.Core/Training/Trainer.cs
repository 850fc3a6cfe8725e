using System.Diagnostics;
using System.Text.Json;
using ByteFormer.Plotting;
using ByteFormer.Bytes;
using ByteFormer.Data;
using ByteFormer.Model;
using ByteFormer.Training.Distributed;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ByteFormer.Training;

/// <summary>
/// Trains a ByteFormer with CoreNet's recipe (byteformer.md §4): AdamW without decay on 1-D parameters,
/// linear warm-up then cosine, label smoothing, EMA weights, gradient accumulation and clipping. Writes
/// <c>checkpoint.zip</c> (atomically) at every epoch end and every <see cref="TrainOptions.CheckpointEverySteps"/>,
/// <c>metrics.jsonl</c> and <c>curves.png</c>. Data order, augmentation and dropout are seeded per
/// (epoch, step), so a resumed run reaches the same weights as an unbroken one.
/// </summary>
public sealed class Trainer : IDisposable
{
    private readonly ByteClassifier model;
    private readonly ByteClassifier? ema;
    private readonly IByteDataset train;
    private readonly IByteDataset? test;
    private TrainOptions options;
    private readonly string runDir;
    private readonly ITrainingObserver observer;
    private readonly AdamW optimizer;
    private readonly IGradientSync sync;
    private TrainingState state = new();

    /// <summary>A trainer for <paramref name="model"/>, writing its files into <paramref name="runDir"/>.</summary>
    /// <param name="model">The network to train (its initial weights are the run's).</param>
    /// <param name="train">The training data; its class count must be the model's.</param>
    /// <param name="test">Evaluated at each epoch end when <see cref="TrainOptions.EvaluateEachEpoch"/>; null for none.</param>
    /// <param name="options">The recipe.</param>
    /// <param name="runDir">Where checkpoint.zip, metrics.jsonl and curves.png go (created).</param>
    /// <param name="observer">Receives progress (on the leader rank only).</param>
    /// <param name="sync">The other ranks of a data-parallel run (<see cref="MpiCommunicator"/>); null for one process.
    /// Rank 0's initial weights are broadcast here; each rank takes its share of every epoch and the gradients are
    /// averaged before clipping; only rank 0 writes files.</param>
    public Trainer(ByteClassifier model, IByteDataset train, IByteDataset? test, TrainOptions options, string runDir, ITrainingObserver observer,
        IGradientSync? sync = null)
    {
        this.sync = sync ?? SingleProcess.Instance;
        options = options with { WorldSize = this.sync.WorldSize };
        if (train.ClassNames.Count != model.NClasses)
            throw new ByteFormerException($"the training data has {train.ClassNames.Count} classes, the model {model.NClasses}");
        if (train.Count < options.BatchSize * options.AccumulationSteps * options.WorldSize)
            throw new ByteFormerException($"{train.Count} training samples are fewer than one step ({options.BatchSize} × {options.AccumulationSteps}" +
                                          (options.WorldSize > 1 ? $" × {options.WorldSize} processes)" : ")"));
        this.model = model;
        this.train = train;
        this.test = test;
        this.options = options;
        this.runDir = runDir;
        this.observer = this.sync.IsLeader ? observer : DataParallel.Quiet;
        Directory.CreateDirectory(runDir);
        if (this.sync.WorldSize > 1)
        {
            this.sync.Broadcast([.. model.parameters(), .. model.buffers()]);   // rank 0's initial weights (the EMA's too)
            model.InvalidateCaches();
        }

        var named = model.named_parameters().ToList();
        var decay = named.Where(p => p.parameter.dim() >= 2).Select(p => p.parameter).ToList();
        var noDecay = named.Where(p => p.parameter.dim() < 2).Select(p => p.parameter).ToList();
        optimizer = new AdamW([(decay, options.WeightDecay), (noDecay, 0.0)], options.LearningRate);

        if (options.EmaMomentum > 0)
        {
            ema = model.CreateSibling();
            using var _ = no_grad();
            foreach (var (e, p) in ema.parameters().Zip(model.parameters()))
            {
                e.requires_grad_(false);
                e.copy_(p);
            }
            ema.eval();
        }
    }

    /// <summary>The run's checkpoint.</summary>
    public string CheckpointPath => Path.Combine(runDir, Checkpoint.FileName);
    /// <summary>The run's metrics, one JSON line per epoch.</summary>
    public string MetricsPath => Path.Combine(runDir, MetricsFileName);
    /// <summary>The run's training curves.</summary>
    public string PlotPath => Path.Combine(runDir, PlotFileName);

    /// <summary>The metrics file's name in a run folder.</summary>
    public const string MetricsFileName = "metrics.jsonl";
    /// <summary>The curves plot's name in a run folder.</summary>
    public const string PlotFileName = "curves.png";

    /// <summary>The EMA weights when enabled, else the raw weights (<see cref="Runs.TrainingRun"/> ships the better of
    /// <see cref="RawModel"/> and <see cref="EmaModel"/> on a validation split).</summary>
    public ByteClassifier FinalModel => ema ?? model;

    /// <summary>The trained (raw) weights.</summary>
    public ByteClassifier RawModel => model;

    /// <summary>The EMA weights, or null with EMA off.</summary>
    public ByteClassifier? EmaModel => ema;

    /// <summary>The test evaluation of <see cref="FinalModel"/> at the end of the last epoch this trainer ran, or null
    /// when it ran none (a finished run resumed) or evaluated none.</summary>
    public EvalResult? FinalModelTestResult { get; private set; }

    /// <summary>The test evaluation of the raw weights at the end of the last epoch this trainer ran, or null.</summary>
    public EvalResult? RawModelTestResult { get; private set; }

    /// <summary>Optimizer steps per epoch (a last partial step is dropped); a step takes a batch from every rank.</summary>
    public int StepsPerEpoch => train.Count / (options.BatchSize * options.AccumulationSteps * options.WorldSize);
    /// <summary>Optimizer steps in the whole run.</summary>
    public long TotalSteps => (long)StepsPerEpoch * options.Epochs;

    /// <summary>The other ranks of the run (a single process's no-op when there are none).</summary>
    public IGradientSync Sync => sync;

    /// <summary>Continues from this run folder's checkpoint.</summary>
    /// <exception cref="ByteFormerException">The checkpoint was written by a run of another world size.</exception>
    public TrainingState Resume()
    {
        DataParallel.CheckResume(Checkpoint.ReadHeader(CheckpointPath).Options, sync, CheckpointPath);
        state = Checkpoint.Restore(CheckpointPath, model, ema, optimizer);
        DataParallel.CheckSameStep(state.Step, sync, CheckpointPath);
        // The run goes on with the checkpoint's recipe: a time budget fixed its epoch count (and so its schedule)
        // after the first epoch, which options built afresh (a retry after a native failure) would not know.
        options = Checkpoint.ReadHeader(CheckpointPath).Options;
        observer.OnMessage($"resumed from {CheckpointPath} at epoch {state.Epoch + 1}, step {state.Step:N0}");
        return state;
    }

    /// <summary>Trains to the last epoch. Cancelling saves a checkpoint at the current step and returns.</summary>
    /// <returns>True when all epochs are done; false when cancelled.</returns>
    public bool Run(CancellationToken cancel = default)
    {
        var labels = train.ClassNames;
        var clock = Stopwatch.StartNew();
        var startElapsed = state.ElapsedSeconds;
        int micro = options.BatchSize, accum = options.AccumulationSteps;
        for (var epoch = state.Epoch; epoch < options.Epochs; epoch++)
        {
            var order = DataParallel.Shard(BatchLoader.Shuffle(train.Count, options.Seed, epoch), sync.Rank, sync.WorldSize);
            var epochClock = Stopwatch.StartNew();
            // A run resumed mid-epoch continues the epoch's sums, so its metrics are the unbroken run's.
            var firstStep = state.StepInEpoch;
            var resumedMidEpoch = firstStep > 0;
            // Under mpirun the checkpoint holds the sums over all ranks: rank 0 carries them on, the others start from 0.
            var carried = resumedMidEpoch && sync.IsLeader;
            double lossSum = carried ? state.EpochLossSum : 0;
            long hits = carried ? state.EpochHits : 0, seen = carried ? state.EpochSeen : 0;
            var epochSecondsBefore = resumedMidEpoch ? state.EpochSeconds : 0;
            EpochSums Sums() => new(lossSum, hits, seen, epochSecondsBefore + epochClock.Elapsed.TotalSeconds);
            using (var loader = new BatchLoader(train, order, micro, epoch, firstStep * accum, StepsPerEpoch * accum))
            {
                model.train();
                for (var s = firstStep; s < StepsPerEpoch; s++)
                {
                    if (cancel.IsCancellationRequested)
                    {
                        Save(epoch, s, startElapsed + clock.Elapsed.TotalSeconds, labels, Sums());
                        observer.OnMessage($"stopped at epoch {epoch + 1}, step {state.Step:N0}; checkpoint saved, the run can be resumed");
                        return false;
                    }
                    var lr = LearningRateSchedule.At(options, state.Step, TotalSteps);
                    optimizer.LearningRate = lr;
                    torch.manual_seed(DataParallel.StepSeed(options.Seed, state.Step, sync.Rank));   // dropout/drop-path per step
                    using (var scope = NewDisposeScope())
                    {
                        optimizer.ZeroGrad();
                        for (var a = 0; a < accum; a++)
                        {
                            var batch = loader.Next();
                            foreach (var (group, weight) in LengthGroupsOf(batch))
                            {
                                var tokens = ByteCollator.Collate(group.Samples.Select(x => (ReadOnlyMemory<byte>)x).ToList(), model.MinimumBytes);
                                var target = tensor(group.Labels);
                                var logits = model.call(tokens);
                                var loss = Loss(logits, target, group);
                                var scale = weight / accum;
                                if (scale == 1.0) loss.backward();
                                else
                                {
                                    using var share = scale.ToScalar();                  // explicit: see AdamW's remarks
                                    loss.mul(share).backward();
                                }
                                lossSum += (float)loss.ToDouble() * group.Samples.Length;             // any float dtype (the float64 check)
                                hits += logits.argmax(1).eq(target).sum().item<long>();
                            }
                            seen += micro;
                        }
                        if (sync.WorldSize > 1) sync.AverageGradients([.. model.parameters()]);
                        if (options.GradClip > 0) nn.utils.clip_grad_norm_(model.parameters(), options.GradClip);
                        optimizer.Step();
                        UpdateEma(LearningRateSchedule.EmaMomentumAt(options, state.Step));
                    }
                    state = state with { Step = state.Step + 1, StepInEpoch = s + 1 };
                    observer.OnStep(new StepProgress(epoch, options.Epochs, state.Step, TotalSteps, s + 1, StepsPerEpoch,
                        lossSum / Math.Max(1, seen), (double)hits / Math.Max(1, seen), seen * sync.WorldSize / Sums().Seconds, lr));
                    if (options.CheckpointEverySteps > 0 && state.Step % options.CheckpointEverySteps == 0 && s + 1 < StepsPerEpoch)
                        Save(epoch, s + 1, startElapsed + clock.Elapsed.TotalSeconds, labels, OverRanks(Sums()));
                }
            }
            var trainSeconds = Sums().Seconds;
            (lossSum, hits, seen) = DataParallel.SumOverRanks(sync, lossSum, hits, seen);
            EvalResult? raw = null, smoothed = null;
            if (test is not null && options.EvaluateEachEpoch)
            {
                try
                {
                    raw = DataParallel.Evaluate(model, test, sync, cancel);
                    if (ema is not null) smoothed = DataParallel.Evaluate(ema, test, sync, cancel);
                }
                catch (OperationCanceledException)
                {
                    // Stopped during the epoch's evaluation: the epoch's steps are kept; a resume evaluates again.
                    Save(epoch, StepsPerEpoch, startElapsed + clock.Elapsed.TotalSeconds, labels, new EpochSums(lossSum, hits, seen, trainSeconds));
                    observer.OnMessage($"stopped while evaluating epoch {epoch + 1}; checkpoint saved, the run can be resumed");
                    return false;
                }
                FinalModelTestResult = smoothed ?? raw;
                RawModelTestResult = raw;
            }
            var metrics = new EpochMetrics(epoch + 1, state.Step, LearningRateSchedule.At(options, state.Step, TotalSteps),
                lossSum / Math.Max(1, seen), (double)hits / Math.Max(1, seen), seen / trainSeconds, trainSeconds,
                startElapsed + clock.Elapsed.TotalSeconds, raw?.Top1, smoothed?.Top1, raw?.Loss, raw?.SamplesPerS);
            state = state with { History = [.. state.History.Where(h => h.Epoch != metrics.Epoch), metrics] };
            if (epoch == 0 && options.TimeBudgetMinutes > 0) FitEpochsToBudget(metrics.ElapsedSeconds);
            Save(epoch + 1, 0, startElapsed + clock.Elapsed.TotalSeconds, labels);
            WriteMetrics();
            observer.OnEpoch(metrics);
        }
        return true;
    }

    /// <summary>Sets the epoch count from the first epoch's pace; the checkpoint keeps the decision for --resume.</summary>
    private void FitEpochsToBudget(double firstEpochSeconds)
    {
        firstEpochSeconds = DataParallel.LeadersValue(sync, firstEpochSeconds);          // one decision for every rank
        var fit = (int)Math.Floor(options.TimeBudgetMinutes * 60 / Math.Max(1e-3, firstEpochSeconds));
        var epochs = Math.Clamp(fit, 1, options.Epochs);
        observer.OnMessage($"time budget {options.TimeBudgetMinutes:F0} min: the first epoch took {firstEpochSeconds:F0} s, so the run has {epochs} epochs" +
                           (epochs == options.Epochs ? $" (the most the epoch count allows)" : ""));
        options = options with { Epochs = epochs, TimeBudgetMinutes = 0 };
    }

    /// <summary>Frees the optimizer state and the EMA copy (not the model, which the caller owns).</summary>
    public void Dispose()
    {
        optimizer.Dispose();
        ema?.Dispose();
    }

    /// <summary>
    /// The micro-batch as <see cref="TrainOptions.LengthGroups"/> groups of similar length, each with its share of the
    /// batch (the weight of its mean loss); the batch itself, weight 1, when grouping is off or padding changes logits.
    /// </summary>
    private IEnumerable<(ByteBatchData Group, double Weight)> LengthGroupsOf(ByteBatchData batch)
    {
        var groups = Math.Min(options.LengthGroups, batch.Samples.Length);
        if (groups <= 1 || model.PaddingChangesLogits)
        {
            yield return (batch, 1.0);
            yield break;
        }
        var order = Enumerable.Range(0, batch.Samples.Length).OrderBy(i => batch.Samples[i].Length).ThenBy(i => i).ToArray();
        var size = (order.Length + groups - 1) / groups;
        foreach (var chunk in order.Chunk(size))
        {
            T[]? Pick<T>(T[]? all) => all is null ? null : chunk.Select(i => all[i]).ToArray();
            yield return (new ByteBatchData(chunk.Select(i => batch.Samples[i]).ToArray(), Pick(batch.Labels)!,
                Pick(batch.PartnerLabels), Pick(batch.OwnWeights)), (double)chunk.Length / order.Length);
        }
    }

    /// <summary>
    /// Cross-entropy with label smoothing; with mixup, against the soft target λ·onehot(y) + (1−λ)·onehot(y'),
    /// which (the loss being linear in the target) is λ·CE(y) + (1−λ)·CE(y') per sample.
    /// </summary>
    private Tensor Loss(Tensor logits, Tensor target, ByteBatchData batch)
    {
        if (batch.PartnerLabels is null)
            return nn.functional.cross_entropy(logits, target, label_smoothing: options.LabelSmoothing);
        var own = nn.functional.cross_entropy(logits, target, reduction: nn.Reduction.None, label_smoothing: options.LabelSmoothing);
        var partner = nn.functional.cross_entropy(logits, tensor(batch.PartnerLabels), reduction: nn.Reduction.None, label_smoothing: options.LabelSmoothing);
        var lambda = tensor(batch.OwnWeights!);
        var rest = ones_like(lambda) - lambda;
        return (lambda * own).Plus(rest * partner).mean();
    }

    private void UpdateEma(double momentum)
    {
        if (ema is null) return;
        using var _ = no_grad();
        using var keep = (1 - momentum).ToScalar();                             // explicit: see AdamW's remarks
        using var take = momentum.ToScalar();
        foreach (var (e, p) in ema.parameters().Zip(model.parameters()))
            e.mul_(keep).add_(p, alpha: take);
        ema.InvalidateCaches();
    }

    /// <summary>An epoch in progress: its summed loss, hits, samples and training seconds.</summary>
    private readonly record struct EpochSums(double LossSum, long Hits, long Seen, double Seconds);

    /// <summary>The sums of every rank (collective: every rank calls it at the same step); the seconds are this rank's.</summary>
    private EpochSums OverRanks(EpochSums local)
    {
        var (lossSum, hits, seen) = DataParallel.SumOverRanks(sync, local.LossSum, local.Hits, local.Seen);
        return local with { LossSum = lossSum, Hits = hits, Seen = seen };
    }

    private void Save(int epoch, int stepInEpoch, double elapsed, IReadOnlyList<string> labels, EpochSums sums = default)
    {
        state = state with
        {
            Epoch = epoch, StepInEpoch = stepInEpoch, ElapsedSeconds = elapsed,
            EpochLossSum = sums.LossSum, EpochHits = sums.Hits, EpochSeen = sums.Seen, EpochSeconds = sums.Seconds,
        };
        if (sync.IsLeader) Checkpoint.Save(CheckpointPath, state, options, model, ema, optimizer, labels);
    }

    /// <summary>Rewrites metrics.jsonl and the curves plot from the run's history (both atomically).</summary>
    private void WriteMetrics()
    {
        if (!sync.IsLeader) return;
        var lines = state.History.Select(h => JsonSerializer.Serialize(h, new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower }));
        AtomicFile.Write(MetricsPath, s =>
        {
            using var w = new StreamWriter(s, leaveOpen: true);
            foreach (var line in lines) w.WriteLine(line);
        });
        try
        {
            Plots.TrainingCurves(state.History, PlotPath);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            observer.OnMessage($"could not draw {PlotPath}: {e.Message}");
        }
    }
}

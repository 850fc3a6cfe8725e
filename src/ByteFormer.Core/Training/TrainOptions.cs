namespace ByteFormer.Training;

/// <summary>Everything that decides a training run besides the model and the data (byteformer.md §4 recipe).</summary>
public sealed record TrainOptions
{
    /// <summary>Passes over the training set; a <see cref="TimeBudgetMinutes"/> may lower it.</summary>
    public int Epochs { get; init; } = 10;
    /// <summary>Samples per micro-batch; an optimizer step sees <see cref="BatchSize"/> × <see cref="AccumulationSteps"/>.</summary>
    public int BatchSize { get; init; } = 32;
    /// <summary>Micro-batches per optimizer step (gradient accumulation).</summary>
    public int AccumulationSteps { get; init; } = 1;
    /// <summary>Peak learning rate, reached at the end of the warm-up.</summary>
    public double LearningRate { get; init; } = 1e-3;
    /// <summary>The floor the cosine decay reaches at the end of the run.</summary>
    public double MinLearningRate { get; init; } = 2e-5;
    /// <summary>Learning rate of the first step, where the linear warm-up starts.</summary>
    public double WarmupInitLearningRate { get; init; } = 1e-6;
    /// <summary>Linear warm-up length in optimizer steps, at most <see cref="WarmupMaxShare"/> of the run
    /// (<see cref="LearningRateSchedule.WarmupStepsOf"/>).</summary>
    public int WarmupSteps { get; init; } = 500;
    /// <summary>
    /// The largest share of the run's steps the warm-up may take (1: no cap). CoreNet's 500 steps suit a run of
    /// thousands; a run of 14 steps on a small folder would never leave its warm-up, so the warm-up shrinks with the run.
    /// </summary>
    public double WarmupMaxShare { get; init; } = 0.1;
    /// <summary>AdamW weight decay, applied to tensors of 2+ dimensions only (CoreNet's no_decay_bn_filter_bias).</summary>
    public double WeightDecay { get; init; } = 0.05;
    /// <summary>Label smoothing of the cross-entropy loss; 0 turns it off.</summary>
    public double LabelSmoothing { get; init; } = 0.1;
    /// <summary>EMA momentum m: ema ← (1 − m)·ema + m·w after every optimizer step; 0 turns EMA off.</summary>
    public double EmaMomentum { get; init; } = 1e-3;
    /// <summary>
    /// Warm the EMA up as timm's ModelEma does: step t uses the momentum max(m, 9 / (10 + t)), so the average follows
    /// the weights closely at first (a short run's EMA is not stuck near the initial weights) and is CoreNet's
    /// m-average after about 9 / m steps (9,000 at 1e-3), long before the end of a run of that length.
    /// </summary>
    public bool EmaWarmup { get; init; } = true;
    /// <summary>Gradient-norm clipping; 0 turns it off.</summary>
    public double GradClip { get; init; } = 1.0;
    /// <summary>Decides each epoch's sample order and each step's dropout and drop-path draws.</summary>
    public int Seed { get; init; }
    /// <summary>Also checkpoint every this many optimizer steps (0: only at epoch ends).</summary>
    public int CheckpointEverySteps { get; init; }
    /// <summary>
    /// Wall-clock budget in minutes (0: none). After the first epoch (training and evaluation), the run keeps as
    /// many epochs as fit at that epoch's pace, at most <see cref="Epochs"/>, and the schedule's length follows.
    /// The first epoch's rates do not depend on it while it lies inside the warm-up.
    /// </summary>
    public double TimeBudgetMinutes { get; init; }

    /// <summary>Evaluate on the test set at each epoch end.</summary>
    public bool EvaluateEachEpoch { get; init; } = true;

    /// <summary>
    /// Splits each micro-batch into this many groups of similar length, each its own forward pass, so that short files
    /// are not padded to the longest of the batch (1: one pass). The loss is each group's mean weighted by its share of
    /// the batch, so the gradient is the whole batch's; it needs a model whose logits padding does not change (masked
    /// semantics). Worth it when file lengths vary widely (files from many writers, with metadata).
    /// </summary>
    public int LengthGroups { get; init; } = 1;

    /// <summary>
    /// Processes the run trains on (data-parallel under mpirun; <see cref="BatchSize"/> is per process, as in DDP).
    /// The trainer sets it; a checkpoint records it, and resuming with another world size is refused.
    /// </summary>
    public int WorldSize { get; init; } = 1;
}

/// <summary>Metrics of one finished epoch (one line of metrics.jsonl).</summary>
/// <param name="Epoch">The epoch, counted from 1.</param>
/// <param name="Step">Optimizer steps done by the end of the epoch, over the whole run.</param>
/// <param name="LearningRate">The schedule's rate for the next step.</param>
/// <param name="TrainLoss">Mean training loss over the epoch's samples (with label smoothing and mixup).</param>
/// <param name="TrainAccuracy">Share of the epoch's training samples whose top class is their label.</param>
/// <param name="TrainSamplesPerS">Training samples per second of <paramref name="EpochSeconds"/>.</param>
/// <param name="EpochSeconds">Wall-clock seconds of the epoch's training, without evaluation.</param>
/// <param name="ElapsedSeconds">Wall-clock seconds of the run so far, resumed sessions included.</param>
/// <param name="TestAccuracy">Top-1 on the test set of the raw weights; null when not evaluated.</param>
/// <param name="EmaTestAccuracy">Top-1 on the test set of the EMA weights; null without EMA or evaluation.</param>
/// <param name="TestLoss">Mean cross-entropy on the test set of the raw weights; null when not evaluated.</param>
/// <param name="EvalSamplesPerS">Evaluation speed of the raw weights, in samples per second; null when not evaluated.</param>
public sealed record EpochMetrics(
    int Epoch, long Step, double LearningRate, double TrainLoss, double TrainAccuracy, double TrainSamplesPerS,
    double EpochSeconds, double ElapsedSeconds, double? TestAccuracy, double? EmaTestAccuracy, double? TestLoss, double? EvalSamplesPerS);

/// <summary>Live figures for a progress display.</summary>
/// <param name="Epoch">The current epoch, counted from 0.</param>
/// <param name="Epochs">Epochs in the run.</param>
/// <param name="Step">Optimizer steps done, over the whole run.</param>
/// <param name="TotalSteps">Optimizer steps in the run.</param>
/// <param name="StepInEpoch">Steps done in this epoch, counted from 1.</param>
/// <param name="StepsPerEpoch">Optimizer steps per epoch.</param>
/// <param name="Loss">Mean training loss of this epoch so far.</param>
/// <param name="Accuracy">Training top-1 of this epoch so far.</param>
/// <param name="SamplesPerS">Training samples per second in this epoch so far.</param>
/// <param name="LearningRate">The rate the step used.</param>
public sealed record StepProgress(int Epoch, int Epochs, long Step, long TotalSteps, int StepInEpoch, int StepsPerEpoch,
    double Loss, double Accuracy, double SamplesPerS, double LearningRate);

/// <summary>Receives progress from <see cref="Trainer"/>.</summary>
public interface ITrainingObserver
{
    /// <summary>Called after every optimizer step.</summary>
    void OnStep(StepProgress progress);
    /// <summary>Called at each epoch end, after evaluation and the checkpoint.</summary>
    void OnEpoch(EpochMetrics metrics);
    /// <summary>A one-line note for the user (resumed, stopped, the epochs a time budget allows, a failed plot).</summary>
    void OnMessage(string message);
}

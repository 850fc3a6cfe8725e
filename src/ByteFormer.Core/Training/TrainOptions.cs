namespace ByteFormer.Training;

/// <summary>Everything that decides a training run besides the model and the data (byteformer.md §4 recipe).</summary>
public sealed record TrainOptions
{
    public int Epochs { get; init; } = 10;
    public int BatchSize { get; init; } = 32;
    /// <summary>Micro-batches per optimizer step (gradient accumulation).</summary>
    public int AccumulationSteps { get; init; } = 1;
    public double LearningRate { get; init; } = 1e-3;
    public double MinLearningRate { get; init; } = 2e-5;
    public double WarmupInitLearningRate { get; init; } = 1e-6;
    /// <summary>Linear warm-up length in optimizer steps.</summary>
    public int WarmupSteps { get; init; } = 500;
    /// <summary>AdamW weight decay, applied to tensors of 2+ dimensions only (CoreNet's no_decay_bn_filter_bias).</summary>
    public double WeightDecay { get; init; } = 0.05;
    public double LabelSmoothing { get; init; } = 0.1;
    /// <summary>EMA momentum m: ema ← (1 − m)·ema + m·w after every optimizer step; 0 turns EMA off.</summary>
    public double EmaMomentum { get; init; } = 1e-3;
    /// <summary>Gradient-norm clipping; 0 turns it off.</summary>
    public double GradClip { get; init; } = 1.0;
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
}

/// <summary>Metrics of one finished epoch (one line of metrics.jsonl).</summary>
public sealed record EpochMetrics(
    int Epoch, long Step, double LearningRate, double TrainLoss, double TrainAccuracy, double TrainSamplesPerS,
    double EpochSeconds, double ElapsedSeconds, double? TestAccuracy, double? EmaTestAccuracy, double? TestLoss, double? EvalSamplesPerS);

/// <summary>Live figures for a progress display.</summary>
public sealed record StepProgress(int Epoch, int Epochs, long Step, long TotalSteps, int StepInEpoch, int StepsPerEpoch,
    double Loss, double Accuracy, double SamplesPerS, double LearningRate);

/// <summary>Receives progress from <see cref="Trainer"/>.</summary>
public interface ITrainingObserver
{
    void OnStep(StepProgress progress);
    void OnEpoch(EpochMetrics metrics);
    void OnMessage(string message);
}

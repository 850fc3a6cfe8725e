namespace ByteFormer.Training;

/// <summary>Linear warm-up from the init rate to the peak, then cosine to the minimum (per optimizer step).</summary>
public static class LearningRateSchedule
{
    /// <summary>The learning rate of optimizer step <paramref name="step"/> (from 0) in a run of <paramref name="totalSteps"/> steps under <paramref name="o"/>'s rates and warm-up.</summary>
    public static double At(TrainOptions o, long step, long totalSteps)
    {
        var warmup = WarmupStepsOf(o, totalSteps);
        if (step < warmup)
            return o.WarmupInitLearningRate + (o.LearningRate - o.WarmupInitLearningRate) * step / Math.Max(1, warmup);
        var progress = (double)(step - warmup) / Math.Max(1, totalSteps - warmup);
        progress = Math.Clamp(progress, 0, 1);
        return o.MinLearningRate + 0.5 * (o.LearningRate - o.MinLearningRate) * (1 + Math.Cos(Math.PI * progress));
    }

    /// <summary>The warm-up a run of <paramref name="totalSteps"/> steps gets: <see cref="TrainOptions.WarmupSteps"/>, at most
    /// <see cref="TrainOptions.WarmupMaxShare"/> of the run (and at least one step when there is a warm-up at all).</summary>
    public static long WarmupStepsOf(TrainOptions o, long totalSteps)
    {
        if (o.WarmupSteps <= 0) return 0;
        if (o.WarmupMaxShare >= 1 || totalSteps <= 0) return o.WarmupSteps;
        var cap = Math.Max(1, (long)Math.Floor(o.WarmupMaxShare * totalSteps));
        return Math.Min(o.WarmupSteps, cap);
    }

    /// <summary>The EMA momentum of optimizer step <paramref name="step"/> (from 0): <see cref="TrainOptions.EmaMomentum"/>,
    /// or with <see cref="TrainOptions.EmaWarmup"/> max(m, 9 / (10 + step)).</summary>
    public static double EmaMomentumAt(TrainOptions o, long step) =>
        o.EmaWarmup ? Math.Max(o.EmaMomentum, 9.0 / (10.0 + step)) : o.EmaMomentum;
}

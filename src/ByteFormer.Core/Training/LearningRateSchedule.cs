namespace ByteFormer.Training;

/// <summary>Linear warm-up from the init rate to the peak, then cosine to the minimum (per optimizer step).</summary>
public static class LearningRateSchedule
{
    /// <summary>The learning rate of optimizer step <paramref name="step"/> (from 0) in a run of <paramref name="totalSteps"/> steps under <paramref name="o"/>'s rates and warm-up.</summary>
    public static double At(TrainOptions o, long step, long totalSteps)
    {
        if (step < o.WarmupSteps)
            return o.WarmupInitLearningRate + (o.LearningRate - o.WarmupInitLearningRate) * step / Math.Max(1, o.WarmupSteps);
        var progress = (double)(step - o.WarmupSteps) / Math.Max(1, totalSteps - o.WarmupSteps);
        progress = Math.Clamp(progress, 0, 1);
        return o.MinLearningRate + 0.5 * (o.LearningRate - o.MinLearningRate) * (1 + Math.Cos(Math.PI * progress));
    }
}

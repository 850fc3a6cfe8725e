using System.Diagnostics;
using ByteFormer.Training;

namespace ByteFormer.Cli.Output;

/// <summary>Progress as log lines (one every 30 s and per epoch), readable in a terminal and in nohup logs.</summary>
internal sealed class ConsoleTrainingObserver(CliIO io) : ITrainingObserver
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

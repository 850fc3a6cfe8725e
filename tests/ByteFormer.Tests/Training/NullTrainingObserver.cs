using ByteFormer.Training;

namespace ByteFormer.Tests.Training;

/// <summary>An observer that ignores progress, for tests that only look at a run's results.</summary>
internal sealed class NullTrainingObserver : ITrainingObserver
{
    public void OnStep(StepProgress progress) { }
    public void OnEpoch(EpochMetrics metrics) { }
    public void OnMessage(string message) { }
}

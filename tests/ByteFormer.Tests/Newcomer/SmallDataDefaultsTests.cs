using ByteFormer.Inference;
using ByteFormer.Tests.Cli;
using ByteFormer.Training;

namespace ByteFormer.Tests.Newcomer;

/// <summary>Training defaults that work on a newcomer's small folder, and the weights they save.</summary>
[Collection(nameof(ByteFormer.Tests.Training.TrainingTests))]
public class SmallDataDefaultsTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [Fact]
    public void Three_kinds_of_files_train_to_95_percent_with_the_defaults_in_two_epochs()
    {
        using var dir = new TempDir();
        ThreeKindsFolder.Create(dir.File("mydata"));
        var r = CliRunner.Run("train", "--data", dir.File("mydata"), "--preset", "nano", "--epochs", "2", "--run-dir", dir.File("run"));
        Assert.True(r.ExitCode == 0, r.Err + r.Out);
        using var model = ModelFile.Load(dir.File("run/model.safetensors"));
        var top1 = double.Parse(model.Metadata[ModelMetadata.TestTop1], System.Globalization.CultureInfo.InvariantCulture);
        output.WriteLine($"three kinds, 240 training files, nano, --epochs 2, defaults: test top-1 {top1:P2}; {model.Metadata[ModelMetadata.WeightsChoice]}");
        Assert.True(top1 >= 0.95, $"test top-1 {top1:P2}\n{r.Out}\n{r.Err}");
        // The output says which weights were saved and why, and the file records it.
        Assert.Contains("saved the", r.Out + r.Err);
        Assert.Contains(model.Metadata[ModelMetadata.Weights], new[] { "raw", "ema" });
        Assert.Contains("validation split", model.Metadata[ModelMetadata.WeightsChoice]);
        // A short run is told it is short: its warm-up is a share of the run.
        Assert.Contains("warm-up is", r.Out + r.Err);
    }

    [Fact]
    public void Warm_up_shrinks_with_a_short_run_and_stays_for_a_long_one()
    {
        var o = new TrainOptions();
        Assert.Equal(1, LearningRateSchedule.WarmupStepsOf(o, 14));
        Assert.Equal(10, LearningRateSchedule.WarmupStepsOf(o, 100));
        Assert.Equal(500, LearningRateSchedule.WarmupStepsOf(o, 15_000));
        Assert.Equal(500, LearningRateSchedule.WarmupStepsOf(o with { WarmupMaxShare = 1 }, 14));
        // The 14-step run reaches its peak rate at its second step, not never.
        Assert.Equal(o.LearningRate, LearningRateSchedule.At(o, 1, 14), 9);
    }

    [Fact]
    public void Ema_warms_up_then_is_corenets_average()
    {
        var o = new TrainOptions();
        Assert.Equal(0.9, LearningRateSchedule.EmaMomentumAt(o, 0), 9);
        Assert.True(LearningRateSchedule.EmaMomentumAt(o, 27) > 0.2);
        Assert.Equal(1e-3, LearningRateSchedule.EmaMomentumAt(o, 20_000), 12);
        Assert.Equal(1e-3, LearningRateSchedule.EmaMomentumAt(o with { EmaWarmup = false }, 0), 12);
    }
}

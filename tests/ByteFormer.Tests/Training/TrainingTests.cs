using ByteFormer.Codecs;
using ByteFormer.Data;
using ByteFormer.Model;
using ByteFormer.Tests.Cli;
using ByteFormer.Training;
using static TorchSharp.torch;

namespace ByteFormer.Tests.Training;

/// <summary>Runs alone: torch's random generator is process-wide, and other tests drawing from it while a
/// run draws its dropout masks would make two runs differ for reasons that are not the trainer's.</summary>
[CollectionDefinition(nameof(TrainingTests), DisableParallelization = true)]
public class SerialCollection;

[Collection(nameof(TrainingTests))]
public class TrainingTests
{
    private sealed class Silent : ITrainingObserver
    {
        public int Steps;
        public Action<StepProgress>? OnEachStep;
        public void OnStep(StepProgress progress) { Steps++; OnEachStep?.Invoke(progress); }
        public void OnEpoch(EpochMetrics metrics) { }
        public void OnMessage(string message) { }
    }

    private static (IByteDataset Train, IByteDataset Test) Data()
    {
        var train = FashionMnist.Load("train", limit: 96);
        var test = FashionMnist.Load("test", limit: 32);
        var enc = ImageEncoding.Parse("tiff");
        return (new EncodedImageDataset(train, enc, new ImageAugmentation(), 1, "train"), new EncodedImageDataset(test, enc, null, 1, "test"));
    }

    private static ByteFormerConfig Tiny => ByteFormerConfig.Preset("nano") with { MaxNumTokens = 256, Dropout = 0.1 };

    private static TrainOptions Options => new()
    {
        Epochs = 2, BatchSize = 16, AccumulationSteps = 2, WarmupSteps = 2, CheckpointEverySteps = 1, Seed = 7, EmaMomentum = 0.1,
    };

    private static float[] Weights(ByteClassifier m) => m.parameters().SelectMany(p => p.data<float>().ToArray()).ToArray();

    [Fact]
    public void A_stopped_and_resumed_run_reaches_the_same_weights_as_an_unbroken_run()
    {
        var (train, test) = Data();
        using var dirA = new TempDir();
        using var dirB = new TempDir();

        manual_seed(1);
        using var a = new ByteFormerModel(Tiny);
        var ta = new Trainer(a, train, test, Options, dirA.Path, new Silent());
        Assert.True(ta.Run());

        // Run B is stopped in its first epoch, after 2 of 3 steps, as by Ctrl+C (a checkpoint is written) ...
        manual_seed(1);
        using var b = new ByteFormerModel(Tiny);
        using var cancel = new CancellationTokenSource();
        var observer = new Silent { OnEachStep = p => { if (p.Step == 2) cancel.Cancel(); } };
        Assert.False(new Trainer(b, train, test, Options, dirB.Path, observer).Run(cancel.Token));

        Assert.Equal(Weights(a).Length, Weights(b).Length);

        // ... and continued by a new process: fresh model (other initial weights), state from the checkpoint.
        manual_seed(99);
        using var c = new ByteFormerModel(Tiny);
        var tc = new Trainer(c, train, test, Options, dirB.Path, new Silent());
        Assert.Equal(2, tc.Resume().Step);
        Assert.True(tc.Run());

        Assert.Equal(Weights(a), Weights(c));
        Assert.Equal(Weights(ta.FinalModel), Weights(tc.FinalModel));
        Assert.Equal(2, File.ReadAllLines(ta.MetricsPath).Length);
        // The metrics too, the resumed epoch's training loss and accuracy included (all but the clock's figures).
        Assert.Equal(MetricsWithoutTimes(ta.MetricsPath), MetricsWithoutTimes(tc.MetricsPath));
        Assert.True(File.Exists(tc.PlotPath));
    }

    /// <summary>metrics.jsonl without the figures that depend on the clock.</summary>
    internal static string[] MetricsWithoutTimes(string path) => File.ReadAllLines(path).Select(line =>
    {
        var node = System.Text.Json.Nodes.JsonNode.Parse(line)!.AsObject();
        foreach (var timed in new[] { "train_samples_per_s", "epoch_seconds", "elapsed_seconds", "eval_samples_per_s" }) node.Remove(timed);
        return node.ToJsonString();
    }).ToArray();

    [Fact]
    public void A_run_stopped_while_evaluating_keeps_its_epoch_and_resumes_to_the_same_weights_and_metrics()
    {
        var (train, test) = Data();
        using var dirA = new TempDir();
        using var dirB = new TempDir();
        var options = Options with { CheckpointEverySteps = 0 };
        manual_seed(1);
        using var a = new ByteFormerModel(Tiny);
        var ta = new Trainer(a, train, test, options, dirA.Path, new Silent());
        Assert.True(ta.Run());

        // Stopped after the first epoch's last step: the stop lands in the evaluation, which gives up at once.
        manual_seed(1);
        using var b = new ByteFormerModel(Tiny);
        using var cancel = new CancellationTokenSource();
        Trainer? tb = null;
        var observer = new Silent { OnEachStep = p => { if (p.StepInEpoch == p.StepsPerEpoch && p.Epoch == 0) cancel.Cancel(); } };
        tb = new Trainer(b, train, test, options, dirB.Path, observer);
        Assert.False(tb.Run(cancel.Token));
        Assert.False(File.Exists(tb.MetricsPath));                                 // the epoch was not finished ...
        manual_seed(99);
        using var c = new ByteFormerModel(Tiny);
        var tc = new Trainer(c, train, test, options, dirB.Path, new Silent());
        Assert.Equal(tb.StepsPerEpoch, tc.Resume().Step);                           // ... but its steps were kept
        Assert.True(tc.Run());
        Assert.Equal(Weights(a), Weights(c));
        Assert.Equal(MetricsWithoutTimes(ta.MetricsPath), MetricsWithoutTimes(tc.MetricsPath));
    }

    [Fact]
    public void A_time_budget_keeps_the_epochs_that_fit_and_the_checkpoint_remembers_them()
    {
        var (train, test) = Data();
        using var dir = new TempDir();
        using var wide = new TempDir();
        manual_seed(1);
        using var a = new ByteFormerModel(Tiny);
        var tight = new Trainer(a, train, test, Options with { Epochs = 5, TimeBudgetMinutes = 1e-6 }, dir.Path, new Silent());
        Assert.True(tight.Run());
        Assert.Single(File.ReadAllLines(tight.MetricsPath));                      // the first epoch already spent it
        var header = Checkpoint.ReadHeader(tight.CheckpointPath);
        Assert.Equal(1, header.Options.Epochs);
        // A trainer built afresh with the run's first options (as the retry after a native failure builds one) takes
        // the checkpoint's epoch count on resuming, so the schedule is the run's, not one of 5 epochs.
        using var again = new ByteFormerModel(Tiny);
        using var retried = new Trainer(again, train, test, Options with { Epochs = 5, TimeBudgetMinutes = 1e-6 }, dir.Path, new Silent());
        retried.Resume();
        Assert.Equal(retried.StepsPerEpoch, retried.TotalSteps);

        manual_seed(1);
        using var b = new ByteFormerModel(Tiny);
        var roomy = new Trainer(b, train, test, Options with { Epochs = 3, TimeBudgetMinutes = 600 }, wide.Path, new Silent());
        Assert.True(roomy.Run());
        Assert.Equal(3, File.ReadAllLines(roomy.MetricsPath).Length);             // never more than --epochs
    }

    [Fact]
    public void Training_lowers_the_loss()
    {
        var (train, _) = Data();
        using var dir = new TempDir();
        manual_seed(2);
        using var model = new ByteFormerModel(Tiny with { Dropout = 0 });
        var options = Options with { Epochs = 6, CheckpointEverySteps = 0, EvaluateEachEpoch = false, LearningRate = 3e-3, AccumulationSteps = 1 };
        new Trainer(model, train, null, options, dir.Path, new Silent()).Run();
        var history = System.Text.Json.JsonDocument.Parse("[" + string.Join(",", File.ReadAllLines(Path.Combine(dir.Path, "metrics.jsonl"))) + "]");
        var losses = history.RootElement.EnumerateArray().Select(e => e.GetProperty("train_loss").GetDouble()).ToArray();
        Assert.True(losses[^1] < losses[0] - 0.1, $"loss went {losses[0]:F3} -> {losses[^1]:F3}");
    }

    [Fact]
    public void Learning_rate_warms_up_then_follows_a_cosine()
    {
        var o = new TrainOptions { LearningRate = 1e-3, MinLearningRate = 1e-5, WarmupInitLearningRate = 1e-6, WarmupSteps = 10 };
        Assert.Equal(1e-6, LearningRateSchedule.At(o, 0, 110), 12);
        Assert.Equal(1e-3, LearningRateSchedule.At(o, 10, 110), 12);
        Assert.Equal((1e-3 + 1e-5) / 2, LearningRateSchedule.At(o, 60, 110), 12);
        Assert.Equal(1e-5, LearningRateSchedule.At(o, 110, 110), 12);
    }

    [Fact]
    public void A_failed_write_leaves_the_previous_file_whole()
    {
        using var dir = new TempDir();
        var path = dir.File("checkpoint.zip");
        File.WriteAllText(path, "previous");
        var e = Assert.Throws<ByteFormerException>(() => AtomicFile.Write(path, s =>
        {
            s.Write(new byte[100]);
            throw new IOException("No space left on device");
        }));
        Assert.Contains("No space left on device", e.Message);
        Assert.Equal("previous", File.ReadAllText(path));
        Assert.Equal(["checkpoint.zip"], Directory.GetFiles(dir.Path).Select(Path.GetFileName));
    }

}

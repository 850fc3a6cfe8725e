using ByteFormer.Codecs.Audio;
using ByteFormer.Data.Speech;
using ByteFormer.Model;
using ByteFormer.Tests.Cli;
using ByteFormer.Tests.Training;
using ByteFormer.Training;

namespace ByteFormer.Tests.Audio;

public class SpeechCommandsDatasetTests
{
    /// <summary>A Speech Commands layout of tones: 11 words (10 commands + "bed") × 4 speakers, speaker 3 in the test list.</summary>
    internal static string MakeSet(TempDir dir)
    {
        var root = dir.File("sc");
        var words = SpeechCommandsWords.Commands.Append("bed").ToList();
        var test = new List<string>();
        for (var w = 0; w < words.Count; w++)
        {
            Directory.CreateDirectory(Path.Combine(root, words[w]));
            for (var s = 0; s < 4; s++)
            {
                var samples = Enumerable.Range(0, 16000).Select(i => (float)(0.3 * Math.Sin(2 * Math.PI * (200 + 50 * w) * i / 16000.0))).ToArray();
                var rel = $"{words[w]}/spk{s}_nohash_0.wav";
                File.WriteAllBytes(Path.Combine(root, rel), WavCodec.Encode(new AudioClip(samples, 16000), WavSampleFormat.Int16));
                if (s == 3) test.Add(rel);
            }
        }
        File.WriteAllLines(Path.Combine(root, "testing_list.txt"), test);
        File.WriteAllLines(Path.Combine(root, "validation_list.txt"), ["yes/spk2_nohash_0.wav"]);
        Directory.CreateDirectory(Path.Combine(root, SpeechCommandsWords.BackgroundNoise));
        var noise = Enumerable.Range(0, 40000).Select(i => (float)(0.1 * Math.Sin(i * 0.37))).ToArray();
        File.WriteAllBytes(Path.Combine(root, SpeechCommandsWords.BackgroundNoise, "n.wav"), WavCodec.Encode(new AudioClip(noise, 16000), WavSampleFormat.Int16));
        return root;
    }

    [Fact]
    public void Twelve_classes_with_unknown_and_silence_and_splits_from_the_lists()
    {
        using var dir = new TempDir();
        var root = MakeSet(dir);
        var enc = AudioEncoding.Parse("wav-int16@8k");
        var train = new SpeechCommandsDataset(root, "train", SpeechTask.Twelve, enc, null, 0);
        Assert.Equal(12, train.ClassNames.Count);
        Assert.Equal(["_unknown_", "_silence_"], train.ClassNames.TakeLast(2));
        // 10 commands × 3 train speakers (yes has 2: one is in validation) = 29; unknown and silence 29/10 = 2 each.
        Assert.Equal(29 + 2 + 2, train.Count);
        Assert.Equal(2, Enumerable.Range(0, train.Count).Count(i => train.Label(i) == 10));
        Assert.Equal(16044, train.Bytes(0, 0).Length);                          // 8,000 int16 samples + 44
        var test = new SpeechCommandsDataset(root, "test", SpeechTask.Twelve, enc, null, 0);
        Assert.Equal(10 + 1 + 1, test.Count);
        Assert.Equal(test.Bytes(5, 0), test.Bytes(5, 7));                     // no augmentation: same bytes every epoch
        var all = new SpeechCommandsDataset(root, "train", SpeechTask.ThirtyFive, enc, null, 0);
        Assert.Equal(11, all.ClassNames.Count);                                 // the word folders present
        Assert.Equal(32, all.Count);
    }

    [Fact]
    public void Mixup_mixes_the_waveforms_and_reports_the_soft_target()
    {
        using var dir = new TempDir();
        var root = MakeSet(dir);
        var enc = AudioEncoding.Parse("wav-float32");
        var plain = new SpeechCommandsDataset(root, "train", SpeechTask.Twelve, enc, null, 3);
        var mixing = new SpeechCommandsDataset(root, "train", SpeechTask.Twelve, enc, new AudioAugmentation(NoiseProbability: 0, ShiftFraction: 0), 3);
        var mixedSome = false;
        for (var i = 0; i < 29; i++)
        {
            var mix = mixing.MixOf(i, 1);
            Assert.InRange(mix.OwnWeight, 0f, 1f);
            var decoded = WavCodec.Decode(mixing.Bytes(i, 1)).Samples;
            var own = plain.Clip(i, 0).Samples;
            var partnerIndex = Enumerable.Range(0, plain.Count).First(j =>
            {
                if (plain.Label(j) != mix.PartnerLabel) return false;
                var p = plain.Clip(j, 0).Samples;
                return Enumerable.Range(0, 200).All(k => Math.Abs(mix.OwnWeight * own[k] + (1 - mix.OwnWeight) * p[k] - decoded[k]) < 1e-5);
            });
            mixedSome |= plain.Label(partnerIndex) != plain.Label(i);
            Assert.Equal(mixing.Bytes(i, 1), mixing.Bytes(i, 1));
        }
        Assert.True(mixedSome);
        Assert.NotEqual(mixing.MixOf(0, 1), mixing.MixOf(0, 2));
    }

    [Fact]
    public void Changing_the_speed_scales_the_frequency_about_the_centre()
    {
        const int n = 16000;
        var tone = Enumerable.Range(0, n).Select(i => (float)Math.Sin(2 * Math.PI * 440 * i / 16000.0 + 0.3)).ToArray();
        Assert.Equal(tone, SpeechCommandsDataset.ChangeSpeed(tone, 1.0));
        static int Crossings(float[] x, int from, int to) => Enumerable.Range(from, to - from).Count(i => x[i] < 0 != x[i + 1] < 0);
        var faster = SpeechCommandsDataset.ChangeSpeed(tone, 1.2);
        // 440 Hz played 1.2 times as fast is 528 Hz: 1,056 sign changes a second, against 880.
        Assert.InRange(Crossings(faster, 2000, 14000), 0.75 * 1056 - 2, 0.75 * 1056 + 2);
        Assert.InRange(Crossings(tone, 2000, 14000), 0.75 * 880 - 2, 0.75 * 880 + 2);
        Assert.Equal(tone[n / 2], faster[n / 2], 5);                           // the centre stays put
        Assert.Equal(0f, faster[100]);                                         // the faster clip ends before the second does
        var slower = SpeechCommandsDataset.ChangeSpeed(tone, 0.8);
        Assert.InRange(Crossings(slower, 2000, 14000), 0.75 * 704 - 2, 0.75 * 704 + 2);
    }

    [Fact]
    public void Speed_augmentation_varies_by_epoch_and_is_repeatable()
    {
        using var dir = new TempDir();
        var root = MakeSet(dir);
        var enc = AudioEncoding.Parse("wav-float32");
        var quiet = new AudioAugmentation(NoiseProbability: 0, ShiftFraction: 0, Mixup: false);
        var plain = new SpeechCommandsDataset(root, "train", SpeechTask.Twelve, enc, quiet, 3);
        var speed = new SpeechCommandsDataset(root, "train", SpeechTask.Twelve, enc, quiet with { SpeedRange = 0.15 }, 3);
        // Speed 0 (the default) leaves the clip as it is.
        Assert.Equal(new SpeechCommandsDataset(root, "train", SpeechTask.Twelve, enc, null, 3).Clip(0, 1).Samples, plain.Clip(0, 1).Samples);
        Assert.NotEqual(plain.Clip(0, 1).Samples, speed.Clip(0, 1).Samples);
        Assert.NotEqual(speed.Clip(0, 1).Samples, speed.Clip(0, 2).Samples);
        Assert.Equal(speed.Clip(0, 1).Samples, speed.Clip(0, 1).Samples);
    }

    [Fact]
    public void Training_on_soft_targets_runs_and_lowers_the_loss()
    {
        using var dir = new TempDir();
        var root = MakeSet(dir);
        var enc = AudioEncoding.Parse("mulaw@8k");
        var train = new SpeechCommandsDataset(root, "train", SpeechTask.Twelve, enc, new AudioAugmentation(), 1);
        TorchSharp.torch.manual_seed(1);
        using var model = new ByteFormerModel(ByteFormerConfig.Preset("nano") with { NClasses = 12, ConvKernelSize = 32, MaxNumTokens = 600 });
        var options = new TrainOptions { Epochs = 4, BatchSize = 11, WarmupSteps = 1, LearningRate = 2e-3, EmaMomentum = 0, CheckpointEverySteps = 0 };
        using var run = new TempDir();
        new Trainer(model, train, null, options, run.Path, new NullTrainingObserver()).Run();
        var losses = File.ReadAllLines(Path.Combine(run.Path, "metrics.jsonl"))
            .Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement.GetProperty("train_loss").GetDouble()).ToArray();
        Assert.All(losses, l => Assert.True(double.IsFinite(l)));
        Assert.True(losses[^1] < losses[0], $"loss {losses[0]:F3} -> {losses[^1]:F3}");
    }

    [Fact]
    public void A_broken_clip_names_the_file()
    {
        using var dir = new TempDir();
        var root = MakeSet(dir);
        File.WriteAllBytes(Path.Combine(root, "go/spk0_nohash_0.wav"), [1, 2, 3]);
        var e = Assert.Throws<ByteFormerException>(() => new SpeechCommandsDataset(root, "train", SpeechTask.Twelve, AudioEncoding.Parse("mp3"), null, 0));
        Assert.Contains("spk0_nohash_0.wav: not a WAV file", e.Message);
    }
}

using System.Text.Json;
using ByteFormer.Bytes;
using ByteFormer.Codecs;
using ByteFormer.Codecs.Audio;
using ByteFormer.Codecs.Writers;
using ByteFormer.Data;
using ByteFormer.Inference;
using ByteFormer.Model;
using ByteFormer.Runs;
using ByteFormer.Tests.Cli;
using ByteFormer.Tests.Data;
using ByteFormer.Tests.Training;
using ByteFormer.Training;
using static TorchSharp.torch;

namespace ByteFormer.Tests.Runs;

/// <summary>
/// What the library does that the CLI used to: a model file's input contract, a run's composition (data, folder,
/// resume, metadata), one encoding vocabulary. Runs alone, as the other tests that train (torch's generator is global).
/// </summary>
[Collection(nameof(TrainingTests))]
public class TrainingRunTests
{
    private static readonly ModelChoice Nano = new(Preset: "nano", Overrides: new ConfigOverrides(MaxTokens: 64));
    private static readonly TrainOptions OneEpoch = new() { Epochs = 1, BatchSize = 4, WarmupSteps = 2 };

    private static TrainingResult Train(RunSpec spec, string runDir, string command = "test run", TrainOptions? options = null) =>
        TrainingRun.Start(spec, Nano, options ?? OneEpoch, runDir, command).Run(new NullTrainingObserver())
        ?? throw new InvalidOperationException("the run was cancelled");

    [Fact]
    public void A_keyed_model_loaded_through_the_library_needs_its_key_and_with_it_gives_the_CLI_s_logits()
    {
        using var dir = new TempDir();
        ByteTransformTests.MakeFolders(dir);
        var key = BytePermutation.Generate();
        key.Save(dir.File("key.json"));
        BytePermutation.Generate().Save(dir.File("other.json"));
        var trained = Train(new RunSpec { Data = dir.File("data"), PermutationKey = dir.File("key.json") }, dir.File("run"));
        var file = dir.File("data/test/c1/3.bin");

        using var loaded = ModelFile.Load(trained.ModelPath);
        Assert.True(loaded.Contract.NeedsKey);
        Assert.Equal(key.Fingerprint, loaded.Contract.KeyFingerprint);
        Assert.Equal(loaded.Model.ByteBudget, loaded.Contract.ByteBudget);
        var noKey = Assert.Throws<ByteFormerException>(() => loaded.CreatePredictor()).Message;
        Assert.Contains("trained on permuted bytes", noKey);
        var wrongKey = Assert.Throws<ByteFormerException>(() =>
            loaded.CreatePredictor(new PredictorOptions { Key = BytePermutation.Load(dir.File("other.json")) })).Message;
        Assert.Contains("wrong key", wrongKey);
        // The CLI says what the library says.
        Assert.Equal($"byteformer: error: {noKey}", CliRunner.Run("predict", trained.ModelPath, file).Err.Trim());
        Assert.Equal($"byteformer: error: {wrongKey}",
            CliRunner.Run("predict", trained.ModelPath, file, "--byte-permutation", dir.File("other.json")).Err.Trim());

        var predictor = loaded.CreatePredictor(new PredictorOptions { Key = key });
        var logits = predictor.Predict([predictor.ReadFile(file)])[0].Logits;
        // On as many threads as the library ran (a reduction over another thread count rounds differently).
        var cli = CliRunner.Run("predict", trained.ModelPath, file, "--byte-permutation", dir.File("key.json"), "--json", "--logits",
            "--threads", $"{get_num_threads()}");
        Assert.True(cli.ExitCode == 0, cli.Err);
        var cliLogits = JsonDocument.Parse(cli.Out).RootElement[0].GetProperty("logits").EnumerateArray().Select(v => v.GetSingle()).ToArray();
        Assert.Equal(cliLogits, logits);

        // The key holder permutes; the server, told the files are pre-permuted, never needs the key.
        var server = loaded.CreatePredictor(new PredictorOptions { PrePermuted = true });
        var sent = new ByteInput("sent", key.Permute(File.ReadAllBytes(file)), new FileInfo(file).Length);
        Assert.Equal(logits, server.Predict([sent])[0].Logits);
    }

    [Fact]
    public void A_plain_model_takes_no_key_and_its_predictor_reads_the_budget_only()
    {
        using var dir = new TempDir();
        ByteTransformTests.MakeFolders(dir);
        var trained = Train(new RunSpec { Data = dir.File("data") }, dir.File("run"));
        using var loaded = ModelFile.Load(trained.ModelPath);
        Assert.False(loaded.Contract.NeedsKey);
        Assert.True(loaded.Contract.Encodings.IsEmpty);                        // files as they are
        Assert.Contains("plain bytes", Assert.Throws<ByteFormerException>(() =>
            loaded.CreatePredictor(new PredictorOptions { Key = BytePermutation.Generate() })).Message);
        var predictor = loaded.CreatePredictor();
        File.WriteAllBytes(dir.File("big.bin"), new byte[loaded.Contract.ByteBudget + 1000]);
        var result = predictor.Predict([predictor.ReadFile(dir.File("big.bin"))])[0];
        Assert.Equal(loaded.Contract.ByteBudget, result.Input.Bytes.Length);
        Assert.Contains("the model's budget", result.Note);
    }

    [Fact]
    public void A_run_records_its_data_and_command_resumes_from_its_folder_and_writes_nothing_when_a_check_fails()
    {
        using var dir = new TempDir();
        ByteTransformTests.MakeFolders(dir);
        File.WriteAllBytes(dir.File("data/train/c0/empty.bin"), []);
        File.CreateSymbolicLink(dir.File("data/train/c1/broken.bin"), dir.File("nowhere"));
        var spec = new RunSpec { Data = dir.File("data"), Seed = 3 };
        var run = TrainingRun.Start(spec, Nano, OneEpoch with { Seed = 5 }, dir.File("run"), "byteformer train first");
        Assert.Contains(run.Data.Notes, n => n.Contains("skipped 1 empty and 1 unreadable files"));
        var folder = new RunFolder(dir.File("run"));
        // The run records its seed and the validation share it was given by default (so it resumes with the same split).
        Assert.Equal(spec with { Seed = 5, ValidationShare = RunSpec.DefaultValidationShare }, folder.ReadSpec()! with { JoinData = null, JoinEncodings = null });
        Assert.Equal("byteformer train first", folder.ReadCommand());
        var result = run.Run(new NullTrainingObserver())!;
        Assert.True(folder.IsFinished);
        Assert.Equal(result.ModelPath, folder.ModelPath);
        Assert.Equal(16, result.TestSamples);
        Assert.Equal(result.TestTop1!.Value.ToString("F4", System.Globalization.CultureInfo.InvariantCulture), result.Metadata[ModelMetadata.TestTop1]);

        // Resume reads the configuration and data from the folder; the model file keeps the command that started it.
        var resumed = TrainingRun.Resume(dir.File("run"), "byteformer train again").Run(new NullTrainingObserver())!;
        Assert.Equal("byteformer train first (resumed: byteformer train again)", resumed.Metadata[ModelMetadata.TrainCommand]);
        Assert.Equal(result.TestTop1, resumed.TestTop1);

        Assert.Contains("already holds a run", Assert.Throws<ByteFormerException>(() =>
            TrainingRun.Start(spec, Nano, OneEpoch, dir.File("run"), "x")).Message);
        Assert.Contains("speed perturbation is for audio", Assert.Throws<ByteFormerException>(() =>
            TrainingRun.Start(spec with { SpeedPerturb = 0.1 }, Nano, OneEpoch, dir.File("run2"), "x")).Message);
        Assert.Contains("reads decoded pixels", Assert.Throws<ByteFormerException>(() =>
            TrainingRun.Start(new RunSpec { Data = "fashion-mnist", Encoding = "tiff" }, Nano with { Architecture = ModelArchitecture.PixelVit },
                OneEpoch, dir.File("run2"), "x")).Message);
        Directory.CreateDirectory(dir.File("data/train/c2"));
        Assert.Contains("c2: class folder holds no", Assert.Throws<ByteFormerException>(() =>
            TrainingRun.Start(spec, Nano, OneEpoch, dir.File("run2"), "x")).Message);
        Assert.False(Directory.Exists(dir.File("run2")));                      // nothing written for a run that could not start
    }

    [Fact]
    public void A_run_on_several_data_sets_scores_each_from_the_trainer_s_last_evaluation()
    {
        using var dir = new TempDir();
        JoinedDataTests.MakeFolders(dir, "first", 0);
        JoinedDataTests.MakeFolders(dir, "second", 120);
        var spec = new RunSpec { Data = dir.File("first"), JoinData = [dir.File("first"), dir.File("second")], JoinEncodings = [null, null] };
        var result = Train(spec, dir.File("run"));
        Assert.Equal(["first", "second"], result.PartTop1.Select(p => p.Name));
        Assert.Equal(result.TestTop1!.Value, result.PartTop1.Average(p => p.Top1), 6);    // equal-sized parts
        Assert.Equal("first: as is + second: as is", result.Metadata[ModelMetadata.Encoding]);
        using var loaded = ModelFile.Load(result.ModelPath);
        var evaluation = DataSource.OpenEvaluation(dir.File("second/test"), loaded);
        Assert.Equal(12, evaluation.Dataset.Count);
        Assert.Contains("2 data sets to join need 2 encodings", Assert.Throws<ByteFormerException>(() =>
            (spec with { JoinEncodings = null }).Validate()).Message);
    }

    [Fact]
    public void Length_groups_give_the_gradient_of_the_whole_batch()
    {
        using var dir = new TempDir();
        var rng = new Random(1);
        var files = Enumerable.Range(0, 32).Select(i => Enumerable.Range(0, 20 + rng.Next(200)).Select(_ => (byte)rng.Next(256)).ToArray()).ToList();
        var data = new InMemoryDataset(files, files.Select((_, i) => i % 2).ToList(), ["a", "b"], "mixed lengths");
        float[] After(int groups)
        {
            manual_seed(3);
            using var model = new ByteFormerModel(ByteFormerConfig.Preset("nano") with { MaxNumTokens = 64, NClasses = 2 });
            var options = new TrainOptions { Epochs = 1, BatchSize = 16, WarmupSteps = 1, EmaMomentum = 0, LengthGroups = groups };
            using var trainer = new Trainer(model, data, null, options, dir.File($"g{groups}"), new NullTrainingObserver());
            Assert.True(trainer.Run());
            return model.parameters().SelectMany(p => p.data<float>().ToArray()).ToArray();
        }
        var whole = After(1);
        var grouped = After(4);
        Assert.Equal(whole, After(1));                                          // the same run twice: the same weights
        // Equal up to the rounding of sums taken in another order, which AdamW's normalisation can blow up for the odd
        // weight whose gradient is near zero: all but a handful agree to 1e-4, and none is far off.
        var diffs = whole.Zip(grouped, (a, b) => Math.Abs(a - b)).ToArray();
        Assert.True(diffs.Count(d => d > 1e-4) < 50, $"{diffs.Count(d => d > 1e-4)} weights differ by more than 1e-4");
        Assert.True(diffs.Max() < 1e-2, $"largest difference {diffs.Max()}");
        manual_seed(3);                                                         // the initial weights of both runs
        var other = new ByteFormerModel(ByteFormerConfig.Preset("nano") with { MaxNumTokens = 64, NClasses = 2 });
        var untrained = other.parameters().SelectMany(p => p.data<float>().ToArray()).ToArray();
        other.Dispose();
        Assert.True(whole.Zip(untrained, (a, b) => Math.Abs(a - b)).Count(d => d > 1e-4) > 10_000);   // training moved them
    }

    [Fact]
    public void One_vocabulary_names_every_encoding_and_a_model_s_trained_encodings()
    {
        Assert.Equal(EncodingKind.Image, FileEncodings.Parse("jpeg90").Kind);
        Assert.Equal(EncodingKind.Audio, FileEncodings.Parse("mulaw@8k").Kind);
        Assert.Equal(EncodingKind.File, FileEncodings.Parse("none").Kind);
        Assert.Equal(".tiff", FileEncodings.Parse("tif").Extension);
        Assert.False(FileEncodings.TryParse("gif", out _));
        Assert.Contains("unknown encoding 'gif'", Assert.Throws<CodecException>(() => FileEncodings.Parse("gif")).Message);
        Assert.Contains("an encoding of images, not of audio",
            Assert.Throws<CodecException>(() => FileEncodings.Parse<AudioEncoding>("tiff", EncodingKind.Audio)).Message);

        var joint = TrainedEncodings.Parse("fashion-mnist: tiff + speech: mulaw@8k");
        Assert.Equal("fashion-mnist: tiff + speech: mulaw@8k", joint.ToString());
        Assert.Equal("tiff", joint.For(EncodingKind.Image, "fashion-mnist")!.Name);
        Assert.Equal("mulaw@8k", joint.For(EncodingKind.Audio, "a folder of another name")!.Name);   // found by kind
        Assert.Null(joint.SingleAudio);
        Assert.Null(TrainedEncodings.Parse("tiff,png").For(EncodingKind.Image));                  // a mixture: name one
        Assert.Equal(AudioEncoding.Parse("wav-int16@8k"), TrainedEncodings.Parse("wav-int16@8k").SingleAudio);
        Assert.True(TrainedEncodings.Parse(null).IsEmpty);
    }

    [Fact]
    public void A_preset_takes_overrides_and_a_window_sets_every_other_shift()
    {
        var config = new ConfigOverrides(KernelSize: 32, WindowSize: 64, MaxTokens: 100).ApplyTo("micro");
        Assert.Equal((32, 16, 100), (config.ConvKernelSize, config.ConvStride, config.MaxNumTokens));
        Assert.Equal([64], config.WindowSizes);
        Assert.Equal([0, 32, 0, 32, 0, 32], config.WindowShifts);
        Assert.Equal(99L * 16 + 32, config.ByteBudget);
        Assert.Equal(ByteFormerConfig.Preset("nano").ToJson(), ConfigOverrides.None.ApplyTo("nano").ToJson());
        Assert.Throws<ConfigurationException>(() => ConfigOverrides.None.ApplyTo("gigantic"));
    }

    [Fact]
    public void Written_images_draw_every_format_repeatably_and_move_the_pixels_by_their_metadata()
    {
        var images = FashionMnist.Load("test", limit: 60);
        var plain = new WrittenImageDataset(images, ImageWriters.All, null, 1, "plain");
        var padded = new WrittenImageDataset(images, ImageWriters.All, null, 1, "padded", 256, exactMetadata: true);
        Assert.Equal(plain.Bytes(7, 2), plain.Bytes(7, 2));
        Assert.Equal(6, Enumerable.Range(0, 60).Select(i => plain.WriterOf(i, 0).Format).Distinct().Count());
        Assert.Contains(Enumerable.Range(0, 60), i => plain.WriterOf(i, 0) != plain.WriterOf(i, 1));
        for (var i = 0; i < 60; i++)
        {
            Assert.Equal(plain.WriterOf(i, 0), padded.WriterOf(i, 0));
            Assert.InRange(padded.Bytes(i, 0).Length - plain.Bytes(i, 0).Length, 256, 256 + 12);
        }
    }

    [Fact]
    public void Training_metadata_lengths_are_short_as_often_as_long_and_put_the_pixels_at_every_phase_of_the_stride()
    {
        var random = new Random(5);
        var lengths = Enumerable.Range(0, 32_000).Select(_ => WrittenImageDataset.MetadataLength(random, 2048)).ToArray();
        Assert.InRange(lengths.Min(), 1, 4);
        Assert.InRange(lengths.Max(), 1900, 2048);
        // Short blocks are common (log-uniform): about two fifths are at most 64 bytes, a fifth above 512.
        Assert.InRange(lengths.Count(l => l <= 64) / (double)lengths.Length, 0.30, 0.50);
        Assert.InRange(lengths.Count(l => l > 512) / (double)lengths.Length, 0.12, 0.30);
        // Every phase of a 16-byte stride equally often (1/16 = 0.0625; ±0.01 is > 7 standard errors), and of 32.
        foreach (var stride in new[] { 16, 32 })
            for (var phase = 0; phase < stride; phase++)
                Assert.InRange(lengths.Count(l => l % stride == phase) / (double)lengths.Length, 1.0 / stride - 0.01, 1.0 / stride + 0.01);
        // A small budget still gives every length from 1 to it.
        var small = Enumerable.Range(0, 800).Select(_ => WrittenImageDataset.MetadataLength(random, 8)).ToHashSet();
        Assert.Equal(Enumerable.Range(1, 8).ToHashSet(), small);
        Assert.Equal(1, WrittenImageDataset.MetadataLength(random, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => WrittenImageDataset.MetadataLength(random, 0));
    }

    [Fact]
    public void Format_weights_draw_a_format_as_often_as_its_share_and_are_checked_before_any_data_is_read()
    {
        var images = FashionMnist.Load("test", limit: 10);
        var pool = ImageWriters.Parse("tiff,png,jpeg");
        var weighted = new WrittenImageDataset(images, pool, null, 3, "weighted", formatWeights: ImageWriters.ParseFormatWeights("jpeg=3, png=2"));
        var uniform = new WrittenImageDataset(images, pool, null, 3, "uniform");
        // 10 images × 600 epochs = 6,000 draws: shares 1/6, 2/6, 3/6 weighted, 1/3 each uniformly (±3 points is > 4 standard errors).
        var draws = Enumerable.Range(0, 600).SelectMany(e => Enumerable.Range(0, 10).Select(i => (e, i))).ToList();
        double Share(WrittenImageDataset d, ImageFormat f) => draws.Count(x => d.WriterOf(x.i, x.e).Format == f) / (double)draws.Count;
        Assert.InRange(Share(weighted, ImageFormat.Tiff), 1 / 6.0 - 0.03, 1 / 6.0 + 0.03);
        Assert.InRange(Share(weighted, ImageFormat.Png), 2 / 6.0 - 0.03, 2 / 6.0 + 0.03);
        Assert.InRange(Share(weighted, ImageFormat.Jpeg), 3 / 6.0 - 0.03, 3 / 6.0 + 0.03);
        Assert.InRange(Share(uniform, ImageFormat.Tiff), 1 / 3.0 - 0.03, 1 / 3.0 + 0.03);
        Assert.Equal(weighted.WriterOf(4, 9), weighted.WriterOf(4, 9));
        Assert.Contains("jpeg75=3", weighted.Describe);

        Assert.Throws<ArgumentException>(() => new WrittenImageDataset(images, ImageWriters.Parse("tiff"), null, 0, "x",
            formatWeights: ImageWriters.ParseFormatWeights("png=2")));
        foreach (var bad in new[] { "jpeg", "jpeg=0", "jpeg=-1", "jpeg=NaN", "gif=2", "fhwc=2", "png=1,png=2", "" })
            Assert.Throws<CodecException>(() => ImageWriters.ParseFormatWeights(bad));
        var spec = new RunSpec { Data = RunSpec.FashionMnistName, Writers = "tiff,png", FormatWeights = "jpeg=2" };
        Assert.Contains("no writer of the pool", Assert.Throws<ByteFormerException>(() => spec.Validate()).Message);
        Assert.Throws<ByteFormerException>(() => (spec with { Writers = null, Encoding = "tiff" }).Validate());
        (spec with { FormatWeights = "png=2" }).Validate();
    }

    [Fact]
    public void Writer_weights_draw_a_writer_as_often_as_its_share_within_its_format_and_leave_the_formats_shares_and_other_formats_alone()
    {
        var images = FashionMnist.Load("test", limit: 10);
        var pool = ImageWriters.Parse("tiff,bmp");
        var bmp = pool.Where(w => w.Format == ImageFormat.Bmp).ToList();
        Assert.Equal(3, bmp.Count);
        var weighted = new WrittenImageDataset(images, pool, null, 3, "weighted", formatWeights: ImageWriters.ParseFormatWeights("bmp=3"),
            writerWeights: ImageWriters.ParseWriterWeights("bmp-project=4"));
        var formatsOnly = new WrittenImageDataset(images, pool, null, 3, "formats only", formatWeights: ImageWriters.ParseFormatWeights("bmp=3"));
        // 6,000 draws, 4,500 of them BMP: bmp-project 4/6 of those, the two others 1/6 each (±3 points is > 4 standard errors).
        var draws = Enumerable.Range(0, 600).SelectMany(e => Enumerable.Range(0, 10).Select(i => (e, i))).ToList();
        var drawn = draws.Select(x => weighted.WriterOf(x.i, x.e)).ToList();
        var bmpDrawn = drawn.Where(w => w.Format == ImageFormat.Bmp).ToList();
        Assert.InRange(bmpDrawn.Count / (double)drawn.Count, 0.75 - 0.03, 0.75 + 0.03);
        Assert.InRange(bmpDrawn.Count(w => w.Name == "bmp-project") / (double)bmpDrawn.Count, 4 / 6.0 - 0.03, 4 / 6.0 + 0.03);
        foreach (var other in bmp.Where(w => w.Name != "bmp-project"))
            Assert.InRange(bmpDrawn.Count(w => w == other) / (double)bmpDrawn.Count, 1 / 6.0 - 0.03, 1 / 6.0 + 0.03);
        // The format drawn is the same as without writer weights, and a format none of whose writers is named draws
        // exactly the same writers: its files do not change.
        foreach (var (e, i) in draws)
        {
            Assert.Equal(formatsOnly.WriterOf(i, e).Format, weighted.WriterOf(i, e).Format);
            if (formatsOnly.WriterOf(i, e).Format == ImageFormat.Tiff) Assert.Equal(formatsOnly.WriterOf(i, e), weighted.WriterOf(i, e));
        }
        Assert.Contains("bmp-project=4", weighted.Describe);

        Assert.Throws<ArgumentException>(() => new WrittenImageDataset(images, ImageWriters.Parse("tiff"), null, 0, "x",
            writerWeights: ImageWriters.ParseWriterWeights("bmp-project=2")));
        Assert.Contains("is a format", Assert.Throws<CodecException>(() => ImageWriters.ParseWriterWeights("bmp=2")).Message);
        foreach (var bad in new[] { "bmp-project", "bmp-project=0", "bmp-project=NaN", "gif-writer=2", "bmp-stb=1,BMP-STB=2", "" })
            Assert.Throws<CodecException>(() => ImageWriters.ParseWriterWeights(bad));
        var spec = new RunSpec { Data = RunSpec.FashionMnistName, Writers = "tiff,png", WriterWeights = "bmp-project=2" };
        Assert.Contains("not in the pool", Assert.Throws<ByteFormerException>(() => spec.Validate()).Message);
        Assert.Throws<ByteFormerException>(() => (spec with { Writers = null, Encoding = "tiff" }).Validate());
        (spec with { WriterWeights = "png-stb=2" }).Validate();
    }
}

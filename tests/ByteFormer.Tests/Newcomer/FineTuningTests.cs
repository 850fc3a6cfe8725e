using ByteFormer.Codecs;
using ByteFormer.Data;
using ByteFormer.Inference;
using ByteFormer.Model;
using ByteFormer.Runs;
using ByteFormer.Tests.Cli;

namespace ByteFormer.Tests.Newcomer;

/// <summary><c>train --init-from</c>: fine-tuning a bundled model against training from scratch.</summary>
[Collection(nameof(ByteFormer.Tests.Training.TrainingTests))]
public class FineTuningTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static readonly string Bundled = Repo.File("models/fashion-mnist-tiff.safetensors");

    /// <summary>Three Fashion-MNIST classes under new names, as TIFF files: a user's own small folder.</summary>
    private static void WriteFolder(string root, int trainPerClass, int testPerClass)
    {
        var picks = new (int Label, string Name)[] { (0, "top"), (7, "shoe"), (8, "bag") };
        var tiff = new ImageEncoding(ImageFormat.Tiff);
        foreach (var (split, perClass) in new[] { ("train", trainPerClass), ("test", testPerClass) })
        {
            var set = FashionMnist.Load(split, limit: 3000);
            foreach (var (label, name) in picks)
            {
                Directory.CreateDirectory(Path.Combine(root, split, name));
                var indices = Enumerable.Range(0, set.Labels.Length).Where(i => set.Labels[i] == label).Take(perClass);
                foreach (var i in indices) File.WriteAllBytes(Path.Combine(root, split, name, $"{i:D5}.tiff"), tiff.Encode(set.Images[i]));
            }
        }
    }

    private static double TestTop1(string run)
    {
        using var model = ModelFile.Load(Path.Combine(run, "model.safetensors"));
        return double.Parse(model.Metadata[ModelMetadata.TestTop1], System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public void Fine_tuning_the_bundled_model_beats_training_from_scratch_for_the_same_steps()
    {
        using var dir = new TempDir();
        WriteFolder(dir.File("clothes"), trainPerClass: 32, testPerClass: 30);
        var common = new[] { "--data", dir.File("clothes"), "--epochs", "2", "--batch-size", "16", "--augment", "none" };
        var tuned = CliRunner.Run(["train", .. common, "--init-from", Bundled, "--run-dir", dir.File("tuned")]);
        Assert.True(tuned.ExitCode == 0, tuned.Err);
        var scratch = CliRunner.Run(["train", .. common, "--preset", "micro", "--kernel", "56", "--window", "128", "--run-dir", dir.File("scratch")]);
        Assert.True(scratch.ExitCode == 0, scratch.Err);
        var (tunedTop1, scratchTop1) = (TestTop1(dir.File("tuned")), TestTop1(dir.File("scratch")));
        output.WriteLine($"3 Fashion-MNIST classes renamed, 96 training TIFFs (86 after the validation split), 2 epochs at batch 16 (10 steps): fine-tuned from the bundled model {tunedTop1:P2}, from scratch (same network) {scratchTop1:P2} on 90 test files");
        Assert.True(tunedTop1 > scratchTop1 + 0.1, $"fine-tuned {tunedTop1:P1}, from scratch {scratchTop1:P1}");
        Assert.True(tunedTop1 >= 0.8, $"fine-tuned {tunedTop1:P1}");

        // The model file says where it started, and that its head is new (other classes).
        using var model = ModelFile.Load(dir.File("tuned/model.safetensors"));
        Assert.Contains("fashion-mnist-tiff.safetensors", model.Metadata[ModelMetadata.InitFrom]);
        Assert.Contains("head re-initialised for 3 classes", model.Metadata[ModelMetadata.InitFrom]);
        var info = CliRunner.Run("info", dir.File("tuned/model.safetensors"));
        Assert.Contains("initialised from", info.Out);
    }

    [Fact]
    public void A_size_option_beside_init_from_is_refused_before_any_work()
    {
        using var dir = new TempDir();
        var r = CliRunner.Run("train", "--data", dir.File("none"), "--init-from", Bundled, "--preset", "nano", "--run-dir", dir.File("run"));
        CliRunner.AssertCleanFailure(r, "leave out --preset");
        var missing = CliRunner.Run("train", "--data", RunSpec.FashionMnistName, "--encoding", "tiff", "--init-from", dir.File("nope.safetensors"), "--run-dir", dir.File("run"));
        CliRunner.AssertCleanFailure(missing, "no such model file");
        Assert.False(Directory.Exists(dir.File("run")));
    }

    [Fact]
    public void Init_from_can_change_the_positions_and_keeps_every_other_weight()
    {
        using var source = ModelFile.Load(Bundled);
        var from = source.Model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        using var model = (ByteFormerModel)FineTuning.Build(Bundled, source.Labels, PositionEncoding.Relative);
        Assert.Equal(PositionEncoding.Relative, model.Config.Positions);
        var names = model.named_parameters().Select(p => p.name).ToList();
        Assert.DoesNotContain(names, n => n.StartsWith("pos_embed", StringComparison.Ordinal));
        Assert.Equal(6, names.Count(n => n.EndsWith("relative_position_bias", StringComparison.Ordinal)));
        foreach (var (name, parameter) in model.named_parameters())
        {
            if (name.EndsWith("relative_position_bias", StringComparison.Ordinal)) continue;
            Assert.True(parameter.allclose(from[name], rtol: 0, atol: 0), $"{name} differs from the file's");
        }
        Assert.Contains("positions learned → relative", FineTuning.Describe(Bundled, source.Labels, PositionEncoding.Relative));
        Assert.DoesNotContain("positions", FineTuning.Describe(Bundled, source.Labels, PositionEncoding.Learned));

        // Without a change the network is the file's, position table included.
        using var same = (ByteFormerModel)FineTuning.Build(Bundled, source.Labels);
        Assert.Equal(PositionEncoding.Learned, same.Config.Positions);
        Assert.True(same.named_parameters().Single(p => p.name.StartsWith("pos_embed", StringComparison.Ordinal)).parameter
            .allclose(from.Single(p => p.Key.StartsWith("pos_embed", StringComparison.Ordinal)).Value, rtol: 0, atol: 0));
    }

    [Fact]
    public void Train_init_from_with_other_positions_records_the_change()
    {
        using var dir = new TempDir();
        WriteFolder(dir.File("clothes"), trainPerClass: 8, testPerClass: 4);
        var r = CliRunner.Run("train", "--data", dir.File("clothes"), "--epochs", "1", "--batch-size", "8", "--augment", "none",
            "--init-from", Bundled, "--positions", "none", "--run-dir", dir.File("run"));
        Assert.True(r.ExitCode == 0, r.Err);
        using var model = ModelFile.Load(dir.File("run/model.safetensors"));
        Assert.Equal(PositionEncoding.None, ((ByteFormerModel)model.Model).Config.Positions);
        Assert.Equal(56, ((ByteFormerModel)model.Model).Config.ConvKernelSize);
        Assert.Contains("positions learned → none", model.Metadata[ModelMetadata.InitFrom]);
    }

    [Fact]
    public void Train_deepen_grows_the_file_records_it_and_is_refused_without_a_file()
    {
        using var dir = new TempDir();
        WriteFolder(dir.File("clothes"), trainPerClass: 8, testPerClass: 4);
        var r = CliRunner.Run("train", "--data", dir.File("clothes"), "--epochs", "1", "--batch-size", "8", "--augment", "none",
            "--init-from", Bundled, "--deepen", "--run-dir", dir.File("run"));
        Assert.True(r.ExitCode == 0, r.Err);
        using var model = ModelFile.Load(dir.File("run/model.safetensors"));
        // 2,764,938 parameters and six more blocks of 198,272 (LayerNorms, qkv, out, fc1, fc2); a 3-class head.
        Assert.Equal(2_764_938 + 6 * 198_272 - 7 * 129, model.Model.parameters().Sum(p => p.numel()));
        Assert.Equal(12, ((ByteFormerModel)model.Model).Config.NTransformerLayers);
        Assert.Contains("deepened from 6 to 12 blocks", model.Metadata[ModelMetadata.InitFrom]);
        var info = CliRunner.Run("info", dir.File("run/model.safetensors"));
        Assert.Equal(0, info.ExitCode);
        Assert.Contains("deepened from 6 to 12", info.Out);

        var alone = CliRunner.Run("train", "--data", dir.File("clothes"), "--deepen", "--run-dir", dir.File("run2"));
        CliRunner.AssertCleanFailure(alone, "--init-from");
        Assert.False(Directory.Exists(dir.File("run2")));
        var vit = CliRunner.Run("train", "--data", dir.File("clothes"), "--init-from", Repo.File("models/fashion-mnist-pixel-vit.safetensors"),
            "--deepen", "--run-dir", dir.File("run3"));
        CliRunner.AssertCleanFailure(vit, "cannot be deepened");
        Assert.False(Directory.Exists(dir.File("run3")));
    }

    [Fact]
    public void The_head_is_kept_for_the_same_classes_in_any_order()
    {
        Assert.Equal(new long[] { 2, 0, 1 }, FineTuning.HeadRows(["a", "b", "c"], ["c", "a", "b"])!);
        Assert.Null(FineTuning.HeadRows(["a", "b", "c"], ["a", "b", "d"]));
        Assert.Null(FineTuning.HeadRows(["a", "b"], ["a", "b", "c"]));
    }
}

using ByteFormer.Bytes;
using ByteFormer.Codecs;
using ByteFormer.Data;
using ByteFormer.Inference;
using ByteFormer.Model;
using ByteFormer.Tests.Cli;
using ByteFormer.Tests.Training;
using ByteFormer.Training;
using static TorchSharp.torch;

namespace ByteFormer.Tests.Model;

[Collection(nameof(ByteFormer.Tests.Training.TrainingTests))]
public class PixelVisionTransformerTests
{
    private static PixelVitConfig Small => PixelVitConfig.MatchingWidthAndDepth(
        ByteFormerConfig.Preset("nano"), FashionMnist.Height, FashionMnist.Width, 1) with { PatchSize = 7 };

    [Fact]
    public void Matches_the_byteformer_presets_width_and_depth()
    {
        var micro = ByteFormerConfig.Preset("micro");
        var vit = PixelVitConfig.MatchingWidthAndDepth(micro, 28, 28, 1);
        Assert.Equal((micro.EmbedDim, micro.NTransformerLayers, micro.NAttnHeads, micro.FfnDim),
            (vit.EmbedDim, vit.NTransformerLayers, vit.NAttnHeads, vit.FfnDim));
        Assert.Equal(49, vit.Patches);
        Assert.Throws<ConfigurationException>(() => (vit with { PatchSize = 5 }).Validate());
    }

    [Fact]
    public void Reads_the_image_bytes_only_and_treats_missing_ones_as_black()
    {
        manual_seed(3);
        using var model = new PixelVisionTransformer(Small);
        model.eval();
        var image = Enumerable.Range(0, 784).Select(i => (byte)(i * 7)).ToArray();
        using var _ = no_grad();
        using var plain = model.call(ByteCollator.Collate([image], model.MinimumBytes));
        using var longer = model.call(ByteCollator.Collate([image.Concat(new byte[100]).ToArray()], model.MinimumBytes));
        Assert.True(plain.allclose(longer, 1e-6, 1e-6));
        var shortImage = image.Take(700).ToArray();
        var zeroFilled = shortImage.Concat(new byte[84]).ToArray();
        using var padded = model.call(ByteCollator.Collate([shortImage], model.MinimumBytes));
        using var filled = model.call(ByteCollator.Collate([zeroFilled], model.MinimumBytes));
        Assert.True(padded.allclose(filled, 1e-6, 1e-6));
        Assert.False(plain.allclose(padded, 1e-4, 1e-4));                   // the pixels do matter
    }

    [Fact]
    public void A_model_file_round_trip_keeps_architecture_configuration_and_logits()
    {
        using var dir = new TempDir();
        manual_seed(4);
        using var model = new PixelVisionTransformer(Small);
        model.eval();
        var path = dir.File("vit.safetensors");
        ModelFile.Save(path, model, FashionMnist.ClassNames);
        var loaded = ModelFile.Load(path);
        using var __ = loaded.Model;
        Assert.IsType<PixelVisionTransformer>(loaded.Model);
        Assert.Equal(model.ConfigJson(), loaded.Model.ConfigJson());
        using var _ = no_grad();
        using var tokens = ByteCollator.Collate([new byte[784], Enumerable.Repeat((byte)200, 784).ToArray()], 784);
        using var a = model.call(tokens);
        using var b = loaded.Model.call(tokens);
        Assert.True(a.allclose(b, 0, 0));

        var info = CliRunner.Run("info", path);
        Assert.Equal(0, info.ExitCode);
        Assert.Contains("pixel-vit", info.Out);
    }

    [Fact]
    public void Trains_learns_and_resumes_like_byteformer()
    {
        var enc = ImageEncoding.Parse("fhwc");
        var train = new EncodedImageDataset(FashionMnist.Load("train", limit: 256), enc, ImageAugmentation.Light, 1, "train");
        var options = new TrainOptions { Epochs = 3, BatchSize = 16, WarmupSteps = 4, LearningRate = 1e-3, Seed = 5, EmaMomentum = 0, CheckpointEverySteps = 4 };
        using var dir = new TempDir();
        manual_seed(5);
        using var model = new PixelVisionTransformer(Small);
        var plain = new EncodedImageDataset(FashionMnist.Load("train", limit: 256), enc, null, 1, "train");
        var before = Evaluator.Evaluate(model, plain);
        var trainer = new Trainer(model, train, null, options, dir.Path, new NullTrainingObserver());
        Assert.True(trainer.Run());
        var after = Evaluator.Evaluate(model, plain);
        Assert.True(after.Loss < before.Loss - 0.3 && after.Top1 > 0.2,
            $"pixel ViT: loss {before.Loss:F3} -> {after.Loss:F3}, top-1 {before.Top1:P1} -> {after.Top1:P1} on its 256 training images");

        using var restored = Checkpoint.ReadHeader(Path.Combine(dir.Path, Checkpoint.FileName)).BuildModel();
        Assert.IsType<PixelVisionTransformer>(restored);
    }
}

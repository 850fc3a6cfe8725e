using ByteFormer.Bytes;
using ByteFormer.Inference;
using ByteFormer.Model;
using ByteFormer.Runs;
using ByteFormer.Tests.Cli;
using static TorchSharp.torch;

namespace ByteFormer.Tests.Model;

/// <summary>
/// <see cref="DepthGrowth"/>: a trained ByteFormer grown to twice its depth computes what it computed before, and its
/// new blocks can learn.
/// </summary>
public class DepthGrowthTests
{
    [Fact]
    public void The_grown_configuration_pairs_each_block_with_a_copy_and_moves_each_merge_after_the_pair()
    {
        var micro = ByteFormerConfig.Preset("micro") with { WindowSizes = [128], WindowShifts = [0, 64, 0, 64, 0, 64] };
        var grown = DepthGrowth.Deepened(micro);
        Assert.Equal(12, grown.NTransformerLayers);
        Assert.Equal([false, true, false, false, false, true, false, false, false, true, false, false], grown.Downsample);
        Assert.Equal(micro.MergeCount, grown.MergeCount);
        // The copy of an unshifted block is shifted by half a window, and the copy of a shifted block is not.
        Assert.Equal([0, 64, 64, 0, 0, 64, 64, 0, 0, 64, 64, 0], grown.WindowShifts);
        Assert.Equal([128], grown.WindowSizes);

        var perLayer = micro with { WindowSizes = [16, 16, 32, 32, 64, 64], WindowShifts = [0, 8, 0, 16, 0, 32] };
        Assert.Equal([16, 16, 16, 16, 32, 32, 32, 32, 64, 64, 64, 64], DepthGrowth.Deepened(perLayer).WindowSizes);
        Assert.Equal([0, 8, 8, 0, 0, 16, 16, 0, 0, 32, 32, 0], DepthGrowth.Deepened(perLayer).WindowShifts);
    }

    [Fact]
    public void Each_grown_weight_names_its_source_and_only_the_copies_output_projections_start_at_zero()
    {
        Assert.Equal(("transformer.2.pre_norm_mha.1.out_proj.weight", false), DepthGrowth.SourceOf("transformer.4.pre_norm_mha.1.out_proj.weight"));
        Assert.Equal(("transformer.2.pre_norm_mha.1.out_proj.weight", true), DepthGrowth.SourceOf("transformer.5.pre_norm_mha.1.out_proj.weight"));
        Assert.Equal(("transformer.2.pre_norm_ffn.4.bias", true), DepthGrowth.SourceOf("transformer.5.pre_norm_ffn.4.bias"));
        Assert.Equal(("transformer.2.pre_norm_ffn.1.weight", false), DepthGrowth.SourceOf("transformer.5.pre_norm_ffn.1.weight"));
        Assert.Equal(("transformer.2.pre_norm_mha.1.qkv_proj.weight", false), DepthGrowth.SourceOf("transformer.5.pre_norm_mha.1.qkv_proj.weight"));
        Assert.Equal(("downsamplers.downsample_2.reduction.weight", false), DepthGrowth.SourceOf("downsamplers.downsample_5.reduction.weight"));
        Assert.Equal(("classifier.weight", false), DepthGrowth.SourceOf("classifier.weight"));
    }

    /// <summary>Every bundled sample file of two formats, of many lengths, in one padded batch.</summary>
    private static Tensor SampleBatch(int minimumBytes)
    {
        var files = Directory.GetFiles(Repo.File("samples/images/png")).Concat(Directory.GetFiles(Repo.File("samples/images/imagemagick-tiff")))
            .Order(StringComparer.Ordinal).Select(f => (ReadOnlyMemory<byte>)File.ReadAllBytes(f)).ToList();
        Assert.True(files.Select(f => f.Length).Distinct().Count() > 5, "the batch should hold files of many lengths");
        return ByteCollator.Collate(files, minimumBytes);
    }

    [Theory]
    [InlineData("models/fashion-mnist-images.safetensors")]   // relative positions, windows longer than the files
    [InlineData("models/fashion-mnist-tiff.safetensors")]     // CoreNet's learned table, kernel 56
    public void A_deepened_model_gives_the_files_logits_before_training(string file)
    {
        var path = Repo.File(file);
        using var source = ModelFile.Load(path);
        using var grown = (ByteFormerModel)FineTuning.Build(path, source.Labels, deepen: true);
        var original = (ByteFormerModel)source.Model;
        Assert.Equal(2 * original.Config.NTransformerLayers, grown.Config.NTransformerLayers);

        using var scope = NewDisposeScope();
        using var _ = no_grad();
        original.eval();
        grown.eval();
        var tokens = SampleBatch(original.MinimumBytes);
        var before = original.call(tokens);
        var after = grown.call(tokens);
        var largest = (before - after).abs().max().item<float>();
        Assert.True(largest < 1e-4f, $"the grown network's logits differ by up to {largest}");
        Assert.True(before.abs().max().item<float>() > 1f, "the logits should be far from zero for the comparison to mean anything");
    }

    [Fact]
    public void The_copies_learn_from_the_first_step()
    {
        var path = Repo.File("models/fashion-mnist-images.safetensors");
        using var source = ModelFile.Load(path);
        using var grown = (ByteFormerModel)FineTuning.Build(path, source.Labels, deepen: true);
        using var scope = NewDisposeScope();
        grown.train();
        var tokens = SampleBatch(grown.MinimumBytes);
        var targets = zeros(tokens.shape[0], dtype: ScalarType.Int64);
        var loss = nn.functional.cross_entropy(grown.call(tokens), targets);
        loss.backward();
        var parameters = grown.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var copy in new[] { 1, 5, 11 })
        {
            var attentionOut = parameters[$"transformer.{copy}.pre_norm_mha.1.out_proj.weight"];
            var ffnOut = parameters[$"transformer.{copy}.pre_norm_ffn.4.weight"];
            Assert.Equal(0f, attentionOut.abs().max().item<float>());
            Assert.Equal(0f, ffnOut.abs().max().item<float>());
            // The zero projections get a gradient (their inputs are the trained block's features), so they move.
            Assert.True(attentionOut.grad!.abs().max().item<float>() > 0f, $"block {copy}'s attention output has no gradient");
            Assert.True(ffnOut.grad!.abs().max().item<float>() > 0f, $"block {copy}'s feed-forward output has no gradient");
            // Its other weights are its block's.
            Assert.True(parameters[$"transformer.{copy}.pre_norm_ffn.1.weight"].allclose(parameters[$"transformer.{copy - 1}.pre_norm_ffn.1.weight"], rtol: 0, atol: 0));
        }
    }
}

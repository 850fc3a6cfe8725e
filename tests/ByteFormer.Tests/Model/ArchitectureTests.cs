using ByteFormer.Interop;
using ByteFormer.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace ByteFormer.Tests.Model;

public class ArchitectureTests
{
    /// <summary>byteformer.md §2 as written there: FFN 4C, six merges.</summary>
    private static long ReferenceFormula(long c, long layers, long k, long positions, long classes) =>
        257 * c + c * c * k + positions * c + layers * (12 * c * c + 13 * c) + 6 * (2 * c * c + 2 * c) + 2 * c + (c + 1) * classes;

    [Theory]
    [InlineData("tiny")]
    [InlineData("small")]
    [InlineData("base")]
    [InlineData("huge")]
    public void CoreNet_sizes_count_parameters_by_the_reference_formula(string preset)
    {
        var config = ByteFormerConfig.Preset(preset);
        Assert.Equal(6, config.MergeCount);
        Assert.Equal(4 * config.EmbedDim, config.FfnDim);
        Assert.Equal(ReferenceFormula(config.EmbedDim, config.NTransformerLayers, config.ConvKernelSize, config.MaxNumTokens, config.NClasses),
            config.CountParameters().Total);
    }

    [Theory]
    [InlineData("tiny", 4, 6_173_224)]
    [InlineData("tiny", 8, 6_320_680)]
    [InlineData("tiny", 16, 6_615_592)]
    [InlineData("tiny", 32, 7_205_416)]
    [InlineData("small", 32, 28_270_696)]
    [InlineData("base", 4, 95_468_776)]
    [InlineData("base", 32, 111_983_848)]
    public void Counts_without_the_positional_table_match_the_reference_table(string preset, int kernel, long expected)
    {
        var counts = (ByteFormerConfig.Preset(preset) with { ConvKernelSize = kernel, NClasses = 1000 }).CountParameters();
        Assert.Equal(expected, counts.Total - counts.PositionalTable);
    }

    [Theory]
    [InlineData("tiny")]
    [InlineData("small")]
    [InlineData("base")]
    [InlineData("nano")]
    [InlineData("micro")]
    public void A_built_model_has_the_counted_parameters(string preset)
    {
        var config = ByteFormerConfig.Preset(preset) with { MaxNumTokens = 64 };
        using var model = new ByteFormerModel(config);
        var actual = model.parameters().Sum(p => p.numel());
        Assert.Equal(config.CountParameters().Total, actual);
    }

    [Fact]
    public void Tiny_state_dict_matches_the_reference_names_shapes_and_count()
    {
        var config = CorenetConfig.Load(Fixtures.Tiny("config.json"));
        var expected = File.ReadAllLines(Fixtures.Tiny("keys.txt")).Where(l => !l.StartsWith('#') && l.Length > 0)
            .Select(l => l.Split('\t')).Select(f => (Name: f[0], Shape: f[1])).ToList();
        using var model = new ByteFormerModel(config);
        var actual = model.state_dict().Select(kv => (Name: kv.Key, Shape: string.Join("x", kv.Value.shape))).ToList();
        Assert.Equal(169, expected.Count);
        Assert.Equal(expected, actual);
        Assert.Equal(16_805_416, model.parameters().Sum(p => p.numel()));
        Assert.Equal(16_805_416, config.CountParameters().Total);
    }

    [Fact]
    public void Every_parameter_gets_a_gradient_and_the_padding_row_none()
    {
        foreach (var semantics in new[] { AttentionSemantics.Masked, AttentionSemantics.Corenet })
        {
            using var model = new ByteFormerModel(ByteFormerConfig.Preset("nano") with { MaxNumTokens = 256, Semantics = semantics });
            model.train();
            using var tokens = RandomBatch(new[] { 300, 180, 77 }, seed: 3);
            var loss = nn.functional.cross_entropy(model.call(tokens), tensor(new long[] { 1, 2, 3 }));
            loss.backward();
            foreach (var (name, p) in model.named_parameters())
            {
                Assert.NotNull(p.grad);
                Assert.True(p.grad!.isfinite().all().item<bool>(), $"{semantics}: non-finite gradient in {name}");
                Assert.True(p.grad.abs().sum().item<float>() > 0, $"{semantics}: zero gradient in {name}");
            }
            var embeddingGrad = model.named_parameters().First(kv => kv.name == "embeddings.weight").parameter.grad!;
            Assert.Equal(0f, embeddingGrad[256].abs().sum().item<float>());
        }
    }

    [Fact]
    public void Presets_are_unknown_by_other_names()
    {
        var e = Assert.Throws<ConfigurationException>(() => ByteFormerConfig.Preset("gigantic"));
        Assert.Contains("gigantic", e.Message);
    }

    [Fact]
    public void Inconsistent_lists_are_refused_with_the_field_named()
    {
        var e = Assert.Throws<ConfigurationException>(() => new ByteFormerModel(ByteFormerConfig.Preset("tiny") with { WindowShifts = [0, 64] }));
        Assert.Contains("window_shifts", e.Message);
    }

    internal static Tensor RandomBatch(IReadOnlyList<int> lengths, int seed)
    {
        var rng = new Random(seed);
        var max = lengths.Max();
        var flat = new long[lengths.Count * max];
        for (var i = 0; i < lengths.Count; i++)
        for (var j = 0; j < max; j++)
            flat[i * max + j] = j < lengths[i] ? rng.Next(256) : -1;
        return tensor(flat, [lengths.Count, max]);
    }
}

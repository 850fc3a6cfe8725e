using ByteFormer.Inference;
using ByteFormer.Model;
using ByteFormer.Tests.Cli;
using TorchSharp;
using static TorchSharp.torch;

namespace ByteFormer.Tests.Model;

/// <summary>
/// The position encodings of the layout study (<see cref="PositionEncoding"/>): CoreNet's learned table, none, and a
/// relative bias inside the windows. Each is wired where it claims to be, counted, saved and refused where it cannot work.
/// </summary>
public class PositionEncodingTests
{
    // The preset's 4,096 positions: a loader that still counted the table for a model without one would refuse its file.
    private static ByteFormerConfig Nano(PositionEncoding positions) => ByteFormerConfig.Preset("nano") with { Positions = positions };

    /// <summary>Bytes of three lengths in one batch (padding, a short window and shifted windows all happen).</summary>
    private static Tensor Batch()
    {
        var random = new Random(7);
        int[] lengths = [40, 333, 900];
        var rows = lengths.Select(l => Enumerable.Range(0, 900).Select(i => i < l ? random.Next(256) : -1L).Select(v => (long)v).ToArray()).ToArray();
        return tensor(rows.SelectMany(r => r).ToArray(), [rows.Length, 900]);
    }

    private static float[] Logits(ByteFormerModel model)
    {
        using var _ = NewDisposeScope();
        using var __ = no_grad();
        model.eval();
        using var tokens = Batch();
        return model.call(tokens).data<float>().ToArray();
    }

    /// <summary>Copies every tensor <paramref name="to"/> has a same-named one for; returns the names not copied.</summary>
    private static List<string> CopyShared(ByteFormerModel from, ByteFormerModel to)
    {
        var source = from.state_dict();
        var missing = new List<string>();
        using var _ = no_grad();
        foreach (var (name, tensor) in to.state_dict())
            if (source.TryGetValue(name, out var value)) tensor.copy_(value);
            else missing.Add(name);
        return missing;
    }

    [Theory]
    [InlineData(PositionEncoding.Learned)]
    [InlineData(PositionEncoding.None)]
    [InlineData(PositionEncoding.Relative)]
    public void A_built_model_has_the_counted_parameters(PositionEncoding positions)
    {
        var config = ByteFormerConfig.Preset("micro") with { MaxNumTokens = 64, Positions = positions };
        using var model = new ByteFormerModel(config);
        Assert.Equal(config.CountParameters().Total, model.parameters().Sum(p => p.numel()));
        var counts = config.CountParameters();
        Assert.Equal(positions == PositionEncoding.Learned ? 64 * 128 : 0, counts.PositionalTable);
        // micro: 6 blocks, 2 heads, windows of 32: 2 · 63 biases each.
        Assert.Equal(positions == PositionEncoding.Relative ? 6 * 2 * 63 : 0, counts.RelativePositions);
        Assert.Equal(positions == PositionEncoding.Learned, model.state_dict().ContainsKey("pos_embed.pos_embed.pos_embed"));
        Assert.Equal(positions == PositionEncoding.Relative, model.state_dict().ContainsKey("transformer.0.pre_norm_mha.1.relative_position_bias"));
    }

    [Fact]
    public void A_learned_table_of_zeros_and_a_relative_bias_of_zeros_compute_what_no_positions_compute()
    {
        using var none = new ByteFormerModel(Nano(PositionEncoding.None));
        using var learned = new ByteFormerModel(Nano(PositionEncoding.Learned));
        using var relative = new ByteFormerModel(Nano(PositionEncoding.Relative));
        Assert.Equal(["pos_embed.pos_embed.pos_embed"], CopyShared(none, learned));
        Assert.Equal(Enumerable.Range(0, 4).Select(i => $"transformer.{i}.pre_norm_mha.1.relative_position_bias"), CopyShared(none, relative));
        var reference = Logits(none);

        // With their own position weights, each computes something else: the weights are used.
        Assert.True(MaxDifference(reference, Logits(learned)) > 1e-3);
        Assert.True(MaxDifference(reference, Logits(relative)) > 1e-3);

        using (no_grad())
        {
            learned.state_dict()["pos_embed.pos_embed.pos_embed"].zero_();
            foreach (var (name, t) in relative.state_dict())
                if (name.EndsWith("relative_position_bias", StringComparison.Ordinal)) t.zero_();
        }
        Assert.True(MaxDifference(reference, Logits(learned)) < 1e-5);
        Assert.True(MaxDifference(reference, Logits(relative)) < 1e-5);
    }

    [Fact]
    public void A_relative_bias_depends_only_on_the_offset_between_query_and_key()
    {
        // Bias entry w − 1 + d is offset d: raising the entry of offset +3 in every block moves the logits, raising an
        // entry no window can use (offset 2w − 2 would need windows of w tokens where the longest real one is shorter)
        // does not.
        var config = Nano(PositionEncoding.Relative) with { WindowSizes = [64], WindowShifts = [0, 32, 0, 32] };
        using var model = new ByteFormerModel(config);
        var before = Logits(model);
        using (no_grad())
            model.state_dict()["transformer.3.pre_norm_mha.1.relative_position_bias"][0, 63 + 3].add_(1.0);
        Assert.True(MaxDifference(before, Logits(model)) > 1e-4);
        using (no_grad())
        {
            model.state_dict()["transformer.3.pre_norm_mha.1.relative_position_bias"][0, 63 + 3].sub_(1.0);
            // After two merges the 900-byte row has 900/4 → 224 → 56 tokens in block 3: offsets of 56 and more never occur.
            model.state_dict()["transformer.3.pre_norm_mha.1.relative_position_bias"][0, 63 + 60].add_(5.0);
        }
        Assert.True(MaxDifference(before, Logits(model)) < 1e-5);
    }

    [Theory]
    [InlineData(PositionEncoding.None)]
    [InlineData(PositionEncoding.Relative)]
    public void The_encoding_is_saved_in_the_model_file_and_the_loaded_model_computes_the_same(PositionEncoding positions)
    {
        using var dir = new TempDir();
        using var model = new ByteFormerModel(Nano(positions));
        var expected = Logits(model);
        ModelFile.Save(dir.File("m.safetensors"), model, ModelFile.DefaultLabels(10));
        using var loaded = ModelFile.Load(dir.File("m.safetensors"));
        var reloaded = Assert.IsType<ByteFormerModel>(loaded.Model);
        Assert.Equal(positions, reloaded.Config.Positions);
        Assert.True(MaxDifference(expected, Logits(reloaded)) < 1e-6);
    }

    [Fact]
    public void Configurations_written_before_the_option_read_as_learned_and_corenet_semantics_refuse_the_others()
    {
        var json = ByteFormerConfig.Preset("nano").ToJson();
        Assert.Contains("\"position_encoding\":\"learned\"", json);
        var old = json.Replace(",\"position_encoding\":\"learned\"", "");
        Assert.DoesNotContain("position_encoding", old);
        Assert.Equal(PositionEncoding.Learned, ByteFormerConfig.FromJson(old).Positions);
        Assert.Equal(PositionEncoding.Relative, ByteFormerConfig.FromJson(Nano(PositionEncoding.Relative).ToJson()).Positions);

        var error = Assert.Throws<ConfigurationException>(() =>
            (Nano(PositionEncoding.Relative) with { Semantics = AttentionSemantics.Corenet }).Validate());
        Assert.Contains("masked attention semantics", error.Message);
    }

    private static float MaxDifference(float[] a, float[] b) => a.Zip(b, (x, y) => Math.Abs(x - y)).Max();
}

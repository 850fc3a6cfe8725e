using ByteFormer.Interop;
using ByteFormer.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace ByteFormer.Tests.Model;

/// <summary>
/// The model in CoreNet semantics against the reference's golden outputs (small_small64). Tolerance 1e-4
/// absolute, as the fixture README suggests: float32-vs-float64 noise there is below 3e-6, while a wrong
/// padding, mask or merge order shows up as 1e-2 or more.
/// </summary>
public class CorenetParityTests
{
    private const double Tolerance = 1e-4;

    internal static ByteFormerModel SmallModel(NamedTensors weights)
    {
        var config = CorenetConfig.Load(Fixtures.Small("config.json"));
        var model = new ByteFormerModel(config);
        WeightLoader.Load(model, weights, "fixture");
        model.eval();
        return model;
    }

    public static TheoryData<string, string> CasesAndFormats()
    {
        var data = new TheoryData<string, string>();
        foreach (var c in new[] { "batch", "single_rand_0", "single_rand_1", "single_rand_2", "png", "batch_png_rand_0", "quirk_layernorm" })
        foreach (var f in new[] { "weights.pt", "weights.safetensors" })
            data.Add(c, f);
        return data;
    }

    [Theory]
    [MemberData(nameof(CasesAndFormats))]
    public void Logits_match_the_reference(string caseName, string weightsFile)
    {
        using var weights = weightsFile.EndsWith(".pt") ? TorchCheckpoint.Read(Fixtures.Small(weightsFile))
                                                         : Safetensors.Read(Fixtures.Small(weightsFile)).Tensors;
        using var model = SmallModel(weights);
        var inputs = Fixtures.Json(Fixtures.Small("inputs.json"));
        var expected = Fixtures.CaseLogits(Fixtures.Json(Fixtures.Small("logits.json")), caseName);
        var rows = Fixtures.CaseTokens(inputs, caseName);
        using var _ = no_grad();
        using var tokens = tensor(rows.SelectMany(r => r).ToArray(), [rows.Length, rows[0].Length]);
        using var logits = model.call(tokens);
        var actual = logits.data<float>().ToArray();
        var flatExpected = expected.SelectMany(r => r).ToArray();
        Assert.Equal(flatExpected.Length, actual.Length);
        var worst = flatExpected.Zip(actual, (e, a) => Math.Abs(e - a)).Max();
        Assert.True(worst <= Tolerance, $"{caseName}: max |logit - reference| = {worst:E2}");
    }

    [Theory]
    [InlineData("batch")]
    [InlineData("png")]
    public void Every_recorded_intermediate_matches_the_reference(string caseName)
    {
        using var weights = Safetensors.Read(Fixtures.Small("weights.safetensors")).Tensors;
        var (golden, _) = Safetensors.Read(Fixtures.Small("intermediates.safetensors"));
        using var __ = golden;
        using var model = SmallModel(weights);
        var recorded = new Dictionary<string, Tensor>();
        model.Tap = (name, t) => recorded[name] = t.detach().clone();
        var rows = Fixtures.CaseTokens(Fixtures.Json(Fixtures.Small("inputs.json")), caseName);
        using (no_grad())
        using (var tokens = tensor(rows.SelectMany(r => r).ToArray(), [rows.Length, rows[0].Length]))
            model.call(tokens).Dispose();

        var expectedNames = golden.Items.Where(kv => kv.Key.StartsWith(caseName + "/")).ToList();
        Assert.True(expectedNames.Count > 20, $"only {expectedNames.Count} intermediates recorded for {caseName}");
        foreach (var (fullName, expected) in expectedNames)
        {
            var name = fullName[(caseName.Length + 1)..];
            Assert.True(recorded.TryGetValue(name, out var actual), $"the port does not produce '{name}'");
            Assert.Equal(expected.shape, actual!.shape);
            var diff = expected.isinf().any().item<bool>()
                ? (expected.eq(actual).logical_not().sum().item<long>() > 0 ? double.PositiveInfinity : 0.0)
                : (expected - actual).abs().max().item<float>();
            Assert.True(diff <= Tolerance, $"{caseName}/{name}: max difference {diff:E2}");
        }
        foreach (var t in recorded.Values) t.Dispose();
    }

    [Fact]
    public void The_layernorm_quirk_case_needs_the_channel_first_branch()
    {
        // The reference's quirk case: with the quirk turned off the logits must move well past the tolerance,
        // so the parity test above really exercises the channel-first branch.
        using var weights = Safetensors.Read(Fixtures.Small("weights.safetensors")).Tensors;
        var config = CorenetConfig.Load(Fixtures.Small("config.json"));
        using var plain = new ByteFormerModel(config with { Semantics = AttentionSemantics.Masked });
        WeightLoader.Load(plain, weights, "fixture");
        plain.eval();
        var rows = Fixtures.CaseTokens(Fixtures.Json(Fixtures.Small("inputs.json")), "quirk_layernorm");
        var expected = Fixtures.CaseLogits(Fixtures.Json(Fixtures.Small("logits.json")), "quirk_layernorm")[0];
        using var _ = no_grad();
        using var tokens = tensor(rows[0], [1, rows[0].Length]);
        var actual = plain.call(tokens).data<float>().ToArray();
        Assert.True(expected.Zip(actual, (e, a) => Math.Abs(e - a)).Max() > 1e-2);
    }
}

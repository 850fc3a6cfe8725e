using ByteFormer.Inference;
using ByteFormer.Interop;
using ByteFormer.Model;
using ByteFormer.Onnx;
using ByteFormer.Tests.Cli;
using ByteFormer.Tests.Model;

namespace ByteFormer.Tests.Onnx;

/// <summary>
/// The exported ONNX graph on ONNX Runtime against the TorchSharp model: logits within 1e-4 for every bundled
/// ByteFormer and for the CoreNet fixture (CoreNet semantics), at lengths from 1 byte to the byte budget, each alone
/// and in batches of mixed lengths (where CoreNet semantics lets padding change logits, both backends must change
/// them alike).
/// </summary>
public class OnnxParityTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const float Tolerance = 1e-4f;

    public static TheoryData<string> BundledModels() => new("fashion-mnist-tiff", "fashion-mnist-images", "fashion-mnist-png-stored", "keywords-wav-int16-8k");

    [Theory]
    [MemberData(nameof(BundledModels))]
    public void Bundled_model_logits_match_TorchSharp(string name)
    {
        using var loaded = ModelFile.Load(OnnxTestModels.RepoFile($"models/{name}.safetensors"));
        AssertParity(loaded, extraLengths: []);
    }

    [Fact]
    public void Corenet_fixture_logits_match_TorchSharp_and_the_reference()
    {
        using var weights = Safetensors.Read(Fixtures.Small("weights.safetensors")).Tensors;
        var model = CorenetParityTests.SmallModel(weights);
        using var loaded = new LoadedModel(model, ModelFile.DefaultLabels(model.NClasses), new Dictionary<string, string>()) { Source = "fixture" };
        Assert.True(model.PaddingChangesLogits);
        // 508 and 1020 bytes give 127 and 255 conv tokens: the first merge's and the final norm's length is then 64,
        // the width, where CoreNet's LayerNorm takes its channel-first branch.
        AssertParity(loaded, extraLengths: [508, 509, 1020, 1023]);

        // The reference's own golden logits, the padded batch included, through ONNX Runtime.
        using var dir = new TempDir();
        OnnxExporter.Export(loaded, dir.File("fixture.onnx"));
        using var onnx = OnnxPredictor.Open(dir.File("fixture.onnx"));
        var inputs = Fixtures.Json(Fixtures.Small("inputs.json"));
        var golden = Fixtures.Json(Fixtures.Small("logits.json"));
        var worstGolden = 0f;
        foreach (var caseName in new[] { "batch", "single_rand_0", "png", "batch_png_rand_0", "quirk_layernorm" })
        {
            var rows = Fixtures.CaseTokens(inputs, caseName);
            var expected = Fixtures.CaseLogits(golden, caseName);
            var tokens = rows.SelectMany(r => r).ToArray();
            var actual = OnnxTestModels.RunCollated(onnx, tokens, rows.Length, rows[0].Length);
            for (var r = 0; r < rows.Length; r++)
                worstGolden = Math.Max(worstGolden, OnnxTestModels.AssertClose(expected[r],
                    actual.AsSpan(r * expected[r].Length, expected[r].Length).ToArray(), Tolerance, $"{caseName} row {r}"));
        }
        output.WriteLine($"ONNX Runtime against CoreNet's golden logits: max |Δlogit| {worstGolden:G3}");
    }

    [Fact]
    public void A_kernel_that_is_not_twice_its_stride_exports_as_embedding_then_conv()
    {
        // k = 7 has stride 3: the look-up shortcut needs k = 2·stride, so the graph takes the plain path.
        var config = ByteFormerConfig.Preset("nano") with { ConvKernelSize = 7, MaxNumTokens = 300 };
        using var loaded = new LoadedModel(new ByteFormerModel(config), ModelFile.DefaultLabels(config.NClasses), new Dictionary<string, string>());
        loaded.Model.eval();
        AssertParity(loaded, extraLengths: []);
    }

    [Theory]
    [InlineData(PositionEncoding.None)]
    [InlineData(PositionEncoding.Relative)]
    public void Models_without_the_learned_table_export_with_their_positions(PositionEncoding positions)
    {
        // Windows of 32 with shifts of 16: the relative bias meets short windows, padding and shifted-window masks.
        var config = ByteFormerConfig.Preset("nano") with { MaxNumTokens = 300, Positions = positions };
        using var model = new ByteFormerModel(config);
        using (TorchSharp.torch.no_grad())
            foreach (var (name, t) in model.state_dict())
                if (name.EndsWith("relative_position_bias", StringComparison.Ordinal)) t.normal_(0, 1);   // far from 0, so a wrong index shows
        using var loaded = new LoadedModel(model, ModelFile.DefaultLabels(config.NClasses), new Dictionary<string, string>()) { Source = positions.ToString() };
        loaded.Model.eval();
        AssertParity(loaded, extraLengths: []);
    }

    /// <summary>Logits of both backends at lengths 1, k − 1, k, k + 1, odd and even lengths between, and the budget, alone and mixed.</summary>
    private void AssertParity(LoadedModel loaded, int[] extraLengths)
    {
        var worst = 0f;
        void Check(float[] expected, float[] actual, string what) =>
            worst = Math.Max(worst, OnnxTestModels.AssertClose(expected, actual, Tolerance, what));
        using var dir = new TempDir();
        var path = dir.File("model.onnx");
        OnnxExporter.Export(loaded, path);
        using var onnx = OnnxPredictor.Open(path);
        using var torch = loaded.CreatePredictor();
        var k = torch.MinimumBytes;
        var budget = (int)torch.ByteBudget;
        // The full budget costs TorchSharp seconds on two shared cores, so it is run alone and in one pair only.
        int[] lengths = [1, k - 1, k, k + 1, 2 * k + 3, 777, 918, 4001, .. extraLengths, budget];
        var random = new Random(20);
        var samples = lengths.Where(l => l >= 1 && l <= budget).Distinct()
            .Select(l => (ReadOnlyMemory<byte>)Enumerable.Range(0, l).Select(_ => (byte)random.Next(256)).ToArray()).ToList();

        foreach (var sample in samples)
            Check(torch.Logits([sample]), onnx.Logits([sample]), $"{sample.Length} bytes alone");
        // Mixed lengths in one batch (padded to the longest), and the shortest beside the full budget.
        var shorter = samples.Where(s => s.Length < budget).ToList();
        Check(torch.Logits(shorter), onnx.Logits(shorter), "mixed batch");
        var withBudget = new List<ReadOnlyMemory<byte>> { samples[0], samples[^1] };
        Check(torch.Logits(withBudget), onnx.Logits(withBudget), "1 byte beside the full budget");

        // Predict agrees too (batching by length, softmax, top-k, notes) on the same inputs.
        var inputs = shorter.Select((s, i) => new ByteInput($"s{i}", s.ToArray(), s.Length)).ToList();
        var a = torch.Predict(inputs, topK: 3);
        var b = onnx.Predict(inputs, topK: 3);
        for (var i = 0; i < inputs.Count; i++)
        {
            Check(a[i].Logits, b[i].Logits, $"predict {inputs[i].Bytes.Length} bytes");
            Assert.Equal(a[i].Note, b[i].Note);
        }
        output.WriteLine($"{loaded.Source}: max |Δlogit| {worst:G3} over lengths {string.Join(", ", samples.Select(s => s.Length))}");
    }
}

/// <summary>Helpers for the ONNX tests.</summary>
internal static class OnnxTestModels
{
    public static string RepoFile(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "ByteFormer.slnx"))) return Path.Combine(dir.FullName, relative);
        throw new FileNotFoundException($"no checkout above {AppContext.BaseDirectory}");
    }

    /// <summary>Runs an already padded batch through a predictor's backend.</summary>
    public static float[] RunCollated(Predictor predictor, long[] tokens, int batch, int length)
    {
        // Logits() collates from bytes; a row padded with -1 is the same row cut at its first -1 and padded again.
        var samples = Enumerable.Range(0, batch).Select(r =>
        {
            var row = tokens.AsSpan(r * length, length).ToArray();
            var end = Array.IndexOf(row, -1L);
            return (ReadOnlyMemory<byte>)row.Take(end < 0 ? length : end).Select(v => (byte)v).ToArray();
        }).ToList();
        Assert.Equal(length, Math.Max(predictor.MinimumBytes, samples.Max(s => s.Length)));
        return predictor.Logits(samples);
    }

    /// <summary>Asserts every pair within <paramref name="tolerance"/>; returns the largest difference.</summary>
    public static float AssertClose(float[] expected, float[] actual, float tolerance, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        var worst = expected.Zip(actual, (e, a) => Math.Abs(e - a)).Max();
        Assert.True(worst <= tolerance, $"{what}: max |Δlogit| {worst:G3} > {tolerance:G3}");
        return worst;
    }
}

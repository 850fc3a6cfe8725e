using System.Text.Json;
using ByteFormer.Bytes;
using ByteFormer.Inference;
using ByteFormer.Model;
using ByteFormer.Onnx;
using ByteFormer.Tests.Cli;

namespace ByteFormer.Tests.Onnx;

/// <summary>
/// The ONNX export and backend as users meet them: <c>export --format onnx</c> and its refusals, <c>predict</c>,
/// <c>eval</c> and <c>bench</c> on a <c>.onnx</c> file, and the input contract enforced alike on both backends.
/// </summary>
public class OnnxCliTests
{
    private static readonly string TiffModel = OnnxTestModels.RepoFile("models/fashion-mnist-tiff.safetensors");
    private static readonly string TiffSamples = OnnxTestModels.RepoFile("samples/images/tiff");

    [Fact]
    public void Export_writes_an_onnx_model_that_predict_runs_as_the_model_file_runs()
    {
        using var dir = new TempDir();
        var export = CliRunner.Run("export", TiffModel, "--format", "onnx", "--out", dir.File("tiff.onnx"));
        Assert.True(export.ExitCode == 0, export.Err);
        Assert.Contains("ONNX opset 17", export.Out);
        Assert.True(OnnxModelFormat.IsOnnxFile(dir.File("tiff.onnx")));
        Assert.False(OnnxModelFormat.IsOnnxFile(TiffModel));

        var torch = CliRunner.Run("predict", TiffModel, TiffSamples, "-r", "--json", "--logits", "--top-k", "3");
        var onnx = CliRunner.Run("predict", dir.File("tiff.onnx"), TiffSamples, "-r", "--json", "--logits", "--top-k", "3");
        Assert.True(onnx.ExitCode == 0, onnx.Err);
        var a = JsonDocument.Parse(torch.Out).RootElement.EnumerateArray().ToList();
        var b = JsonDocument.Parse(onnx.Out).RootElement.EnumerateArray().ToList();
        Assert.Equal(10, b.Count);
        for (var i = 0; i < a.Count; i++)
        {
            Assert.Equal(a[i].GetProperty("file").GetString(), b[i].GetProperty("file").GetString());
            Assert.Equal(a[i].GetProperty("label").GetString(), b[i].GetProperty("label").GetString());
            OnnxTestModels.AssertClose(Floats(a[i].GetProperty("logits")), Floats(b[i].GetProperty("logits")), 1e-4f, a[i].GetProperty("file").GetString()!);
        }

        // The labels and the input contract travel in the ONNX model's metadata.
        using var predictor = Predictors.Open(dir.File("tiff.onnx"));
        using var loaded = ModelFile.Load(TiffModel);
        Assert.Equal("onnxruntime", predictor.Backend);
        Assert.Equal(loaded.Labels, predictor.Labels);
        var (expected, actual) = (loaded.Contract, predictor.Contract!);
        Assert.Equal((expected.Encodings.ToString(), expected.TransformSpec, expected.ByteBudget, expected.MinimumBytes, expected.ImageSize),
            (actual.Encodings.ToString(), actual.TransformSpec, actual.ByteBudget, actual.MinimumBytes, actual.ImageSize));
        Assert.Equal("tiff", actual.Encodings.ToString());
    }

    [Fact]
    public void Export_refuses_an_existing_file_without_force_a_pixel_model_and_an_unknown_format()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("taken.onnx"), "keep me");
        CliRunner.AssertCleanFailure(CliRunner.Run("export", TiffModel, "--format", "onnx", "--out", dir.File("taken.onnx")), "--force");
        Assert.Equal("keep me", File.ReadAllText(dir.File("taken.onnx")));
        var forced = CliRunner.Run("export", TiffModel, "--format", "onnx", "--out", dir.File("taken.onnx"), "--force");
        Assert.True(forced.ExitCode == 0, forced.Err);
        Assert.True(OnnxModelFormat.IsOnnxFile(dir.File("taken.onnx")) && new FileInfo(dir.File("taken.onnx")).Length > 1_000_000);

        CliRunner.AssertCleanFailure(CliRunner.Run("export", OnnxTestModels.RepoFile("models/fashion-mnist-pixel-vit.safetensors"),
            "--format", "onnx", "--out", dir.File("vit.onnx")), "only ByteFormer models export to ONNX");
        CliRunner.AssertCleanFailure(CliRunner.Run("export", TiffModel, "--format", "tflite", "--out", dir.File("x")), "--format must be one of model, onnx");
        CliRunner.AssertCleanFailure(CliRunner.Run("export", dir.File("missing.safetensors"), "--format", "onnx", "--out", dir.File("m.onnx")), "missing.safetensors");
        Assert.False(File.Exists(dir.File("vit.onnx")) || File.Exists(dir.File("m.onnx")));
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp*"));

        // A file that only looks like an ONNX model is one clear error on either verb.
        File.WriteAllBytes(dir.File("broken.onnx"), [8, 1, 2, 3, 4, 5]);
        CliRunner.AssertCleanFailure(CliRunner.Run("predict", dir.File("broken.onnx"), Path.Combine(TiffSamples, "shirt.tiff")), "not a readable ONNX model");
    }

    [Fact]
    public void A_keyed_model_is_refused_alike_on_both_backends_without_its_key_or_with_another()
    {
        using var dir = new TempDir();
        var key = BytePermutation.Generate();
        key.Save(dir.File("key.json"));
        BytePermutation.Generate().Save(dir.File("other.json"));
        TorchSharp.torch.manual_seed(3);
        using (var model = new ByteFormerModel(ByteFormerConfig.Preset("nano") with { MaxNumTokens = 64, NClasses = 2 }))
            ModelFile.Save(dir.File("keyed.safetensors"), model, ["a", "b"],
                new Dictionary<string, string> { [ModelMetadata.ByteTransforms] = ByteTransformPipeline.Create(permutation: key).Spec });
        var export = CliRunner.Run("export", dir.File("keyed.safetensors"), "--format", "onnx", "--out", dir.File("keyed.onnx"));
        Assert.True(export.ExitCode == 0, export.Err);
        File.WriteAllBytes(dir.File("f.bin"), Enumerable.Range(0, 200).Select(i => (byte)(i * 7)).ToArray());

        foreach (var path in new[] { dir.File("keyed.safetensors"), dir.File("keyed.onnx") })
        {
            var noKey = Assert.Throws<ByteFormerException>(() => Predictors.Open(path)).Message;
            Assert.Contains("trained on permuted bytes", noKey);
            Assert.Contains("wrong key", Assert.Throws<ByteFormerException>(() =>
                Predictors.Open(path, new PredictorOptions { Key = BytePermutation.Load(dir.File("other.json")) })).Message);
            Assert.Equal($"byteformer: error: {noKey}", CliRunner.Run("predict", path, dir.File("f.bin")).Err.Trim());
        }
        using var torch = Predictors.Open(dir.File("keyed.safetensors"), new PredictorOptions { Key = key });
        using var onnx = Predictors.Open(dir.File("keyed.onnx"), new PredictorOptions { Key = key });
        using var server = Predictors.Open(dir.File("keyed.onnx"), new PredictorOptions { PrePermuted = true });
        var input = torch.ReadFile(dir.File("f.bin"));
        var expected = torch.Predict([input])[0].Logits;
        OnnxTestModels.AssertClose(expected, onnx.Predict([input])[0].Logits, 1e-4f, "keyed, with the key");
        var sent = new ByteInput("sent", key.Permute(input.Bytes), input.OriginalLength);
        OnnxTestModels.AssertClose(expected, server.Predict([sent])[0].Logits, 1e-4f, "keyed, pre-permuted");
    }

    [Fact]
    public void Eval_and_bench_take_an_onnx_model()
    {
        using var dir = new TempDir();
        // A class folder per sample: DIR/<label>/<file>, labelled as the model's classes.
        foreach (var file in Directory.GetFiles(TiffSamples))
        {
            var label = Path.GetFileNameWithoutExtension(file);
            Directory.CreateDirectory(dir.File($"data/{label}"));
            File.Copy(file, dir.File($"data/{label}/{label}.tiff"));
        }
        Assert.Equal(0, CliRunner.Run("export", TiffModel, "--format", "onnx", "--out", dir.File("tiff.onnx")).ExitCode);
        var torch = CliRunner.Run("eval", TiffModel, dir.File("data"), "--json");
        var onnx = CliRunner.Run("eval", dir.File("tiff.onnx"), dir.File("data"), "--json");
        Assert.True(onnx.ExitCode == 0, onnx.Err);
        var a = JsonDocument.Parse(torch.Out).RootElement;
        var b = JsonDocument.Parse(onnx.Out).RootElement;
        Assert.Equal(a.GetProperty("top1").GetDouble(), b.GetProperty("top1").GetDouble());
        Assert.Equal(1.0, b.GetProperty("top1").GetDouble());                  // the README: all ten TIFF samples right
        Assert.Equal(a.GetProperty("loss").GetDouble(), b.GetProperty("loss").GetDouble(), 4);

        var bench = CliRunner.Run("bench", "--model", TiffModel, "--samples", TiffSamples, "--model-only", "--json", "--seconds", "0.2");
        Assert.True(bench.ExitCode == 0, bench.Err);
        var json = JsonDocument.Parse(bench.Out).RootElement;
        foreach (var key in new[] { "model_latency_p50_ms", "model_files_per_s_batched", "onnx_latency_p50_ms", "onnx_files_per_s_batched", "onnx_latency_p50_ms_all_threads" })
            Assert.True(json.GetProperty(key).GetDouble() > 0, key);
        var onnxOnly = CliRunner.Run("bench", "--model", dir.File("tiff.onnx"), "--samples", TiffSamples, "--model-only", "--json", "--seconds", "0.2");
        Assert.True(onnxOnly.ExitCode == 0, onnxOnly.Err);
        var keys = JsonDocument.Parse(onnxOnly.Out).RootElement.EnumerateObject().Select(p => p.Name).ToList();
        Assert.Contains("onnx_latency_p50_ms", keys);
        Assert.DoesNotContain("model_latency_p50_ms", keys);
    }

    private static float[] Floats(JsonElement array) => array.EnumerateArray().Select(v => v.GetSingle()).ToArray();
}

using System.Text.Json;
using ByteFormer.Inference;
using ByteFormer.Model;

namespace ByteFormer.Tests.Cli;

public class BenchCommandTests
{
    [Fact]
    public void Model_only_times_a_model_file_on_its_samples()
    {
        using var dir = new TempDir();
        TorchSharp.torch.manual_seed(1);
        using (var model = new ByteFormerModel(ByteFormerConfig.Preset("nano") with { MaxNumTokens = 64, NClasses = 2 }))
            ModelFile.Save(dir.File("m.safetensors"), model, ["a", "b"]);
        Directory.CreateDirectory(dir.File("s"));
        File.WriteAllBytes(dir.File("s/1.bin"), Enumerable.Range(0, 100).Select(i => (byte)i).ToArray());
        var r = CliRunner.Run("bench", "--model", dir.File("m.safetensors"), "--samples", dir.File("s"), "--model-only", "--json", "--seconds", "0.2");
        Assert.True(r.ExitCode == 0, r.Err);
        var json = JsonDocument.Parse(r.Out).RootElement;
        foreach (var key in new[] { "model_latency_p50_ms", "model_files_per_s_batched", "model_latency_p50_ms_all_threads" })
            Assert.True(json.GetProperty(key).GetDouble() > 0, key);
        CliRunner.AssertCleanFailure(CliRunner.Run("bench", "--model-only"), "--model needs --samples");
    }
}

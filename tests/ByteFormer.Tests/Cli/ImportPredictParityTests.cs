using System.Text.Json.Nodes;

namespace ByteFormer.Tests.Cli;

/// <summary>The parity of CorenetParityTests, end to end: weights through 'byteformer import', inputs as files
/// through 'byteformer predict --logits --json'. Each file is classified alone, so it must equal the
/// reference's single-sequence cases.</summary>
public class ImportPredictParityTests
{
    [Theory]
    [InlineData("weights.pt")]
    [InlineData("weights.safetensors")]
    public void Imported_model_predicts_the_reference_logits_from_files(string weightsFile)
    {
        using var dir = new TempDir();
        var model = dir.File("small64.safetensors");
        var import = CliRunner.Run("import", Fixtures.Small(weightsFile), "--corenet-config", Fixtures.Small("config.json"), "--out", model);
        Assert.True(import.ExitCode == 0, import.Err);
        Assert.Contains("61 tensors", import.Out);

        var inputs = Fixtures.Json(Fixtures.Small("inputs.json"));
        var logits = Fixtures.Json(Fixtures.Small("logits.json"));
        var cases = new Dictionary<string, string>
        {
            ["rand_0"] = "single_rand_0", ["rand_1"] = "single_rand_1", ["rand_2"] = "single_rand_2",
            ["png"] = "png", ["quirk_len_512"] = "quirk_layernorm",
        };
        var files = new List<string>();
        foreach (var sequence in cases.Keys)
        {
            var path = dir.File(sequence + (sequence == "png" ? ".png" : ".bin"));
            File.WriteAllBytes(path, Fixtures.SequenceBytes(inputs, sequence));
            files.Add(path);
        }

        var predict = CliRunner.Run(["predict", model, .. files, "--logits", "--json"]);
        Assert.True(predict.ExitCode == 0, predict.Err);
        var rows = JsonNode.Parse(predict.Out)!.AsArray();
        Assert.Equal(files.Count, rows.Count);
        foreach (var (row, sequence) in rows.Zip(cases.Keys))
        {
            Assert.EndsWith(sequence + (sequence == "png" ? ".png" : ".bin"), row!["file"]!.GetValue<string>());
            var expected = Fixtures.CaseLogits(logits, cases[sequence])[0];
            var actual = row["logits"]!.AsArray().Select(v => v!.GetValue<float>()).ToArray();
            Assert.Equal(expected.Length, actual.Length);
            var worst = expected.Zip(actual, (e, a) => Math.Abs(e - a)).Max();
            Assert.True(worst <= 1e-4, $"{sequence}: max |logit - reference| = {worst:E2}");
            var argmax = Array.IndexOf(expected, expected.Max());
            Assert.Equal(argmax, row["index"]!.GetValue<int>());
        }
    }
}

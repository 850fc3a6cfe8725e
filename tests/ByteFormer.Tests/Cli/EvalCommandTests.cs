using ByteFormer.Tests.Audio;

namespace ByteFormer.Tests.Cli;

/// <summary>The eval verb on Speech Commands sets and joint models.</summary>
public class EvalCommandTests
{
    [Fact]
    public void Eval_by_voice_splits_the_score_by_the_voices_of_a_synthesized_set()
    {
        using var dir = new TempDir();
        var root = SpeechCommandsDatasetTests.MakeSet(dir);
        var train = CliRunner.Run("train", "--data", root, "--encoding", "mulaw@8k", "--preset", "nano", "--kernel", "32", "--max-tokens", "600",
            "--epochs", "1", "--batch-size", "8", "--threads", "1", "--run-dir", dir.File("run"));
        Assert.True(train.ExitCode == 0, train.Err);
        var model = dir.File("run/model.safetensors");
        CliRunner.AssertCleanFailure(CliRunner.Run("eval", model, root, "--by-voice"), "voices.tsv");
        File.WriteAllLines(Path.Combine(root, "voices.tsv"),
            ["speaker\tengine\tvoice\tsplit", "spk0\tespeak-ng\ten-us\ttrain", "spk1\tespeak-ng\ten-gb\ttrain", "spk2\tespeak-ng\ten-029\ttrain", "spk3\tflite\tawb\ttest"]);
        CliRunner.AssertCleanFailure(CliRunner.Run("eval", model, root, "--by-voice", "--limit", "5"), "leave out --limit");

        foreach (var split in new[] { "test", "train" })
        {
            var r = CliRunner.Run("eval", model, root, "--by-voice", "--split", split, "--json");
            Assert.True(r.ExitCode == 0, r.Err);
            var json = System.Text.Json.JsonDocument.Parse(r.Out).RootElement;
            var groups = json.GetProperty("by_voice").EnumerateArray()
                .ToDictionary(g => g.GetProperty("voice").GetString()!, g => (Clips: g.GetProperty("clips").GetInt32(), Top1: g.GetProperty("top1").GetDouble()));
            Assert.Equal(json.GetProperty("samples").GetInt32(), groups.Values.Sum(g => g.Clips));
            Assert.Equal(json.GetProperty("top1").GetDouble() * groups.Values.Sum(g => g.Clips), groups.Values.Sum(g => g.Top1 * g.Clips), 6);
            Assert.Contains("_silence_ (background noise)", groups.Keys);
            if (split == "test") Assert.Equal(11, groups["flite awb"].Clips);       // 10 commands and one unknown word
            else Assert.Equal(["_silence_ (background noise)", "espeak-ng (3 voices)"], groups.Keys.Order(StringComparer.Ordinal));
        }
    }

    [Fact]
    public void Eval_finds_each_data_set_s_encoding_in_a_joint_image_and_audio_model()
    {
        using var dir = new TempDir();
        var root = SpeechCommandsDatasetTests.MakeSet(dir);
        var train = CliRunner.Run("train", "--data", "fashion-mnist", "--encoding", "tiff", "--data", root, "--encoding", "mulaw@8k",
            "--train-limit", "24", "--test-limit", "12", "--preset", "nano", "--kernel", "32", "--max-tokens", "600",
            "--epochs", "1", "--batch-size", "8", "--threads", "1", "--run-dir", dir.File("run"));
        Assert.True(train.ExitCode == 0, train.Err);
        var model = dir.File("run/model.safetensors");
        var moved = dir.File("elsewhere");
        Directory.Move(root, moved);                        // another folder name: the audio part is found by its kind
        foreach (var (data, samples) in new[] { ("fashion-mnist", 16), (moved, 12) })
        {
            var r = CliRunner.Run("eval", model, data, "--limit", $"{samples}", "--json");
            Assert.True(r.ExitCode == 0, r.Err);
            var json = System.Text.Json.JsonDocument.Parse(r.Out).RootElement;
            Assert.Equal(samples, json.GetProperty("samples").GetInt32());
            Assert.Equal(10 + 12, json.GetProperty("classes").GetArrayLength());
        }
        var given = CliRunner.Run("eval", model, moved, "--encoding", "wav-uint8@8k", "--limit", "12");   // as long as μ-law
        Assert.True(given.ExitCode == 0, given.Err);
    }
}

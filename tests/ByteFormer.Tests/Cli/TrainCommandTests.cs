using System.Text.Json;
using ByteFormer.Bytes;
using ByteFormer.Inference;

namespace ByteFormer.Tests.Cli;

/// <summary>The train verb and the verbs around a run (export, compare, predict and eval of its model), through the CLI.</summary>
[Collection(nameof(ByteFormer.Tests.Training.TrainingTests))]
public class TrainCommandTests
{
    [Fact]
    public void Training_on_a_folder_reports_skipped_files_and_a_bad_folder_cleanly()
    {
        using var dir = new TempDir();
        foreach (var split in new[] { "train", "test" })
            for (var c = 0; c < 2; c++)
            {
                Directory.CreateDirectory(dir.File($"data/{split}/c{c}"));
                for (var i = 0; i < 8; i++)
                    File.WriteAllBytes(dir.File($"data/{split}/c{c}/{i}.bin"), Enumerable.Range(0, 40).Select(j => (byte)(c * 100 + i + j)).ToArray());
            }
        File.WriteAllBytes(dir.File("data/train/c0/empty.bin"), []);
        File.CreateSymbolicLink(dir.File("data/train/c1/broken.bin"), dir.File("nowhere"));
        var r = CliRunner.Run("train", "--data", dir.File("data"), "--preset", "nano", "--max-tokens", "64", "--epochs", "1",
            "--batch-size", "4", "--run-dir", dir.File("run"));
        Assert.True(r.ExitCode == 0, r.Err);
        Assert.Contains("skipped 1 empty and 1 unreadable files", r.Err);
        Assert.True(File.Exists(dir.File("run/model.safetensors")));

        // Resuming (here a finished run) keeps the command that started the run in the model file.
        var resumed = CliRunner.Run("train", "--run-dir", dir.File("run"), "--resume");
        Assert.True(resumed.ExitCode == 0, resumed.Err);
        var reloaded = ModelFile.Load(dir.File("run/model.safetensors"));
        using (reloaded.Model)
            Assert.StartsWith("byteformer train --data " + dir.File("data") + " --preset nano", reloaded.Metadata["byteformer.train_command"]);

        var compared = CliRunner.Run("compare", dir.File("run"), "--out", dir.File("cmp/all"));
        Assert.True(compared.ExitCode == 0, compared.Err);
        var summary = System.Text.Json.JsonDocument.Parse(File.ReadAllText(dir.File("cmp/all.json"))).RootElement[0];
        Assert.Equal(1, summary.GetProperty("epochs").GetInt32());
        Assert.Equal("data", summary.GetProperty("label").GetString());
        Assert.True(new FileInfo(dir.File("cmp/all.png")).Length > 1000);
        CliRunner.AssertCleanFailure(CliRunner.Run("compare", dir.File("data")), "no metrics.jsonl");

        // A privacy-camera run beside it: the label names the transform, and --against draws the keep-fraction curve.
        var kept = CliRunner.Run("train", "--data", dir.File("data"), "--preset", "nano", "--max-tokens", "64", "--epochs", "1",
            "--batch-size", "4", "--keep-fraction", "0.5", "--run-dir", dir.File("run-half"));
        Assert.True(kept.ExitCode == 0, kept.Err);
        var curve = CliRunner.Run("compare", dir.File("run-half"), dir.File("run"), "--against", "keep-fraction", "--out", dir.File("cmp/keep"));
        Assert.True(curve.ExitCode == 0, curve.Err);
        var rows = System.Text.Json.JsonDocument.Parse(File.ReadAllText(dir.File("cmp/keep.json"))).RootElement;
        Assert.Equal("data, keep 0.5", rows[0].GetProperty("label").GetString());
        Assert.Equal([0.5, 1.0], rows.EnumerateArray().Select(r => r.GetProperty("keep_fraction").GetDouble()));
        Assert.True(new FileInfo(dir.File("cmp/keep.png")).Length > 1000);

        CliRunner.AssertCleanFailure(CliRunner.Run("train", "--data", dir.File("data"), "--speed-perturb", "0.1", "--run-dir", dir.File("run3")),
            "--speed-perturb is for audio");
        CliRunner.AssertCleanFailure(CliRunner.Run("train", "--data", dir.File("data"), "--speed-perturb", "0.7", "--run-dir", dir.File("run3")),
            "takes R in (0, 0.5)");
        Assert.False(Directory.Exists(dir.File("run3")));

        Directory.CreateDirectory(dir.File("data/train/c2"));
        var bad = CliRunner.Run("train", "--data", dir.File("data"), "--preset", "nano", "--epochs", "1", "--run-dir", dir.File("run2"));
        CliRunner.AssertCleanFailure(bad, "c2: class folder holds no");
    }

    [Fact]
    public void Train_takes_several_data_sets_and_reports_each()
    {
        using var dir = new TempDir();
        ByteFormer.Tests.Data.JoinedDataTests.MakeFolders(dir, "first", 0);
        ByteFormer.Tests.Data.JoinedDataTests.MakeFolders(dir, "second", 120);
        var r = CliRunner.Run("train", "--data", dir.File("first"), "--encoding", "none", "--data", dir.File("second"), "--encoding", "none",
            "--preset", "nano", "--max-tokens", "64", "--epochs", "1", "--batch-size", "4", "--run-dir", dir.File("run"));
        Assert.True(r.ExitCode == 0, r.Err);
        Assert.Contains("first: test top-1", r.Out);
        Assert.Contains("second: test top-1", r.Out);
        var info = CliRunner.Run("info", dir.File("run/model.safetensors"), "--json");
        Assert.Contains("second/c1", info.Out);
        CliRunner.AssertCleanFailure(CliRunner.Run("train", "--data", dir.File("first"), "--data", dir.File("second"), "--run-dir", dir.File("r2")),
            "2 --data need 2 --encoding");
    }

    [Fact]
    public void Train_and_eval_commands_work_end_to_end_on_folders()
    {
        using var dir = new TempDir();
        var data = dir.File("fm");
        Assert.Equal(0, CliRunner.Run("data", "fashion-mnist", "--encoding", "tiff", "--out", data, "--limit", "64").ExitCode);
        var run = dir.File("run");
        var train = CliRunner.Run("train", "--data", data, "--preset", "nano", "--max-tokens", "256", "--epochs", "1",
            "--batch-size", "16", "--run-dir", run, "--out", dir.File("m.safetensors"));
        Assert.True(train.ExitCode == 0, train.Err);
        Assert.True(File.Exists(Path.Combine(run, "checkpoint.zip")));
        var again = CliRunner.Run("train", "--data", data, "--preset", "nano", "--epochs", "1", "--run-dir", run);
        CliRunner.AssertCleanFailure(again, "already holds a run");

        var eval = CliRunner.Run("eval", dir.File("m.safetensors"), Path.Combine(data, "test"), "--json", "--report", dir.File("report"));
        Assert.True(eval.ExitCode == 0, eval.Err);
        var json = System.Text.Json.Nodes.JsonNode.Parse(eval.Out)!;
        Assert.Equal(64, json["samples"]!.GetValue<int>());
        Assert.Equal(10, json["confusion"]!.AsArray().Count);
        Assert.Equal(64, json["confusion"]!.AsArray().Sum(r => r!.AsArray().Sum(v => v!.GetValue<int>())));
        Assert.True(File.Exists(dir.File("report/confusion.png")));
    }

    [Fact]
    public void Export_writes_the_weights_training_saved_unless_told_raw_or_ema()
    {
        using var dir = new TempDir();
        ByteFormer.Tests.Data.ByteTransformTests.MakeFolders(dir);
        var r = CliRunner.Run("train", "--data", dir.File("data"), "--preset", "nano", "--max-tokens", "64", "--epochs", "1",
            "--batch-size", "4", "--ema", "0.5", "--run-dir", dir.File("run"));
        Assert.True(r.ExitCode == 0, r.Err);
        Assert.Equal(0, CliRunner.Run("export", dir.File("run"), "--weights", "ema", "--out", dir.File("ema.safetensors")).ExitCode);
        Assert.Equal(0, CliRunner.Run("export", dir.File("run"), "--weights", "raw", "--out", dir.File("raw.safetensors")).ExitCode);
        Assert.Equal(0, CliRunner.Run("export", dir.File("run"), "--out", dir.File("default.safetensors")).ExitCode);
        string Logits(string model) =>
            JsonDocument.Parse(CliRunner.Run("predict", model, dir.File("data/test/c1/3.bin"), "--json", "--logits").Out).RootElement[0].GetProperty("logits").ToString();
        using var saved = ModelFile.Load(dir.File("run/model.safetensors"));
        var chosen = saved.Metadata[ModelMetadata.Weights];
        Assert.Contains(chosen, new[] { "raw", "ema" });
        Assert.Contains($"saved the {(chosen == "ema" ? "EMA" : "raw")} weights", r.Out + r.Err);
        // train and export agree: the default export is the run's model; the named ones are what they say.
        Assert.Equal(Logits(dir.File("run/model.safetensors")), Logits(dir.File("default.safetensors")));
        Assert.Equal(Logits(dir.File("run/model.safetensors")), Logits(dir.File($"{chosen}.safetensors")));
        Assert.NotEqual(Logits(dir.File("ema.safetensors")), Logits(dir.File("raw.safetensors")));
        CliRunner.AssertCleanFailure(CliRunner.Run("export", dir.File("data"), "--out", dir.File("x.safetensors")), "no finished run");
    }

    [Fact]
    public void A_model_trained_on_permuted_bytes_refuses_plain_bytes_and_a_wrong_key_and_agrees_with_pre_permuted_files()
    {
        using var dir = new TempDir();
        ByteFormer.Tests.Data.ByteTransformTests.MakeFolders(dir);
        Assert.Equal(0, CliRunner.Run("keygen", "--out", dir.File("key.json")).ExitCode);
        Assert.Equal(0, CliRunner.Run("keygen", "--out", dir.File("other.json")).ExitCode);
        CliRunner.AssertCleanFailure(CliRunner.Run("keygen", "--out", dir.File("key.json")), "never overwritten");
        var r = CliRunner.Run("train", "--data", dir.File("data"), "--preset", "nano", "--max-tokens", "64", "--epochs", "1",
            "--batch-size", "4", "--byte-permutation", dir.File("key.json"), "--run-dir", dir.File("run"));
        Assert.True(r.ExitCode == 0, r.Err);
        var model = dir.File("run/model.safetensors");
        var file = dir.File("data/test/c1/3.bin");

        CliRunner.AssertCleanFailure(CliRunner.Run("predict", model, file), "trained on permuted bytes");
        CliRunner.AssertCleanFailure(CliRunner.Run("predict", model, file, "--byte-permutation", dir.File("other.json")), "wrong key");
        File.WriteAllText(dir.File("broken.json"), "{\"format\":\"byteformer-byte-permutation/1\",\"table\":[]}");
        CliRunner.AssertCleanFailure(CliRunner.Run("predict", model, file, "--byte-permutation", dir.File("broken.json")), "corrupt key file");
        CliRunner.AssertCleanFailure(CliRunner.Run("eval", model, dir.File("data/test")), "trained on permuted bytes");

        var withKey = CliRunner.Run("predict", model, file, "--byte-permutation", dir.File("key.json"), "--json", "--logits");
        Assert.True(withKey.ExitCode == 0, withKey.Err);
        var permuted = CliRunner.Run("permute", file, "--byte-permutation", dir.File("key.json"), "--out", dir.File("sent"));
        Assert.True(permuted.ExitCode == 0, permuted.Err);
        Assert.Equal(BytePermutation.Load(dir.File("key.json")).Permute(File.ReadAllBytes(file)), File.ReadAllBytes(dir.File("sent/3.bin")));
        var server = CliRunner.Run("predict", model, dir.File("sent/3.bin"), "--pre-permuted", "--json", "--logits");
        Assert.True(server.ExitCode == 0, server.Err);
        static JsonElement Logits(string json) => JsonDocument.Parse(json).RootElement[0].GetProperty("logits");
        Assert.Equal(Logits(withKey.Out).ToString(), Logits(server.Out).ToString());

        var evaluated = CliRunner.Run("eval", model, dir.File("data/test"), "--byte-permutation", dir.File("key.json"), "--json");
        Assert.True(evaluated.ExitCode == 0, evaluated.Err);
        Assert.Equal(16, JsonDocument.Parse(evaluated.Out).RootElement.GetProperty("samples").GetInt32());
    }
}

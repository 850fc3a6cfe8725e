using System.Diagnostics;
using ByteFormer.Inference;
using ByteFormer.Tests.Cli;

namespace ByteFormer.Tests.Robustness;

/// <summary>Named pipes, endless input, files that are already there, and a run stopped by SIGTERM.</summary>
[Collection(nameof(ByteFormer.Tests.Training.TrainingTests))]
public class CarelessInputTests
{
    private static readonly string Bundled = Repo.File("models/fashion-mnist-tiff.safetensors");

    private static void MakeFifo(string path)
    {
        using var mkfifo = Process.Start(new ProcessStartInfo("mkfifo", path) { UseShellExecute = false })!;
        mkfifo.WaitForExit();
        Assert.Equal(0, mkfifo.ExitCode);
    }

    [Fact]
    public void A_named_pipe_is_refused_as_a_file_and_skipped_in_a_folder_instead_of_waiting_forever()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.File("in"));
        MakeFifo(dir.File("in/pipe"));
        File.Copy(Repo.File("samples/images/tiff/bag.tiff"), dir.File("in/bag.tiff"));
        var alone = Task.Run(() => CliRunner.Run("predict", Bundled, dir.File("in/pipe")));
        Assert.True(alone.Wait(TimeSpan.FromSeconds(60)), "predict waited on a named pipe");
        Assert.NotEqual(0, alone.Result.ExitCode);
        Assert.Contains("a named pipe, not a regular file", alone.Result.Err);

        var walked = Task.Run(() => CliRunner.Run("predict", Bundled, dir.File("in"), "-r", "--json"));
        Assert.True(walked.Wait(TimeSpan.FromSeconds(60)), "predict -r waited on a named pipe");
        Assert.Equal(0, walked.Result.ExitCode);
        Assert.Contains("pipe: a named pipe, not a regular file; skipped", walked.Result.Err);
        Assert.Contains("bag.tiff", walked.Result.Out);
    }

    [Fact]
    public void Training_skips_a_named_pipe_in_its_folder_and_says_so()
    {
        using var dir = new TempDir();
        ByteFormer.Tests.Data.ByteTransformTests.MakeFolders(dir);
        MakeFifo(dir.File("data/train/c0/pipe"));
        var run = Task.Run(() => CliRunner.Run("train", "--data", dir.File("data"), "--preset", "nano", "--max-tokens", "64", "--epochs", "1",
            "--batch-size", "4", "--run-dir", dir.File("run")));
        Assert.True(run.Wait(TimeSpan.FromSeconds(120)), "train waited on a named pipe");
        Assert.True(run.Result.ExitCode == 0, run.Result.Err);
        Assert.Contains("1 special files or repeated folders", run.Result.Err);
    }

    /// <summary>A stream that never ends (as `yes |` or /dev/zero on standard input).</summary>
    private sealed class EndlessStream : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) { Array.Fill(buffer, (byte)'y', offset, count); return count; }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    [Fact]
    public void An_endless_standard_input_is_read_to_a_bound_and_the_note_says_it_was_longer()
    {
        using var model = ModelFile.Load(Bundled);
        var predictor = model.CreatePredictor();
        var input = Task.Run(() => predictor.ReadStream(new EndlessStream(), "-"));
        Assert.True(input.Wait(TimeSpan.FromSeconds(60)), "an endless stream was read forever");
        Assert.True(input.Result.LengthIsLowerBound);
        Assert.Equal(predictor.ByteBudget, input.Result.Bytes.Length);
        Assert.Contains("of more than", predictor.Predict([input.Result])[0].Note);
    }

    [Fact]
    public void No_out_is_replaced_without_force()
    {
        using var dir = new TempDir();
        ByteFormer.Tests.Data.ByteTransformTests.MakeFolders(dir);
        var trained = CliRunner.Run("train", "--data", dir.File("data"), "--preset", "nano", "--max-tokens", "64", "--epochs", "1",
            "--batch-size", "4", "--run-dir", dir.File("run"));
        Assert.True(trained.ExitCode == 0, trained.Err);
        var existing = dir.File("there.safetensors");
        File.WriteAllText(existing, "keep me");
        var cases = new[]
        {
            new[] { "import", Fixtures.Small("weights.safetensors"), "--corenet-config", Fixtures.Small("config.json"), "--out", existing },
            ["export", dir.File("run"), "--out", existing],
            ["train", "--data", dir.File("data"), "--preset", "nano", "--max-tokens", "64", "--epochs", "1", "--batch-size", "4",
                "--run-dir", dir.File("run2"), "--out", existing],
        };
        foreach (var args in cases)
        {
            CliRunner.AssertCleanFailure(CliRunner.Run(args), "add --force to replace it");
            Assert.Equal("keep me", File.ReadAllText(existing));
        }
        Assert.False(Directory.Exists(dir.File("run2")));                        // refused before the run started
        File.WriteAllText(dir.File("cmp.json"), "keep me");
        CliRunner.AssertCleanFailure(CliRunner.Run("compare", dir.File("run"), "--out", dir.File("cmp")), "cmp.json already exists");
        Directory.CreateDirectory(dir.File("report"));
        File.WriteAllText(dir.File("report/eval.json"), "keep me");
        CliRunner.AssertCleanFailure(CliRunner.Run("eval", dir.File("run/model.safetensors"), dir.File("data/test"), "--report", dir.File("report")), "eval.json already exists");
        Assert.Equal("keep me", File.ReadAllText(dir.File("report/eval.json")));

        // --force is the way to say so.
        var forced = CliRunner.Run("export", dir.File("run"), "--out", existing, "--force");
        Assert.True(forced.ExitCode == 0, forced.Err);
        using var model = ModelFile.Load(existing);
    }

    [Fact]
    public void A_new_run_never_replaces_an_earlier_runs_results_in_a_folder_without_a_checkpoint()
    {
        using var dir = new TempDir();
        ByteFormer.Tests.Data.ByteTransformTests.MakeFolders(dir);
        string[] train = ["train", "--data", dir.File("data"), "--preset", "nano", "--max-tokens", "64", "--epochs", "1", "--batch-size", "4", "--run-dir", dir.File("run")];
        Assert.Equal(0, CliRunner.Run(train).ExitCode);
        File.Delete(dir.File("run/checkpoint.zip"));
        var before = File.ReadAllBytes(dir.File("run/model.safetensors"));
        CliRunner.AssertCleanFailure(CliRunner.Run(train), "holds an earlier run's model.safetensors and metrics.jsonl");
        Assert.Equal(before, File.ReadAllBytes(dir.File("run/model.safetensors")));
    }

    [Fact]
    public void Sigterm_stops_training_with_a_checkpoint_that_resumes()
    {
        using var dir = new TempDir();
        var cli = Path.Combine(AppContext.BaseDirectory, "byteformer");
        Assert.True(File.Exists(cli), $"{cli} is missing (the CLI project's output beside the tests)");
        var start = new ProcessStartInfo(cli, ["train", "--data", "fashion-mnist", "--encoding", "tiff", "--train-limit", "4000", "--test-limit", "64",
            "--preset", "nano", "--max-tokens", "256", "--epochs", "1", "--batch-size", "8", "--checkpoint-every", "0", "--run-dir", dir.File("run")])
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        using var process = Process.Start(start)!;
        var stderr = new System.Text.StringBuilder();
        var stepped = new TaskCompletionSource();
        process.ErrorDataReceived += (_, e) => { if (e.Data is { } line) { lock (stderr) stderr.AppendLine(line); if (line.Contains("step 1/")) stepped.TrySetResult(); } };
        process.OutputDataReceived += (_, e) => { if (e.Data is { } line) { lock (stderr) stderr.AppendLine(line); if (line.Contains("step 1/")) stepped.TrySetResult(); } };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        Assert.True(stepped.Task.Wait(TimeSpan.FromSeconds(120)), "training did not start: " + stderr);
        Thread.Sleep(3000);                                                        // a few steps in
        using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString()])) kill.WaitForExit();
        Assert.True(process.WaitForExit(60_000), "SIGTERM did not stop the run");
        Assert.Equal(143, process.ExitCode);
        Assert.Contains("checkpoint saved", stderr.ToString());
        Assert.True(File.Exists(dir.File("run/checkpoint.zip")));
        Assert.Empty(Directory.GetFiles(dir.File("run"), "*.tmp"));
        var header = ByteFormer.Training.Checkpoint.ReadHeader(dir.File("run/checkpoint.zip"));
        Assert.NotNull(header);
    }
}

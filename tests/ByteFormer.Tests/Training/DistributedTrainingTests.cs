using System.Diagnostics;
using ByteFormer.Cli.Commands;
using ByteFormer.Inference;
using ByteFormer.Tests.Cli;
using ByteFormer.Training;
using ByteFormer.Training.Distributed;

namespace ByteFormer.Tests.Training;

/// <summary>Data-parallel training under mpirun (two ranks, oversubscribed on the CI's two cores), against one process.</summary>
[Collection(nameof(TrainingTests))]
public class DistributedTrainingTests
{
    [Fact]
    public void Each_step_of_N_ranks_at_batch_B_holds_the_samples_of_one_process_at_batch_N_times_B()
    {
        var order = BatchLoader.Shuffle(103, 7, 2);
        const int n = 3, b = 4;
        var shards = Enumerable.Range(0, n).Select(r => DataParallel.Shard(order, r, n)).ToArray();
        Assert.Equal(order.Length, shards.Sum(s => s.Length));
        for (var k = 0; k < order.Length / (n * b); k++)
        {
            var ranks = shards.SelectMany(s => s.Skip(k * b).Take(b)).Order();
            var single = order.Skip(k * n * b).Take(n * b).Order();
            Assert.Equal(single, ranks);
        }
    }

    [Fact]
    public void Two_ranks_at_batch_4_reach_the_float64_parameters_of_one_process_at_batch_8()
    {
        using var dir = new TempDir();
        var (code, output) = Mpirun.Run(2, 120, "distributed-check", "--batch-size", "4", "--steps", "5",
            "--out", dir.File("two.bin"), "--run-dir", dir.File("two"));
        Assert.True(code == 0, output);
        var two = DistributedCheck.ReadWeights(dir.File("two.bin"));
        Assert.True(File.Exists(dir.File("two/checkpoint.zip")));                   // rank 0 wrote it, once

        var one = DistributedCheck.Train(SingleProcess.Instance, 8, 5, 8, dir.File("one"));
        using var initial = DistributedCheck.Build(0);
        var start = DistributedCheck.Weights(initial);
        Assert.Equal(one.Length, two.Length);
        var largest = one.Zip(two, (x, y) => Math.Abs(x - y)).Max();
        Assert.True(largest < 1e-6, $"largest parameter difference {largest:E2}");
        Assert.True(one.Zip(start, (x, y) => Math.Abs(x - y)).Max() > 1e-3, "training did not move the weights");

        // A process not launched by mpirun never loads MPI.
        Assert.Same(SingleProcess.Instance, MpiCommunicator.FromEnvironment());
        Assert.DoesNotContain("libmpi", File.ReadAllText("/proc/self/maps"));
    }

    [Fact]
    public void A_killed_rank_stops_the_other_within_a_minute_and_the_run_resumes_to_the_unbroken_weights()
    {
        using var dir = new TempDir();
        MakeData(dir.File("data"));
        string[] Train(string run) => ["train", "--data", dir.File("data"), "--preset", "nano", "--max-tokens", "64", "--epochs", "2",
            "--batch-size", "4", "--warmup-steps", "4", "--checkpoint-every", "3", "--test-limit", "16", "--run-dir", dir.File(run)];

        var (code, output) = Mpirun.Run(2, 120, Train("unbroken"));
        Assert.True(code == 0, output);
        Assert.Contains("on 2 processes (batch 4 each, 8 a step)", output);

        // Rank 1 is killed once the first checkpoint is there. It is stopped first, which holds the whole run at its
        // next all-reduce, so that a fast machine cannot finish the run between seeing the checkpoint and the kill.
        using (var job = new Mpirun.Job(2, Train("broken")))
        {
            var checkpoint = dir.File("broken/checkpoint.zip");
            var waited = Stopwatch.StartNew();
            var ranks = new Dictionary<int, int>();
            while (!job.Process.HasExited && waited.Elapsed < TimeSpan.FromSeconds(90))
            {
                if (!ranks.ContainsKey(1)) ranks = job.Ranks();
                if (ranks.ContainsKey(1) && File.Exists(checkpoint)) break;
                Thread.Sleep(10);
            }
            Assert.True(ranks.ContainsKey(1), $"rank 1 not found among mpirun's children:\n{job.Output}");
            Assert.Equal(0, kill(ranks[1], SigStop));
            Assert.True(File.Exists(checkpoint) && !job.Process.HasExited, $"no checkpoint while the run went on:\n{job.Output}");
            Assert.Equal(0, kill(ranks[1], SigKill));
            var killed = Stopwatch.StartNew();
            Assert.True(job.Wait(TimeSpan.FromSeconds(60)), $"the job went on for 60 s after rank 1 was killed:\n{job.Output}");
            Assert.True(killed.Elapsed < TimeSpan.FromSeconds(60));
            Assert.NotEqual(0, job.Process.ExitCode);
            Assert.Contains("rank 1", job.Output);
            Assert.Contains("exited on signal 9", job.Output);
            Assert.False(File.Exists(dir.File("broken/model.safetensors")));
        }
        var header = Checkpoint.ReadHeader(dir.File("broken/checkpoint.zip"));      // whole, and of a 2-process run
        Assert.Equal(2, header.Options.WorldSize);

        // Another world size is refused with one line; the same one continues to the unbroken run's weights.
        CliRunner.AssertCleanFailure(CliRunner.Run("train", "--run-dir", dir.File("broken"), "--resume"), "trained by 2 processes");
        (code, output) = Mpirun.Run(2, 120, "train", "--run-dir", dir.File("broken"), "--resume");
        Assert.True(code == 0, output);
        Assert.Contains("resumed from", output);

        var a = ModelFile.Load(dir.File("unbroken/model.safetensors"));
        var b = ModelFile.Load(dir.File("broken/model.safetensors"));
        using (a.Model)
        using (b.Model)
        {
            Assert.Equal(DistributedCheck.Weights(a.Model), DistributedCheck.Weights(b.Model));
            Assert.Equal("2", b.Metadata[ModelMetadata.WorldSize]);
            Assert.Equal("8", b.Metadata[ModelMetadata.GlobalBatch]);
        }
        using var rawA = ModelFile.Load(dir.File("unbroken/model.safetensors")).Model;
        using var rawB = ModelFile.Load(dir.File("broken/model.safetensors")).Model;
        Checkpoint.LoadWeights(dir.File("unbroken/checkpoint.zip"), rawA, ema: false);
        Checkpoint.LoadWeights(dir.File("broken/checkpoint.zip"), rawB, ema: false);
        Assert.Equal(DistributedCheck.Weights(rawA), DistributedCheck.Weights(rawB));
        // The resumed epoch's training figures are those of the unbroken run: the checkpoint held the sums of both ranks.
        static double[][] Figures(string path) => File.ReadAllLines(path).Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement)
            .Select(e => new[] { e.GetProperty("train_loss").GetDouble(), e.GetProperty("train_accuracy").GetDouble() }).ToArray();
        var unbrokenFigures = Figures(dir.File("unbroken/metrics.jsonl"));
        var resumedFigures = Figures(dir.File("broken/metrics.jsonl"));
        Assert.Equal(unbrokenFigures.Length, resumedFigures.Length);
        for (var i = 0; i < unbrokenFigures.Length; i++)
        {
            Assert.Equal(unbrokenFigures[i][0], resumedFigures[i][0], 9);
            Assert.Equal(unbrokenFigures[i][1], resumedFigures[i][1], 9);
        }
    }

    [Fact]
    public void Resuming_with_another_world_size_is_refused()
    {
        var two = new TrainOptions { WorldSize = 2 };
        var e = Assert.Throws<ByteFormerException>(() => DataParallel.CheckResume(two, SingleProcess.Instance, "run/checkpoint.zip"));
        Assert.Contains("trained by 2 processes (mpirun -np 2); resume it with the same number of processes, not one process", e.Message);
        DataParallel.CheckResume(new TrainOptions(), SingleProcess.Instance, "run/checkpoint.zip");
    }

    private const int SigKill = 9, SigStop = 19;

    [System.Runtime.InteropServices.DllImport("libc.so.6", EntryPoint = "kill")]
    private static extern int kill(int pid, int signal);

    /// <summary>Two classes of 64-byte files: 96 to train on, 16 to test.</summary>
    private static void MakeData(string root)
    {
        foreach (var (split, count) in new[] { ("train", 48), ("test", 8) })
            for (var c = 0; c < 2; c++)
            {
                Directory.CreateDirectory(Path.Combine(root, split, $"c{c}"));
                for (var i = 0; i < count; i++)
                    File.WriteAllBytes(Path.Combine(root, split, $"c{c}", $"{i}.bin"),
                        Enumerable.Range(0, 64).Select(j => (byte)(c * 100 + i + j * (c + 1))).ToArray());
            }
    }
}

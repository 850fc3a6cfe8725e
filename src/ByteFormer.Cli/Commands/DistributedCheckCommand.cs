using System.CommandLine;
using ByteFormer.Cli.Output;
using ByteFormer.Data;
using ByteFormer.Model;
using ByteFormer.Training;
using ByteFormer.Training.Distributed;
using TorchSharp;

namespace ByteFormer.Cli.Commands;

/// <summary>
/// The equivalence check behind the distributed tests: a nano ByteFormer in float64, dropout off, trained on
/// fixed-length synthetic files (no padding), for a few steps with the real <see cref="Trainer"/>. Under
/// <c>mpirun -np N</c> at batch B it must reach the parameters of one process at batch N·B. Each rank starts
/// from other random weights (seed + rank), so only the broadcast of rank 0's makes them agree.
/// </summary>
public static class DistributedCheck
{
    /// <summary>Bytes per synthetic file: all the same, so padding plays no part.</summary>
    public const int FileLength = 96;

    /// <summary>Fixed-length files of four classes, each class with its own byte pattern plus seeded noise.</summary>
    public static InMemoryDataset Data(int count)
    {
        var random = new Random(1234);
        var files = new List<byte[]>(count);
        var labels = new List<int>(count);
        for (var i = 0; i < count; i++)
        {
            var c = i % 4;
            files.Add(Enumerable.Range(0, FileLength).Select(j => (byte)(c * 60 + (j * (c + 1)) % 50 + random.Next(8))).ToArray());
            labels.Add(c);
        }
        return new InMemoryDataset(files, labels, ["a", "b", "c", "d"], "synthetic fixed-length files");
    }

    /// <summary>The recipe: one epoch (its steps set by the data set's size) of <paramref name="batchSize"/> per rank,
    /// a short warm-up, clipping, no EMA and no evaluation.</summary>
    public static TrainOptions Options(int batchSize) => new()
    {
        Epochs = 1, BatchSize = batchSize, WarmupSteps = 2, LearningRate = 3e-3, Seed = 11, EmaMomentum = 0,
        CheckpointEverySteps = 0, EvaluateEachEpoch = false, GradClip = 1.0,
    };

    /// <summary>The model a rank starts from: nano, 4 classes, dropout off, initialised from seed 5 + rank.</summary>
    public static ByteFormerModel Build(int rank, bool float64 = true)
    {
        torch.manual_seed(5 + rank);
        var config = ByteFormerConfig.Preset("nano") with { MaxNumTokens = 64, NClasses = 4, Dropout = 0 };
        // Built under float64 as the default dtype (TorchSharp's Module.to(dtype) fails on this model's indexers).
        var before = torch.get_default_dtype();
        if (float64) torch.set_default_dtype(torch.ScalarType.Float64);
        try { return new ByteFormerModel(config); }
        finally { torch.set_default_dtype(before); }
    }

    /// <summary>Every parameter's values, in order, as float64.</summary>
    public static double[] Weights(ByteClassifier model) => model.parameters().SelectMany(p =>
    {
        using var d = p.detach().to(torch.ScalarType.Float64).contiguous();
        return d.data<double>().ToArray();
    }).ToArray();

    /// <summary>Trains on this process's share and returns the final parameters (every rank's are the same).</summary>
    /// <param name="sync">The ranks (<see cref="SingleProcess.Instance"/> for the one-process reference).</param>
    /// <param name="batchSize">Samples per rank per step.</param>
    /// <param name="steps">Optimizer steps.</param>
    /// <param name="globalBatch">Samples per step over all ranks (the data set holds steps × this many files).</param>
    /// <param name="runDir">Where rank 0 writes its checkpoint.</param>
    /// <param name="float64">Train in float64 (else the usual float32).</param>
    public static double[] Train(IGradientSync sync, int batchSize, int steps, int globalBatch, string runDir, bool float64 = true)
    {
        var data = Data(steps * globalBatch);
        using var model = Build(sync.Rank, float64);
        using (var trainer = new Trainer(model, data, null, Options(batchSize), runDir, DataParallel.Quiet, sync))
        {
            if (trainer.StepsPerEpoch != steps)
                throw new ByteFormerException($"{steps} steps expected, the trainer has {trainer.StepsPerEpoch}");
            trainer.Run();
        }
        return Weights(model);
    }

    /// <summary>The hidden verb: <c>byteformer distributed-check --batch-size B --steps S --out FILE --run-dir DIR</c>.</summary>
    internal static Command Create(CliIO io)
    {
        var batch = new Option<int>("--batch-size") { Description = "Samples per rank per step (default: 4)", DefaultValueFactory = _ => 4 };
        var steps = new Option<int>("--steps") { Description = "Optimizer steps, or all-reduces to time (default: 5)", DefaultValueFactory = _ => 5 };
        var output = new Option<string>("--out") { Description = "Where rank 0 writes the final parameters (float64)", Required = true };
        var runDir = new Option<string>("--run-dir") { Description = "Where rank 0 writes its checkpoint", Required = true };
        var single = new Option<bool>("--float32") { Description = "Train in float32 instead of float64" };
        var timeout = new Option<double>("--mpi-timeout") { Description = "As train's (default: 120)", DefaultValueFactory = _ => MpiCommunicator.DefaultTimeout.TotalSeconds };
        var allReduce = new Option<long?>("--allreduce-bytes") { Description = "Instead: time all-reduces of this many bytes after a barrier (the transport alone, no waiting for a slower rank; default: train)" };
        var command = new Command("distributed-check", "Trains a small float64 model for the distributed equivalence test") { batch, steps, output, runDir, single, timeout, allReduce };
        command.Hidden = true;
        command.SetAction(parse => DistributedCli.Guard(io, parse.GetValue(timeout), sync =>
        {
            if (parse.GetValue(allReduce) is { } size)
            {
                TimeAllReduce(io, sync, size, parse.GetValue(steps));
                return 0;
            }
            var b = parse.GetValue(batch);
            var weights = Array.Empty<double>();
            CommonOptions.WithThreads(DistributedCli.ThreadsPerRank(sync), () =>
            {
                weights = Train(sync, b, parse.GetValue(steps), b * sync.WorldSize, parse.GetValue(runDir)!, !parse.GetValue(single));
                return 0;
            });
            if (sync.IsLeader)
                AtomicFile.Write(parse.GetValue(output)!, s =>
                {
                    using var w = new BinaryWriter(s, System.Text.Encoding.UTF8, leaveOpen: true);
                    w.Write(weights.Length);
                    foreach (var x in weights) w.Write(x);
                });
            return 0;
        }));
        return command;
    }

    /// <summary>Times <paramref name="repeats"/> all-reduces of <paramref name="bytes"/> bytes (float64 sums), each after a
    /// barrier, and prints the median and the fastest on rank 0.</summary>
    private static void TimeAllReduce(CliIO io, IGradientSync sync, long bytes, int repeats)
    {
        if (sync is not MpiCommunicator mpi) throw new ByteFormerException("--allreduce-bytes needs mpirun");
        var values = new double[Math.Max(1, bytes / 8)];
        var times = new List<double>();
        for (var i = 0; i < repeats + 2; i++)
        {
            mpi.Barrier();
            var clock = System.Diagnostics.Stopwatch.StartNew();
            sync.Sum(values);
            if (i >= 2) times.Add(clock.Elapsed.TotalMilliseconds);              // the first two warm the transport up
        }
        times.Sort();
        if (sync.IsLeader)
            io.Out.WriteLine($"all-reduce of {values.Length * 8 / 1e6:F2} MB on {sync.WorldSize} ranks: median {times[times.Count / 2]:F3} ms, " +
                             $"fastest {times[0]:F3} ms over {times.Count} calls");
    }

    /// <summary>Reads what the verb wrote.</summary>
    public static double[] ReadWeights(string path)
    {
        using var r = new BinaryReader(File.OpenRead(path));
        var n = r.ReadInt32();
        var weights = new double[n];
        for (var i = 0; i < n; i++) weights[i] = r.ReadDouble();
        return weights;
    }
}

using System.Diagnostics;
using System.Text.Json.Serialization;
using ByteFormer.Bytes;
using ByteFormer.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace ByteFormer.Benchmarking;

/// <summary>One measured case.</summary>
/// <param name="Name">The case, e.g. <c>forward_1000B_batch8</c>: what is timed, the input length and the batch.</param>
/// <param name="SamplesPerS">Measured samples per second.</param>
/// <param name="GflopPerSample">The reference's work per sample (<see cref="FlopCount"/>), in GFLOP.</param>
/// <param name="EffectiveFractionOfPeak">Samples/s × GFLOP per sample / the GEMM speed.</param>
/// <param name="Note">How the case differs from the default setting; empty for none.</param>
public sealed record BenchCase(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("samples_per_s")] double SamplesPerS,
    [property: JsonPropertyName("gflop_per_sample")] double GflopPerSample,
    [property: JsonPropertyName("effective_fraction_of_peak")] double EffectiveFractionOfPeak,
    [property: JsonPropertyName("note")] string Note = "");

/// <summary>What <see cref="Throughput.Run"/> measured, in one run on this machine.</summary>
/// <param name="Date">When the run ended, in UTC.</param>
/// <param name="Machine">Core count and CPU model.</param>
/// <param name="Threads">libtorch's intra-op threads during the run.</param>
/// <param name="GemmPeakGflops">fp32 GEMM speed in GFLOP/s, the limit every fraction is taken of.</param>
/// <param name="Cases">The built-in cases, in the order they ran.</param>
/// <param name="PeakRssMb">Peak resident memory of the process, in MB.</param>
/// <param name="RssGrowthMbPer1000Steps">Resident memory growth of the nano training loop, in MB per 1000 steps.</param>
/// <param name="Extra">The caller's figures by name: those measured before the run, then the extra cases'.</param>
public sealed record BenchReport(
    [property: JsonPropertyName("date")] DateTime Date,
    [property: JsonPropertyName("machine")] string Machine,
    [property: JsonPropertyName("threads")] int Threads,
    [property: JsonPropertyName("gemm_peak_gflops")] double GemmPeakGflops,
    [property: JsonPropertyName("cases")] IReadOnlyList<BenchCase> Cases,
    [property: JsonPropertyName("peak_rss_mb")] double PeakRssMb,
    [property: JsonPropertyName("rss_growth_mb_per_1000_steps")] double RssGrowthMbPer1000Steps,
    [property: JsonPropertyName("extra")] IReadOnlyDictionary<string, double?> Extra);

/// <summary>
/// Measures the model against the machine's own limit: the fp32 GEMM speed of libtorch on 2048² matrices
/// with the threads in use. For each case, the effective fraction of that speed is
/// samples/s × (the reference's FLOPs per sample) / GEMM speed, so a value above 1 means faster than an
/// implementation doing the reference's work could be even at full GEMM speed.
/// </summary>
public static class Throughput
{
    /// <summary>The measured network: BF-Ti with k = 32, window 128, 10 classes (CoreNet's TIFF setting).</summary>
    public static ByteFormerConfig BenchConfig(AttentionSemantics semantics) =>
        ByteFormerConfig.Preset("tiny") with { ConvKernelSize = 32, NClasses = 10, MaxNumTokens = 10_000, Semantics = semantics };

    /// <summary>Runs every case.</summary>
    /// <param name="seconds">The least time spent timing each case.</param>
    /// <param name="leakSteps">Training steps of the memory-growth case.</param>
    /// <param name="progress">Receives the name of each case as it starts; null for none.</param>
    /// <param name="extraCases">More cases to time, made after the built-in ones have run.</param>
    /// <param name="measuredBefore">Figures the caller measured before this run (reported first in <c>extra</c>).</param>
    public static BenchReport Run(double seconds = 3.0, int leakSteps = 1000, Action<string>? progress = null,
        Func<(string Name, Func<double> Measure)[]>? extraCases = null, IReadOnlyDictionary<string, double>? measuredBefore = null)
    {
        var threads = get_num_threads();
        progress?.Invoke($"GEMM 2048² fp32 on {threads} threads");
        var gemm = GemmGflops(seconds);
        var cases = new List<BenchCase>();

        torch.manual_seed(0);
        using var masked = new ByteFormerModel(BenchConfig(AttentionSemantics.Masked));
        using var corenet = new ByteFormerModel(BenchConfig(AttentionSemantics.Corenet));
        corenet.load_state_dict(masked.state_dict());
        corenet.InvalidateCaches();

        void Add(string name, double samplesPerS, double flopsPerSample, string note = "")
        {
            var gflop = flopsPerSample / 1e9;
            cases.Add(new BenchCase(name, samplesPerS, gflop, samplesPerS * gflop / gemm, note));
        }

        foreach (var bytes in new long[] { 1000, 10_000, 150_668 })
        foreach (var batch in new[] { 1, 8 })
        {
            progress?.Invoke($"forward {bytes} bytes, batch {batch}");
            Add($"forward_{bytes}B_batch{batch}", ForwardSamplesPerS(masked, bytes, batch, seconds), FlopCount.Forward(masked.Config, bytes));
        }
        progress?.Invoke("forward 1000 bytes, batch 8, corenet semantics");
        Add("forward_1000B_batch8_corenet", ForwardSamplesPerS(corenet, 1000, 8, seconds), FlopCount.Forward(corenet.Config, 1000),
            "same weights, reference semantics (pads every window to 128)");
        progress?.Invoke("forward 1000 bytes, batch 8, plain embedding + Conv1d");
        masked.UseFusedTokenReduction = false;
        Add("forward_150668B_batch1_unfused", ForwardSamplesPerS(masked, 150_668, 1, seconds), FlopCount.Forward(masked.Config, 150_668),
            "plain embedding + Conv1d instead of table look-ups");
        masked.UseFusedTokenReduction = true;
        foreach (var bytes in new long[] { 1000, 10_000 })
        {
            progress?.Invoke($"training step {bytes} bytes, batch 8");
            Add($"train_{bytes}B_batch8", TrainSamplesPerS(masked, bytes, 8, seconds), FlopCount.TrainingStep(masked.Config, bytes));
        }

        if (threads > 1)
        {
            // Thread count chosen by measurement: the same training case on one thread.
            progress?.Invoke("training step 1000 bytes, batch 8, one thread");
            set_num_threads(1);
            try
            {
                Add("train_1000B_batch8_1thread", TrainSamplesPerS(masked, 1000, 8, seconds), FlopCount.TrainingStep(masked.Config, 1000),
                    $"set_num_threads(1) instead of {threads}");
            }
            finally
            {
                set_num_threads(threads);
            }
        }

        var extra = new Dictionary<string, double?>();
        foreach (var (name, value) in measuredBefore ?? new Dictionary<string, double>()) extra[name] = value;
        if (extraCases is not null)
            foreach (var (name, measure) in extraCases())
            {
                progress?.Invoke(name);
                extra[name] = measure();
            }

        progress?.Invoke($"memory growth over {leakSteps} training steps (nano preset)");
        var growth = RssGrowthMb(leakSteps);
        return new BenchReport(DateTime.UtcNow, MachineDescription(), threads, gemm, cases, PeakRssMb(), growth * 1000.0 / leakSteps, extra);
    }

    /// <summary>fp32 GEMM speed of libtorch on 2048×2048 matrices, GFLOP/s (best of the timed repetitions).</summary>
    public static double GemmGflops(double seconds)
    {
        using var a = randn(2048, 2048);
        using var b = randn(2048, 2048);
        using (var warm = a.mm(b)) { }
        var best = double.MaxValue;
        var total = Stopwatch.StartNew();
        for (var i = 0; i < 3 || total.Elapsed.TotalSeconds < seconds; i++)
        {
            var sw = Stopwatch.StartNew();
            using var c = a.mm(b);
            best = Math.Min(best, sw.Elapsed.TotalSeconds);
        }
        return 2.0 * 2048 * 2048 * 2048 / best / 1e9;
    }

    /// <summary>Forward samples/s without autograd, warm (first call excluded).</summary>
    public static double ForwardSamplesPerS(ByteFormerModel model, long bytes, int batch, double seconds)
    {
        model.eval();
        using var tokens = RandomBytes(batch, bytes, seed: 1);
        return SamplesPerS(batch, seconds, () =>
        {
            using var scope = NewDisposeScope();
            using var _ = inference_mode();
            model.call(tokens);
        });
    }

    /// <summary>Training samples/s: forward, cross-entropy, backward, gradient clipping, AdamW step.</summary>
    public static double TrainSamplesPerS(ByteFormerModel model, long bytes, int batch, double seconds)
    {
        model.train();
        using var tokens = RandomBytes(batch, bytes, seed: 2);
        using var labels = randint(0, model.Config.NClasses, [batch]);
        // The trainer's own AdamW (TorchSharp's is the one Training.AdamW's remarks found unsafe).
        var optimizer = new Training.AdamW([(model.parameters(), 0.05)], 1e-5);
        var result = SamplesPerS(batch, seconds, () =>
        {
            using var scope = NewDisposeScope();
            optimizer.ZeroGrad();
            nn.functional.cross_entropy(model.call(tokens), labels).backward();
            nn.utils.clip_grad_norm_(model.parameters(), 1.0);
            optimizer.Step();
        });
        optimizer.Dispose();
        model.eval();
        return result;
    }

    private static double SamplesPerS(int batch, double seconds, Action step)
    {
        step();                                                                     // warm-up
        var sw = Stopwatch.StartNew();
        var steps = 0;
        while (steps < 2 || sw.Elapsed.TotalSeconds < seconds)
        {
            step();
            steps++;
        }
        return steps * batch / sw.Elapsed.TotalSeconds;
    }

    /// <summary>Resident memory growth (MB) over <paramref name="steps"/> training steps of the nano preset, after 100 warm-up steps.</summary>
    public static double RssGrowthMb(int steps)
    {
        torch.manual_seed(0);
        using var model = new ByteFormerModel(ByteFormerConfig.Preset("nano") with { MaxNumTokens = 512 });
        model.train();
        using var tokens = RandomBytes(8, 1000, seed: 3);
        using var labels = randint(0, 10, [8]);
        using var optimizer = new Training.AdamW([(model.parameters(), 0.05)], 1e-4);
        void Step()
        {
            using var scope = NewDisposeScope();
            optimizer.ZeroGrad();
            nn.functional.cross_entropy(model.call(tokens), labels).backward();
            optimizer.Step();
        }
        for (var i = 0; i < 100; i++) Step();
        GC.Collect();
        var before = CurrentRssMb();
        for (var i = 0; i < steps; i++) Step();
        GC.Collect();
        return CurrentRssMb() - before;
    }

    private static Tensor RandomBytes(int batch, long bytes, int seed)
    {
        var rng = new Random(seed);
        var samples = Enumerable.Range(0, batch).Select(_ =>
        {
            var b = new byte[bytes];
            rng.NextBytes(b);
            return (ReadOnlyMemory<byte>)b;
        }).ToList();
        return ByteCollator.Collate(samples);
    }

    /// <summary>Current resident set size in MB (Linux /proc; 0 elsewhere).</summary>
    public static double CurrentRssMb() => ProcStatusMb("VmRSS:");

    /// <summary>Peak resident set size in MB (Linux /proc; 0 elsewhere).</summary>
    public static double PeakRssMb() => ProcStatusMb("VmHWM:");

    private static double ProcStatusMb(string key)
    {
        const string path = "/proc/self/status";
        if (!File.Exists(path)) return 0;
        var line = File.ReadLines(path).FirstOrDefault(l => l.StartsWith(key, StringComparison.Ordinal));
        return line is null ? 0 : double.Parse(line[key.Length..].Trim().Split(' ')[0]) / 1024.0;
    }

    private static string MachineDescription()
    {
        var cpu = File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim()
            : null;
        return $"{Environment.ProcessorCount} cores, {cpu ?? "unknown CPU"}";
    }
}

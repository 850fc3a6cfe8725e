using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using ByteFormer.Benchmarking;
using ByteFormer.Cli.Output;
using ByteFormer.Codecs;
using ByteFormer.Data;
using ByteFormer.Inference;
using Spectre.Console;

namespace ByteFormer.Cli.Commands;

/// <summary><c>byteformer bench [--json] [--model FILE --samples DIR]</c>: speed against this machine's GEMM limit.</summary>
internal static class BenchCommand
{
    public static Command Create(CliIO io)
    {
        var json = new Option<bool>("--json") { Description = "Print one JSON object" };
        var seconds = new Option<double>("--seconds") { Description = "Least time spent timing each case", DefaultValueFactory = _ => 3.0 };
        var leakSteps = new Option<int>("--leak-steps") { Description = "Training steps for the memory-growth check", DefaultValueFactory = _ => 1000 };
        var model = new Option<string?>("--model") { Description = "Also time this model file on the files in --samples (latency and files/s); default: only the synthetic cases" };
        var samples = new Option<string?>("--samples") { Description = "Folder of files for --model; required with it" };
        var modelOnly = new Option<bool>("--model-only") { Description = "Time only --model on --samples (skip the BF-Ti cases)" };
        var onnxProfile = new Option<bool>("--onnx-profile") { Description = "With --model: ONNX Runtime's time per operator type, one file on one thread and batches of 64 on all" };
        var command = new Command("bench", "Measure speed against this machine's fp32 GEMM limit") { json, seconds, leakSteps, model, samples, modelOnly, onnxProfile };
        command.SetAction(parse => ErrorReporter.Guard(io, () => parse.GetValue(onnxProfile)
            ? Profile(io, parse.GetValue(model), parse.GetValue(samples))
            : Run(io, parse.GetValue(json), parse.GetValue(seconds),
            parse.GetValue(leakSteps), parse.GetValue(model), parse.GetValue(samples), parse.GetValue(modelOnly))));
        return command;
    }

    private static int Profile(CliIO io, string? modelPath, string? samplesDir)
    {
        if (modelPath is null || samplesDir is null || !Directory.Exists(samplesDir))
            throw new ByteFormerException("--onnx-profile needs --model and --samples pointing at a folder of files");
        var file = Directory.EnumerateFiles(samplesDir, "*", SearchOption.AllDirectories).Order().FirstOrDefault()
                   ?? throw new ByteFormerException($"{samplesDir} holds no files");
        foreach (var (batch, threads, runs) in new[] { (1, 1, 2000), (64, Environment.ProcessorCount, 100) })
        {
            var (wall, kernel, count, ops) = OnnxProfile.Run(modelPath, file, batch, threads, runs);
            io.Console.WriteLine($"batch {batch}, {threads} thread(s): {wall:F3} ms per run (profiled), {kernel:F0} µs in {count} kernels");
            var table = new Table().AddColumn("operator").AddColumn(new TableColumn("µs per run").RightAligned())
                .AddColumn(new TableColumn("share").RightAligned()).AddColumn(new TableColumn("kernels").RightAligned());
            foreach (var op in ops)
                table.AddRow(op.Op, $"{op.MicrosecondsPerRun:F1}", $"{op.MicrosecondsPerRun / kernel:P1}", $"{op.NodesPerRun}");
            io.Console.Write(table);
        }
        return 0;
    }

    private static int Run(CliIO io, bool asJson, double seconds, int leakSteps, string? modelPath, string? samplesDir, bool modelOnly)
    {
        if (seconds <= 0 || leakSteps < 1) throw new ByteFormerException("--seconds and --leak-steps must be positive");
        if ((modelPath is not null || modelOnly) && (modelPath is null || samplesDir is null || !Directory.Exists(samplesDir)))
            throw new ByteFormerException("--model needs --samples pointing at a folder of files");
        if (modelOnly)
        {
            var results = PipelineThroughput.ModelCases(modelPath!, samplesDir!, seconds).ToDictionary(c => c.Item1, c => c.Item2());
            if (asJson) io.Out.WriteLine(JsonSerializer.Serialize(results, new JsonSerializerOptions { WriteIndented = true }));
            else foreach (var (name, value) in results) io.Console.WriteLine($"{name}: {value:F2}");
            return 0;
        }
        // The bundled model is timed first, in a fresh process state: after the 150 KB cases the native heap holds
        // gigabytes of freed blocks (TorchRuntime keeps them for reuse) and a small model's per-op latency suffers.
        Action<string>? progress = asJson ? null : m => io.Err.WriteLine($"  measuring {m} ...");
        var modelResults = new Dictionary<string, double>();
        if (modelPath is not null)
            foreach (var (name, measure) in PipelineThroughput.ModelCases(modelPath, samplesDir!, seconds))
            {
                progress?.Invoke(name);
                modelResults[name] = measure();
            }
        Func<(string, Func<double>)[]> extra = () => [.. PipelineThroughput.DataCases(seconds)];
        var report = Throughput.Run(seconds, leakSteps, progress, extra, modelResults);
        if (asJson)
        {
            var node = JsonSerializer.SerializeToNode(report)!;
            io.Out.WriteLine(node.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            return 0;
        }
        io.Console.WriteLine($"{report.Date:yyyy-MM-dd HH:mm} UTC, {report.Machine}, {report.Threads} threads");
        io.Console.WriteLine($"GEMM 2048² fp32: {report.GemmPeakGflops:F1} GFLOP/s");
        var table = new Table().AddColumn("case").AddColumn(new TableColumn("samples/s").RightAligned())
            .AddColumn(new TableColumn("GFLOP/sample").RightAligned()).AddColumn(new TableColumn("× GEMM").RightAligned()).AddColumn("note");
        foreach (var c in report.Cases)
            table.AddRow(c.Name, $"{c.SamplesPerS:F2}", $"{c.GflopPerSample:F3}", $"{c.EffectiveFractionOfPeak:F2}", Markup.Escape(c.Note));
        io.Console.Write(table);
        io.Console.WriteLine($"peak RSS {report.PeakRssMb:F0} MB; RSS growth {report.RssGrowthMbPer1000Steps:F1} MB per 1,000 training steps");
        foreach (var (name, value) in report.Extra) io.Console.WriteLine($"{name}: {value:F2}");
        return 0;
    }
}

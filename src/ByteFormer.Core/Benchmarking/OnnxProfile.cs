using System.Diagnostics;
using System.Text.Json;
using ByteFormer.Inference;
using ByteFormer.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace ByteFormer.Benchmarking;

/// <summary>Time per operator type of one ONNX Runtime session, from its own profiler.</summary>
/// <param name="Op">The operator type after ONNX Runtime's fusions (Gemm, Gelu, LayerNormalization, ...).</param>
/// <param name="MicrosecondsPerRun">Kernel time of all nodes of that type, per run.</param>
/// <param name="NodesPerRun">How many such kernels one run executes.</param>
public sealed record OpTime(string Op, double MicrosecondsPerRun, int NodesPerRun);

/// <summary>
/// Where ONNX Runtime's time goes for a model: its profiler on repeated runs of one batch of files, summed by operator
/// type (<c>bench --onnx-profile</c>). The profiler adds a little to every kernel, so the wall time per run is a
/// little above the bench's figures; the shares are what it is for.
/// </summary>
public static class OnnxProfile
{
    /// <summary>Profiles <paramref name="runs"/> runs of a batch of <paramref name="batch"/> copies of
    /// <paramref name="file"/>'s first budget bytes on <paramref name="threads"/> intra-op threads.</summary>
    /// <returns>Wall milliseconds per run, kernel microseconds per run, and the operators, most time first.</returns>
    public static (double WallMsPerRun, double KernelUsPerRun, int KernelsPerRun, IReadOnlyList<OpTime> Ops) Run(
        string modelPath, string file, int batch, int threads, int runs)
    {
        var onnxPath = modelPath;
        if (!OnnxModelFormat.IsOnnxFile(modelPath))
        {
            using var loaded = ModelFile.Load(modelPath);
            onnxPath = Path.Combine(Path.GetTempPath(), $"byteformer-profile-{Environment.ProcessId}.onnx");
            OnnxExporter.Export(loaded, onnxPath, overwrite: true);
        }
        var prefix = Path.Combine(Path.GetTempPath(), $"byteformer-ort-profile-{Environment.ProcessId}");
        string? profile = null;
        try
        {
            using var predictor = OnnxPredictor.Open(onnxPath);
            var bytes = predictor.ReadFile(file).Bytes;
            var length = Math.Max(bytes.Length, predictor.MinimumBytes);
            var tokens = new long[batch * length];
            Array.Fill(tokens, Predictor.PadValue);
            for (var r = 0; r < batch; r++)
                for (var j = 0; j < bytes.Length; j++) tokens[r * length + j] = bytes[j];
            var logits = new float[batch * predictor.Labels.Count];
            using var options = new SessionOptions
            {
                GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL, IntraOpNumThreads = threads, InterOpNumThreads = 1,
                EnableProfiling = true, ProfileOutputPathPrefix = prefix,
            };
            using var session = new InferenceSession(onnxPath, options);
            using var runOptions = new RunOptions();
            void RunOnce()
            {
                using var input = OrtValue.CreateTensorValueFromMemory(tokens, [batch, length]);
                using var output = OrtValue.CreateTensorValueFromMemory(logits, [batch, predictor.Labels.Count]);
                session.Run(runOptions, [OnnxModelFormat.InputName], [input], [OnnxModelFormat.OutputName], [output]);
            }
            RunOnce();
            var sw = Stopwatch.StartNew();
            for (var i = 0; i < runs; i++) RunOnce();
            var wall = sw.Elapsed.TotalMilliseconds / runs;
            profile = session.EndProfiling();
            var kernels = JsonDocument.Parse(File.ReadAllText(profile)).RootElement.EnumerateArray()
                .Where(e => e.GetProperty("cat").GetString() == "Node" && e.GetProperty("name").GetString()!.EndsWith("_kernel_time", StringComparison.Ordinal))
                .Select(e => (Op: e.GetProperty("args").GetProperty("op_name").GetString()!, Us: e.GetProperty("dur").GetDouble())).ToList();
            var measured = runs + 1;                                                         // the warm-up run is profiled too
            var ops = kernels.GroupBy(k => k.Op)
                .Select(g => new OpTime(g.Key, g.Sum(k => k.Us) / measured, g.Count() / measured))
                .OrderByDescending(o => o.MicrosecondsPerRun).ToList();
            return (wall, kernels.Sum(k => k.Us) / measured, kernels.Count / measured, ops);
        }
        finally
        {
            if (onnxPath != modelPath) File.Delete(onnxPath);
            if (profile is not null) File.Delete(profile);
        }
    }
}

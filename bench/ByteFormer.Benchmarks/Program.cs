// Side-by-side micro-benchmarks of the choices docs/performance.md describes, each printed as a ratio
// measured in one run (these machines are shared and noisy). The full report is `byteformer bench`.
//   dotnet run -c Release --project bench/ByteFormer.Benchmarks [-- --seconds S]
using System.Diagnostics;
using ByteFormer;
using ByteFormer.Benchmarking;
using ByteFormer.Model;
using static TorchSharp.torch;

var seconds = args.Length == 2 && args[0] == "--seconds" ? double.Parse(args[1]) : 3.0;
Console.WriteLine($"allocator tuned: {TorchRuntime.Configure()}, threads: {get_num_threads()}");

var config = Throughput.BenchConfig(AttentionSemantics.Masked);
using var model = new ByteFormerModel(config);
model.eval();

// 1. Token reduction: table look-ups against embedding + Conv1d, inference and training.
// The third case is a batch of 1 s 16-bit WAV clips at 8 kHz with micro's width and k 128 (the audio runs).
foreach (var (bytes, batch, channels, kernel) in new[] { (150_668L, 1, config.EmbedDim, config.ConvKernelSize), (10_000L, 8, config.EmbedDim, config.ConvKernelSize), (16_044L, 32, 128, 128) })
{
    using var ids = randint(0, 256, [batch, bytes]);
    double Time(Func<Tensor> f, bool backward)
    {
        void Once()
        {
            using var scope = NewDisposeScope();
            var y = f();
            if (backward) y.square().mean().backward();
        }
        Once();
        var sw = Stopwatch.StartNew();
        var n = 0;
        while (n < 2 || sw.Elapsed.TotalSeconds < seconds) { Once(); n++; }
        return sw.Elapsed.TotalMilliseconds / n;
    }
    var stride = kernel / 2;
    var e = randn(257, channels).requires_grad_();
    var w = (randn(channels, channels, kernel) * 0.01).requires_grad_();
    Tensor Plain() => nn.functional.conv1d(e.index_select(0, ids.reshape(-1)).view(batch, bytes, -1).permute(0, 2, 1).contiguous(),
        w, stride: stride).permute(0, 2, 1);
    Tensor Fused() => FusedTokenReduction.Apply(ids, FusedTokenReduction.BuildTable(e, w), stride);
    foreach (var backward in new[] { false, true })
    {
        double plain, fused;
        if (backward) { plain = Time(Plain, true); fused = Time(Fused, true); }
        else { using var _ = no_grad(); plain = Time(Plain, false); fused = Time(Fused, false); }
        Console.WriteLine($"token reduction {bytes} B x{batch} k{kernel} {(backward ? "fwd+bwd" : "fwd    ")}: conv {plain,8:F1} ms, tables {fused,8:F1} ms, {plain / fused,5:F1}x");
    }
}

// 2. Attention semantics on short inputs: masked (no window padding) against CoreNet's (pads to 128).
using var corenet = new ByteFormerModel(config with { Semantics = AttentionSemantics.Corenet });
corenet.load_state_dict(model.state_dict());
corenet.InvalidateCaches();
var masked = Throughput.ForwardSamplesPerS(model, 1000, 8, seconds);
var reference = Throughput.ForwardSamplesPerS(corenet, 1000, 8, seconds);
Console.WriteLine($"forward 1000 B x8: masked {masked:F1}/s, corenet {reference:F1}/s, {masked / reference:F1}x");

using System.Diagnostics;
using System.Runtime.InteropServices;
using ByteFormer.Benchmarking;
using ByteFormer.Model;
using TorchSharp;
using static TorchSharp.torch;
if (args.Length > 0 && args[0] == "tune") { Console.WriteLine($"mmap_max {mallopt(-4, 0)} trim {mallopt(-1, int.MaxValue)}"); }
var E = randn(257, 192); var W = randn(192, 192, 32) * 0.01;
var table = FusedTokenReduction.BuildTable(E, W);
var big = randint(0, 256, new long[] { 8, 150668 });
for (int i = 0; i < 2; i++) { var sw = Stopwatch.StartNew(); for (int r = 0; r < 3; r++) { using var s = NewDisposeScope(); using var _ = inference_mode(); FusedTokenReduction.Apply(big, table, 16); } Console.WriteLine($"fused batch8 {sw.Elapsed.TotalMilliseconds / 3:F1} ms"); }
var m = new ByteFormerModel(Throughput.BenchConfig(AttentionSemantics.Masked));
Console.WriteLine($"fwd 150668 b1 {Throughput.ForwardSamplesPerS(m, 150668, 1, 3):F2}/s");
Console.WriteLine($"fwd 150668 b8 {Throughput.ForwardSamplesPerS(m, 150668, 8, 3):F2}/s");
Console.WriteLine($"train 10000 b8 {Throughput.TrainSamplesPerS(m, 10000, 8, 3):F2}/s");
Console.WriteLine($"train 1000 b8 {Throughput.TrainSamplesPerS(m, 1000, 8, 3):F2}/s");
Console.WriteLine($"rss peak {Throughput.PeakRssMb():F0} MB");
[DllImport("libc", EntryPoint = "mallopt")] static extern int mallopt(int param, int value);

using static TorchSharp.torch;
using Parameter = TorchSharp.Modules.Parameter;

namespace ByteFormer.Tests.Training;

/// <summary>
/// TorchSharp's Scalars made on the fly (an implicit conversion, or an overload that adds an alpha of 1) can be
/// finalised by the collector while libtorch still reads them, which fails a run thousands of steps in with
/// "Unknown scalar type" (TensorArithmetic's remarks). The optimizer's step is the hottest such path: it runs here
/// while the collector runs all the time, so such a Scalar is hit within seconds (AdamW's <c>add_(epsilon)</c> was,
/// in every run of this test before it took the rooted alpha).
/// </summary>
[Collection(nameof(TrainingTests))]
public class ScalarLifetimeTests
{
    // Many small parameters: each native call is short and there are many of them a step.
    private static float[] Steps(int steps, bool collectAllTheTime)
    {
        using var scope = NewDisposeScope();                                       // the parameters, their gradients, the reads
        var parameters = Enumerable.Range(0, 48).Select(i => new Parameter(full(4, 0.1f * (i + 1)))).ToList();
        foreach (var (p, i) in parameters.Select((p, i) => (p, i))) p.grad = full(4, 0.01f * (i % 7 - 3));
        using var optimizer = new ByteFormer.Training.AdamW([(parameters.Take(24), 0.05), (parameters.Skip(24), 0.0)], 1e-2);
        using var stop = new CancellationTokenSource();
        var collector = Task.Run(() =>
        {
            while (collectAllTheTime && !stop.IsCancellationRequested)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
            }
        });
        try
        {
            for (var s = 0; s < steps; s++) optimizer.Step();
        }
        finally
        {
            stop.Cancel();
            collector.Wait();
        }
        return parameters.SelectMany(p => p.data<float>().ToArray()).ToArray();
    }

    [Fact]
    public void An_AdamW_step_gives_the_same_weights_while_the_collector_runs_all_the_time()
    {
        var quiet = Steps(1500, collectAllTheTime: false);
        var collected = Steps(1500, collectAllTheTime: true);
        Assert.All(quiet, v => Assert.True(float.IsFinite(v)));
        Assert.Equal(quiet, collected);
        Assert.NotEqual(0.1f, quiet[0]);                                          // the steps moved the weights
    }
}

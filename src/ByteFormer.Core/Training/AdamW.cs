using ByteFormer.Model;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ByteFormer.Training;

/// <summary>
/// AdamW (decoupled weight decay, as torch.optim.AdamW) with per-group weight decay. Written here rather than
/// taken from TorchSharp because TorchSharp 0.107's optimizers pass implicitly converted <c>Scalar</c>s to
/// native calls; those objects can be finalised by the GC while the call still reads them, which corrupts the
/// value and, thousands of steps into a run, fails with "Expected false to be true" from c10's Scalar. Every
/// scalar here is created explicitly and kept alive until the step is done.
/// </summary>
public sealed class AdamW : IDisposable
{
    private readonly List<(Parameter Param, double WeightDecay, Tensor ExpAvg, Tensor ExpAvgSq)> state = new();
    private readonly double beta1, beta2, eps;

    /// <summary>An optimizer over <paramref name="groups"/>, each a set of parameters with its own weight decay (0: none).</summary>
    /// <param name="groups">Parameters and the decoupled weight decay they take.</param>
    /// <param name="learningRate">The first <see cref="LearningRate"/>.</param>
    /// <param name="beta1">Decay of the first-moment (mean) estimate.</param>
    /// <param name="beta2">Decay of the second-moment (uncentred variance) estimate.</param>
    /// <param name="eps">Added to the bias-corrected root of the second moment.</param>
    public AdamW(IEnumerable<(IEnumerable<Parameter> Parameters, double WeightDecay)> groups, double learningRate,
        double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8)
    {
        LearningRate = learningRate;
        (this.beta1, this.beta2, this.eps) = (beta1, beta2, eps);
        foreach (var (parameters, decay) in groups)
        foreach (var p in parameters)
            state.Add((p, decay, zeros_like(p).DetachFromDisposeScope(), zeros_like(p).DetachFromDisposeScope()));
    }

    /// <summary>The rate the next <see cref="Step"/> uses; the trainer sets it from the schedule before every step.</summary>
    public double LearningRate { get; set; }

    /// <summary>Optimizer steps taken (for bias correction).</summary>
    public long Steps { get; private set; }

    /// <summary>Zeroes every parameter's gradient (those that have one).</summary>
    public void ZeroGrad()
    {
        foreach (var (p, _, _, _) in state)
        {
            using var g = p.grad;
            g?.zero_();
        }
    }

    /// <summary>One AdamW update of every parameter that has a gradient: weight decay p ← p·(1 − lr·wd), then the bias-corrected Adam step.</summary>
    public void Step()
    {
        Steps++;
        var lr = LearningRate;
        var correction1 = 1 - Math.Pow(beta1, Steps);
        var correction2 = 1 - Math.Pow(beta2, Steps);
        using var b1 = beta1.ToScalar();
        using var oneMinusB1 = (1 - beta1).ToScalar();
        using var b2 = beta2.ToScalar();
        using var oneMinusB2 = (1 - beta2).ToScalar();
        using var epsilon = eps.ToScalar();
        using var sqrtCorrection2 = Math.Sqrt(correction2).ToScalar();
        using var stepSize = (-lr / correction1).ToScalar();
        using var _ = no_grad();
        foreach (var (p, decay, m, v) in state)
        {
            using var g = p.grad;
            if (g is null) continue;
            if (decay > 0)
            {
                using var shrink = (1 - lr * decay).ToScalar();
                p.mul_(shrink);
            }
            m.mul_(b1).add_(g, alpha: oneMinusB1);
            v.mul_(b2).addcmul_(g, g, value: oneMinusB2);
            using var denominator = v.sqrt();
            // add_(Scalar) alone passes an alpha of 1 made on the fly (TensorArithmetic): the rooted one instead.
            denominator.div_(sqrtCorrection2).add_(epsilon, TensorArithmetic.OneScalar);
            p.addcdiv_(m, denominator, value: stepSize);
        }
    }

    /// <summary>Writes the step count and the moment tensors.</summary>
    public void Save(BinaryWriter writer)
    {
        writer.Write(Steps);
        writer.Write(state.Count);
        foreach (var (_, _, m, v) in state)
        {
            Write(writer, m);
            Write(writer, v);
        }
    }

    /// <summary>Reads what <see cref="Save"/> wrote, for the same parameters in the same order.</summary>
    public void Load(BinaryReader reader)
    {
        var steps = reader.ReadInt64();
        var count = reader.ReadInt32();
        if (count != state.Count)
            throw new CheckpointException($"optimizer state holds {count} parameters, the model has {state.Count}");
        using var _ = no_grad();
        foreach (var (_, _, m, v) in state)
        {
            Read(reader, m);
            Read(reader, v);
        }
        Steps = steps;
    }

    private static void Write(BinaryWriter writer, Tensor t)
    {
        // float32 on disk whatever the model's dtype (a float64 model's moments lose precision across a resume).
        using var single = t.to_type(ScalarType.Float32).contiguous();
        var data = single.data<float>().ToArray();
        writer.Write(data.Length);
        foreach (var x in data) writer.Write(x);
    }

    private static void Read(BinaryReader reader, Tensor into)
    {
        var n = reader.ReadInt32();
        if (n != into.numel()) throw new CheckpointException($"optimizer state of {n} values for a tensor of {into.numel()}");
        var data = new float[n];
        for (var i = 0; i < n; i++) data[i] = reader.ReadSingle();
        using var source = tensor(data, into.shape);
        into.copy_(source);
    }

    /// <summary>Frees the moment tensors and forgets the parameters.</summary>
    public void Dispose()
    {
        foreach (var (_, _, m, v) in state)
        {
            m.Dispose();
            v.Dispose();
        }
        state.Clear();
    }
}

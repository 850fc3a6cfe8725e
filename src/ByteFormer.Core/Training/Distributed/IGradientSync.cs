using static TorchSharp.torch;

namespace ByteFormer.Training.Distributed;

/// <summary>
/// What the trainer asks of the other processes of a data-parallel run: who it is, the leader's weights at the start,
/// the mean of every rank's gradients at each step, and sums and the leader's values of a few numbers. One
/// process (<see cref="SingleProcess"/>) does nothing; <see cref="MpiCommunicator"/> does it over MPI. Every call is
/// collective: all ranks make the same calls in the same order.
/// </summary>
public interface IGradientSync
{
    /// <summary>This process's rank, 0 to <see cref="WorldSize"/> − 1.</summary>
    int Rank { get; }

    /// <summary>The number of processes training the model.</summary>
    int WorldSize { get; }

    /// <summary>True for rank 0, the one that writes files and reports progress.</summary>
    bool IsLeader => Rank == 0;

    /// <summary>Overwrites every tensor with rank 0's values (the initial weights and buffers), in buckets.</summary>
    void Broadcast(IReadOnlyList<Tensor> tensors);

    /// <summary>Replaces every gradient with the mean of all ranks' gradients, in buckets; parameters without a gradient are skipped (on every rank alike).</summary>
    void AverageGradients(IReadOnlyList<Tensor> parameters);

    /// <summary>Sums <paramref name="values"/> element-wise over all ranks, in place.</summary>
    void Sum(double[] values);

    /// <summary>Overwrites <paramref name="values"/> with rank 0's.</summary>
    void BroadcastValues(double[] values);

    /// <summary>Time spent in gradient all-reduce so far, the calls and the bytes each rank sent in.</summary>
    GradientSyncStats Stats { get; }
}

/// <summary>Cumulative cost of the gradient all-reduce on one rank.</summary>
/// <param name="Steps">Gradient averages done (optimizer steps).</param>
/// <param name="Calls">MPI_Allreduce calls they took (buckets).</param>
/// <param name="Bytes">Gradient bytes reduced, in all.</param>
/// <param name="Seconds">Wall-clock seconds inside those calls (waiting for slower ranks included).</param>
public sealed record GradientSyncStats(long Steps, long Calls, long Bytes, double Seconds)
{
    /// <summary>Nothing done yet.</summary>
    public static GradientSyncStats None { get; } = new(0, 0, 0, 0);
}

/// <summary>A run of one process: every collective is the identity.</summary>
public sealed class SingleProcess : IGradientSync
{
    /// <summary>The one instance.</summary>
    public static SingleProcess Instance { get; } = new();

    private SingleProcess() { }

    /// <inheritdoc />
    public int Rank => 0;
    /// <inheritdoc />
    public int WorldSize => 1;
    /// <inheritdoc />
    public void Broadcast(IReadOnlyList<Tensor> tensors) { }
    /// <inheritdoc />
    public void AverageGradients(IReadOnlyList<Tensor> parameters) { }
    /// <inheritdoc />
    public void Sum(double[] values) { }
    /// <inheritdoc />
    public void BroadcastValues(double[] values) { }
    /// <inheritdoc />
    public GradientSyncStats Stats => GradientSyncStats.None;
}

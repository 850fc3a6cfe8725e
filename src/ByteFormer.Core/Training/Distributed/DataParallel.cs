using ByteFormer.Data;
using ByteFormer.Model;

namespace ByteFormer.Training.Distributed;

/// <summary>
/// The data side of a data-parallel run: each rank's share of an epoch's order, evaluation split over the ranks,
/// and the epoch's figures summed over them.
/// </summary>
public static class DataParallel
{
    /// <summary>
    /// Rank <paramref name="rank"/>'s share of an epoch's shuffled <paramref name="order"/>, as PyTorch's
    /// DistributedSampler takes it: every <paramref name="worldSize"/>-th sample from position <paramref name="rank"/>.
    /// So the k-th batch of B on every rank together holds exactly the k-th batch of B·N of one process.
    /// </summary>
    public static int[] Shard(IReadOnlyList<int> order, int rank, int worldSize)
    {
        if (worldSize == 1) return order as int[] ?? order.ToArray();
        var shard = new int[(order.Count - rank + worldSize - 1) / worldSize];
        for (var i = 0; i < shard.Length; i++) shard[i] = order[rank + i * worldSize];
        return shard;
    }

    /// <summary>
    /// <see cref="Evaluator.Evaluate"/> over all ranks: each evaluates every N-th sample, and the predictions, losses
    /// and top-5 hits are summed, so every rank returns the result of the whole set (the same as one process's).
    /// </summary>
    public static EvalResult Evaluate(ByteClassifier model, IByteDataset dataset, IGradientSync sync, CancellationToken cancel = default)
    {
        if (sync.WorldSize == 1) return Evaluator.Evaluate(model, dataset, cancel: cancel);
        var shard = Shard(Enumerable.Range(0, dataset.Count).ToArray(), sync.Rank, sync.WorldSize);
        var n = dataset.Count;
        // Per sample: its predicted class + 1 from the rank that evaluated it (0 from the others); then top-5 hits,
        // summed loss, samples per second and samples.
        var sums = new double[n + 4];
        if (shard.Length > 0)
        {
            var part = Evaluator.Evaluate(model, new Subset(dataset, shard), cancel: cancel);
            for (var j = 0; j < shard.Length; j++) sums[shard[j]] = part.Predicted[j] + 1;
            (sums[n], sums[n + 1], sums[n + 2], sums[n + 3]) = (part.Top5 * part.Samples, part.Loss * part.Samples, part.SamplesPerS, part.Samples);
        }
        sync.Sum(sums);
        var classes = dataset.ClassNames.Count;
        var confusion = Enumerable.Range(0, classes).Select(_ => new int[classes]).ToArray();
        var predicted = new int[n];
        var top1 = 0;
        for (var i = 0; i < n; i++)
        {
            predicted[i] = (int)Math.Round(sums[i]) - 1;
            var truth = dataset.Label(i);
            confusion[truth][predicted[i]]++;
            if (predicted[i] == truth) top1++;
        }
        var perClass = confusion.Select((row, c) => row.Sum() == 0 ? double.NaN : (double)row[c] / row.Sum()).ToArray();
        return new EvalResult(n, (double)top1 / n, Math.Round(sums[n]) / n, sums[n + 1] / n, sums[n + 2], dataset.ClassNames, perClass, confusion, predicted);
    }

    /// <summary>An epoch's training figures (loss sum, hits, samples) summed over the ranks.</summary>
    public static (double LossSum, long Hits, long Seen) SumOverRanks(IGradientSync sync, double lossSum, long hits, long seen)
    {
        if (sync.WorldSize == 1) return (lossSum, hits, seen);
        var sums = new[] { lossSum, hits, (double)seen };
        sync.Sum(sums);
        return (sums[0], (long)Math.Round(sums[1]), (long)Math.Round(sums[2]));
    }

    /// <summary>The leader's value of <paramref name="value"/> on every rank (a decision all must share).</summary>
    public static double LeadersValue(IGradientSync sync, double value)
    {
        if (sync.WorldSize == 1) return value;
        var v = new[] { value };
        sync.BroadcastValues(v);
        return v[0];
    }

    /// <summary>
    /// The seed of a step's dropout and drop-path draws: the step's on rank 0 (so a one-rank run is a plain run),
    /// mixed with the rank on the others, so ranks do not draw the same masks for different samples.
    /// </summary>
    public static int StepSeed(int seed, long step, int rank) => rank == 0 ? Seeds.Mix(seed, step) : Seeds.Mix(seed, step, rank);

    /// <summary>Refuses to resume a checkpoint written by a run of another world size: its global batch, steps per
    /// epoch and data split would all be other ones.</summary>
    /// <exception cref="ByteFormerException">The world sizes differ.</exception>
    public static void CheckResume(TrainOptions recorded, IGradientSync sync, string checkpoint)
    {
        if (recorded.WorldSize == sync.WorldSize) return;
        string Of(int n) => n == 1 ? "one process (no mpirun)" : $"{n} processes (mpirun -np {n})";
        throw new ByteFormerException($"{checkpoint} is of a run trained by {Of(recorded.WorldSize)}; resume it with the same " +
                                      $"number of processes, not {Of(sync.WorldSize)}");
    }

    /// <summary>Refuses to go on when this rank's copy of the checkpoint is at another step than the leader's (machines
    /// that do not see the same run folder).</summary>
    /// <exception cref="ByteFormerException">The steps differ (thrown on the rank whose copy differs).</exception>
    public static void CheckSameStep(long step, IGradientSync sync, string checkpoint)
    {
        var leaders = (long)LeadersValue(sync, step);
        if (leaders != step)
            throw new ByteFormerException($"rank {sync.Rank}'s {checkpoint} is at step {step:N0}, rank 0's at step {leaders:N0}: " +
                                          "every machine must see the same run folder (a shared folder, or copies of rank 0's)");
    }

    /// <summary>The progress of a rank that does not report (not the leader).</summary>
    public static ITrainingObserver Quiet { get; } = new QuietObserver();

    private sealed class QuietObserver : ITrainingObserver
    {
        public void OnStep(StepProgress progress) { }
        public void OnEpoch(EpochMetrics metrics) { }
        public void OnMessage(string message) { }
    }

    private sealed class Subset(IByteDataset inner, int[] indices) : IByteDataset
    {
        public int Count => indices.Length;
        public IReadOnlyList<string> ClassNames => inner.ClassNames;
        public string Describe => inner.Describe;
        public int Label(int index) => inner.Label(indices[index]);
        public byte[] Bytes(int index, int epoch) => inner.Bytes(indices[index], epoch);
        public MixedTarget MixOf(int index, int epoch) => inner.MixOf(indices[index], epoch);
    }
}

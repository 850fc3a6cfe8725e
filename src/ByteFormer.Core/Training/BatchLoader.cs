using System.Collections.Concurrent;
using ByteFormer.Data;

namespace ByteFormer.Training;

/// <summary>A batch of encoded samples, as managed arrays (collated into tensors by the consumer).</summary>
/// <param name="Samples">Each sample's encoded bytes, of their own lengths (not padded).</param>
/// <param name="Labels">Each sample's class.</param>
/// <param name="PartnerLabels">Each sample's mixup partner's class (its own class where it is not mixed).</param>
/// <param name="OwnWeights">Each sample's weight λ of its own label (1 where it is not mixed).</param>
/// <remarks><paramref name="PartnerLabels"/> and <paramref name="OwnWeights"/> are null unless the data mixes samples (mixup).</remarks>
public sealed record ByteBatchData(byte[][] Samples, long[] Labels, long[]? PartnerLabels = null, float[]? OwnWeights = null);

/// <summary>
/// Encodes and reads samples on a background thread, a few batches ahead, so the model does not wait for
/// data. The order is fixed by the caller (a seeded shuffle), so a batch's content depends only on
/// (epoch, position).
/// </summary>
public sealed class BatchLoader : IDisposable
{
    private readonly BlockingCollection<ByteBatchData> queue;
    private readonly CancellationTokenSource cancel = new();
    private readonly Task producer;

    /// <summary>Starts the background reader; batch b holds the samples <c>order[b·batchSize .. (b+1)·batchSize)</c>.</summary>
    /// <param name="dataset">The samples, read with <see cref="IByteDataset.Bytes"/> for <paramref name="epoch"/>.</param>
    /// <param name="order">Dataset indices in the order they are batched; must cover every batch read.</param>
    /// <param name="batchSize">Samples per batch; every batch is full.</param>
    /// <param name="epoch">Passed to the dataset, so augmentation and mixup are those of this epoch.</param>
    /// <param name="firstBatch">Index of the first batch to read (non-zero when resuming inside an epoch).</param>
    /// <param name="batches">Reading stops before this batch index.</param>
    /// <param name="prefetch">Batches read ahead at most.</param>
    public BatchLoader(IByteDataset dataset, IReadOnlyList<int> order, int batchSize, int epoch, int firstBatch, int batches, int prefetch = 6)
    {
        queue = new BlockingCollection<ByteBatchData>(prefetch);
        producer = Task.Run(() =>
        {
            try
            {
                for (var b = firstBatch; b < batches && !cancel.IsCancellationRequested; b++)
                {
                    var samples = new byte[batchSize][];
                    var labels = new long[batchSize];
                    var partners = new long[batchSize];
                    var weights = new float[batchSize];
                    var mixed = false;
                    for (var i = 0; i < batchSize; i++)
                    {
                        var index = order[b * batchSize + i];
                        samples[i] = dataset.Bytes(index, epoch);
                        labels[i] = dataset.Label(index);
                        var mix = dataset.MixOf(index, epoch);
                        mixed |= mix.PartnerLabel >= 0;
                        (partners[i], weights[i]) = mix.PartnerLabel >= 0 ? (mix.PartnerLabel, mix.OwnWeight) : (labels[i], 1f);
                    }
                    queue.Add(mixed ? new ByteBatchData(samples, labels, partners, weights) : new ByteBatchData(samples, labels), cancel.Token);
                }
            }
            catch (OperationCanceledException)
            {
            }
            finally
            {
                queue.CompleteAdding();
            }
        });
    }

    /// <summary>The next batch; rethrows a failure of the background reader (e.g. an unreadable file).</summary>
    public ByteBatchData Next()
    {
        try
        {
            return queue.Take();
        }
        catch (InvalidOperationException) when (producer.IsFaulted)
        {
            throw producer.Exception!.InnerException!;
        }
    }

    /// <summary>Stops the background reader and waits for it to end.</summary>
    public void Dispose()
    {
        cancel.Cancel();
        try { producer.Wait(); } catch (AggregateException) { }
        queue.Dispose();
        cancel.Dispose();
    }

    /// <summary>A seeded permutation of 0..count-1 for one epoch.</summary>
    public static int[] Shuffle(int count, int seed, int epoch)
    {
        var order = Enumerable.Range(0, count).ToArray();
        new Random(Seeds.Mix(seed, epoch, 0x5eed)).Shuffle(order);
        return order;
    }
}

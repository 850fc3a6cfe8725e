using System.Diagnostics;
using ByteFormer.Bytes;
using ByteFormer.Data;
using ByteFormer.Model;
using static TorchSharp.torch;

namespace ByteFormer.Training;

/// <summary>Accuracy figures of a model on a dataset; <paramref name="Predicted"/> is the top-1 class of each sample, in the data set's order.</summary>
/// <param name="Samples">Samples evaluated.</param>
/// <param name="Top1">Share of samples whose best class is their label.</param>
/// <param name="Top5">Share whose label is among the five best classes (all classes when there are fewer).</param>
/// <param name="Loss">Mean cross-entropy, without label smoothing.</param>
/// <param name="SamplesPerS">Evaluation speed: samples per second of wall-clock time, reading the data included.</param>
/// <param name="ClassNames">The data set's class names, in label order.</param>
/// <param name="PerClassAccuracy">Per true class, the share predicted right; NaN for a class with no samples.</param>
/// <param name="Confusion">Counts indexed [true class][predicted class].</param>
/// <param name="Predicted">The best class of each sample, in the data set's order.</param>
public sealed record EvalResult(
    int Samples, double Top1, double Top5, double Loss, double SamplesPerS,
    IReadOnlyList<string> ClassNames, double[] PerClassAccuracy, int[][] Confusion, int[] Predicted);

/// <summary>Runs a model over a dataset without autograd and counts hits.</summary>
public static class Evaluator
{
    /// <summary>Evaluates <paramref name="model"/> on every sample of <paramref name="dataset"/>, in eval mode (its training mode is
    /// restored afterwards). Throws <see cref="ByteFormerException"/> when the class counts differ.</summary>
    /// <param name="model">The network to evaluate.</param>
    /// <param name="dataset">Labelled samples with as many classes as the model.</param>
    /// <param name="batchSize">Samples per forward pass; the last batch is padded with repeats that are not counted.</param>
    /// <param name="epoch">The epoch whose bytes <see cref="IByteDataset.Bytes"/> gives.</param>
    /// <param name="progress">Receives (samples done, samples in all) after each batch; may be null.</param>
    /// <param name="cancel">Stops between batches with <see cref="OperationCanceledException"/>.</param>
    /// <param name="device">Where the model is (the inputs go there); null for the CPU.</param>
    public static EvalResult Evaluate(ByteClassifier model, IByteDataset dataset, int batchSize = 128, int epoch = 0,
        Action<int, int>? progress = null, CancellationToken cancel = default, Device? device = null)
    {
        var classes = dataset.ClassNames.Count;
        if (classes != model.NClasses)
            throw new ByteFormerException($"the data has {classes} classes, the model {model.NClasses}");
        var wasTraining = model.training;
        model.eval();
        var confusion = Enumerable.Range(0, classes).Select(_ => new int[classes]).ToArray();
        int top1 = 0, top5 = 0, seen = 0;
        var predictions = new int[dataset.Count];
        double lossSum = 0;
        var order = Enumerable.Range(0, dataset.Count).ToArray();
        var batches = (dataset.Count + batchSize - 1) / batchSize;
        var sw = Stopwatch.StartNew();
        using (var loader = new BatchLoader(new PaddedView(dataset, order, batches * batchSize), Enumerable.Range(0, batches * batchSize).ToArray(),
                   batchSize, epoch, 0, batches))
        {
            for (var b = 0; b < batches; b++)
            {
                cancel.ThrowIfCancellationRequested();
                var batch = loader.Next();
                var real = Math.Min(batchSize, dataset.Count - b * batchSize);
                using var scope = NewDisposeScope();
                using var _ = inference_mode();
                var samples = batch.Samples.Take(real).Select(s => (ReadOnlyMemory<byte>)s).ToList();
                var tokens = ByteCollator.Collate(samples, model.MinimumBytes, device);
                var logits = model.call(tokens).to(CPU);
                var labels = tensor(batch.Labels.Take(real).ToArray());
                lossSum += nn.functional.cross_entropy(logits, labels, reduction: nn.Reduction.Sum).item<float>();
                var k = Math.Min(5, classes);
                var topk = logits.topk(k, 1).indexes.data<long>().ToArray();
                for (var i = 0; i < real; i++)
                {
                    var truth = (int)batch.Labels[i];
                    var predicted = (int)topk[i * k];
                    confusion[truth][predicted]++;
                    predictions[b * batchSize + i] = predicted;
                    if (predicted == truth) top1++;
                    for (var j = 0; j < k; j++) if (topk[i * k + j] == truth) { top5++; break; }
                }
                seen += real;
                progress?.Invoke(seen, dataset.Count);
            }
        }
        var seconds = sw.Elapsed.TotalSeconds;
        if (wasTraining) model.train();
        var perClass = confusion.Select((row, c) => row.Sum() == 0 ? double.NaN : (double)row[c] / row.Sum()).ToArray();
        return new EvalResult(seen, (double)top1 / seen, (double)top5 / seen, lossSum / seen, seen / seconds,
            dataset.ClassNames, perClass, confusion, predictions);
    }

    /// <summary>Repeats the last sample so every batch is full; the evaluator ignores the repeats.</summary>
    private sealed class PaddedView(IByteDataset inner, int[] order, int count) : IByteDataset
    {
        public int Count => count;
        public IReadOnlyList<string> ClassNames => inner.ClassNames;
        public string Describe => inner.Describe;
        public int Label(int index) => inner.Label(order[Math.Min(index, order.Length - 1)]);
        public byte[] Bytes(int index, int epoch) => inner.Bytes(order[Math.Min(index, order.Length - 1)], epoch);
    }
}

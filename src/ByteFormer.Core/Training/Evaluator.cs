using System.Diagnostics;
using ByteFormer.Bytes;
using ByteFormer.Data;
using ByteFormer.Model;
using static TorchSharp.torch;

namespace ByteFormer.Training;

/// <summary>Accuracy figures of a model on a dataset; <paramref name="Predicted"/> is the top-1 class of each sample, in the data set's order.</summary>
public sealed record EvalResult(
    int Samples, double Top1, double Top5, double Loss, double SamplesPerS,
    IReadOnlyList<string> ClassNames, double[] PerClassAccuracy, int[][] Confusion, int[] Predicted);

/// <summary>Runs a model over a dataset without autograd and counts hits.</summary>
public static class Evaluator
{
    public static EvalResult Evaluate(ByteClassifier model, IByteDataset dataset, int batchSize = 128, int epoch = 0,
        Action<int, int>? progress = null, CancellationToken cancel = default)
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
                var tokens = ByteCollator.Collate(samples, model.MinimumBytes);
                var logits = model.call(tokens);
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

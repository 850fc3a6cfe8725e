using System.Diagnostics;
using ByteFormer.Data;
using ByteFormer.Training;

namespace ByteFormer.Inference;

/// <summary>
/// The evaluator's figures for a predictor of any backend (an ONNX model, which has no TorchSharp network): batches of
/// the data set in its order, padded together as <see cref="Evaluator"/> pads them, logits from the backend, and
/// top-1, top-5, loss and the confusion matrix counted here.
/// </summary>
public static class PredictorEvaluator
{
    /// <summary>Evaluates <paramref name="predictor"/> on every sample of <paramref name="dataset"/> (whose bytes must be
    /// what the model reads: byte transforms applied already, as <see cref="TransformedDataset"/> does).</summary>
    /// <exception cref="ByteFormerException">The class counts differ.</exception>
    public static EvalResult Evaluate(Predictor predictor, IByteDataset dataset, int batchSize = 128)
    {
        var classes = dataset.ClassNames.Count;
        if (classes != predictor.Labels.Count)
            throw new ByteFormerException($"the data has {classes} classes, the model {predictor.Labels.Count}");
        var confusion = Enumerable.Range(0, classes).Select(_ => new int[classes]).ToArray();
        var predictions = new int[dataset.Count];
        int top1 = 0, top5 = 0;
        double lossSum = 0;
        var k = Math.Min(5, classes);
        var sw = Stopwatch.StartNew();
        for (var start = 0; start < dataset.Count; start += batchSize)
        {
            var count = Math.Min(batchSize, dataset.Count - start);
            var samples = Enumerable.Range(start, count).Select(i => (ReadOnlyMemory<byte>)Fit(dataset.Bytes(i, 0), predictor.ByteBudget)).ToList();
            var logits = predictor.Logits(samples);
            for (var row = 0; row < count; row++)
            {
                var truth = dataset.Label(start + row);
                var rowLogits = logits.AsSpan(row * classes, classes);
                var max = double.NegativeInfinity;
                foreach (var l in rowLogits) max = Math.Max(max, l);
                var logSum = 0.0;
                foreach (var l in rowLogits) logSum += Math.Exp(l - max);
                lossSum += max + Math.Log(logSum) - rowLogits[truth];
                var best = Enumerable.Range(0, classes).OrderByDescending(c => logits[row * classes + c]).ThenBy(c => c).Take(k).ToArray();
                confusion[truth][best[0]]++;
                predictions[start + row] = best[0];
                if (best[0] == truth) top1++;
                if (best.Contains(truth)) top5++;
            }
        }
        var seconds = sw.Elapsed.TotalSeconds;
        var seen = dataset.Count;
        var perClass = confusion.Select((row, c) => row.Sum() == 0 ? double.NaN : (double)row[c] / row.Sum()).ToArray();
        return new EvalResult(seen, (double)top1 / seen, (double)top5 / seen, lossSum / seen, seen / seconds,
            dataset.ClassNames, perClass, confusion, predictions);
    }

    /// <summary>A sample cut to the budget (data sets read at most the budget already; in-memory ones may not).</summary>
    private static byte[] Fit(byte[] bytes, long budget) => bytes.Length <= budget ? bytes : bytes[..(int)budget];
}

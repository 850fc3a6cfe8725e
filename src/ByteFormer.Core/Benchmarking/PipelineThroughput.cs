using System.Diagnostics;
using ByteFormer.Codecs;
using ByteFormer.Codecs.Writers;
using ByteFormer.Data;
using ByteFormer.Inference;

namespace ByteFormer.Benchmarking;

/// <summary>
/// The data pipeline's and a model file's speed, for <c>bench</c>: files/s of each encoding and each image writer on
/// one thread (to set beside the trainer's samples/s: training must never wait for data), and a model's single-file
/// latency and batched files/s on real files.
/// </summary>
public static class PipelineThroughput
{
    /// <summary>
    /// Files/s on one thread, augmented then encoded, for the project's TIFF, PNG and JPEG q75 encodings and for every
    /// writer of the pool (its randomised options and up to 1,024 bytes of inserted metadata, as training draws them).
    /// Empty when Fashion-MNIST is not installed.
    /// </summary>
    /// <param name="seconds">About how long all the encodings together take; the writers take what they take for 300 files each.</param>
    public static IReadOnlyList<(string Name, Func<double> Measure)> DataCases(double seconds)
    {
        if (!Directory.Exists(FashionMnist.DefaultRoot)) return [];
        var images = FashionMnist.Load("train", limit: 2000);
        double FilesPerS(IByteDataset dataset, double budget)
        {
            var sw = Stopwatch.StartNew();
            var n = 0;
            while (n < 20 || sw.Elapsed.TotalSeconds < budget) dataset.Bytes(n++ % dataset.Count, n / dataset.Count);
            return n / sw.Elapsed.TotalSeconds;
        }
        var cases = new List<(string, Func<double>)>();
        foreach (var e in new[] { "tiff", "png", "jpeg75" })
            cases.Add(($"data_files_per_s_{e}_augmented_1thread",
                () => FilesPerS(new EncodedImageDataset(images, ImageEncoding.Parse(e), new ImageAugmentation(), 0, "bench"), seconds / 3)));
        foreach (var writer in ImageWriters.All)
            cases.Add(($"writer_files_per_s_{writer.Name}_1thread",
                () => FilesPerS(new WrittenImageDataset(images, [writer], ImageAugmentation.Light, 0, "bench", 1024), 0.05)));
        cases.Add(("writer_files_per_s_all_pool_1thread",
            () => FilesPerS(new WrittenImageDataset(images, ImageWriters.All, ImageAugmentation.Light, 0, "bench", 1024), seconds / 3)));
        return cases;
    }

    /// <summary>
    /// A model file's speed on the files in <paramref name="samplesDir"/>: the median single-file latency on one thread
    /// (as <c>predict FILE</c> runs it) and on all threads, and batched files/s.
    /// </summary>
    /// <exception cref="ByteFormerException">No files, or a model that needs a key.</exception>
    public static IReadOnlyList<(string Name, Func<double> Measure)> ModelCases(string modelPath, string samplesDir, double seconds)
    {
        var loaded = ModelFile.Load(modelPath);
        var predictor = loaded.CreatePredictor(new PredictorOptions { BatchSize = 64 });
        var inputs = Directory.EnumerateFiles(samplesDir, "*", SearchOption.AllDirectories).Order()
            .Select(predictor.ReadFile).ToList();
        if (inputs.Count == 0) throw new ByteFormerException($"{samplesDir} holds no files");
        double LatencyP50Ms()
        {
            predictor.Predict([inputs[0]]);
            var times = new List<double>();
            var total = Stopwatch.StartNew();
            for (var i = 0; times.Count < 20 || total.Elapsed.TotalSeconds < seconds; i++)
            {
                var sw = Stopwatch.StartNew();
                predictor.Predict([inputs[i % inputs.Count]]);
                times.Add(sw.Elapsed.TotalMilliseconds);
            }
            times.Sort();
            return times[times.Count / 2];
        }
        double FilesPerS()
        {
            var batch = Enumerable.Range(0, 512).Select(i => inputs[i % inputs.Count]).ToList();
            predictor.Predict(batch);
            var sw = Stopwatch.StartNew();
            var n = 0;
            while (n == 0 || sw.Elapsed.TotalSeconds < seconds)
            {
                predictor.Predict(batch);
                n += batch.Count;
            }
            return n / sw.Elapsed.TotalSeconds;
        }
        double OneThread(Func<double> measure)
        {
            // Single-file latency is mostly per-op overhead, which a second thread adds to rather than hides.
            var threads = TorchSharp.torch.get_num_threads();
            TorchSharp.torch.set_num_threads(1);
            try
            {
                return measure();
            }
            finally
            {
                TorchSharp.torch.set_num_threads(threads);
            }
        }
        return
        [
            ("model_latency_p50_ms", () => OneThread(LatencyP50Ms)), ("model_files_per_s_batched", FilesPerS),
            ("model_latency_p50_ms_all_threads", LatencyP50Ms),
        ];
    }
}

using System.Diagnostics;
using ByteFormer.Codecs;
using ByteFormer.Codecs.Writers;
using ByteFormer.Data;
using ByteFormer.Inference;
using ByteFormer.Onnx;

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
            // A few files first, untimed: a writer's first call compiles its code (ImageSharp's encoders take ~50 ms),
            // which would otherwise dominate the short budget of the writer cases.
            for (var i = 0; i < 10; i++) dataset.Bytes(i % dataset.Count, 0);
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
                () => FilesPerS(new WrittenImageDataset(images, [writer], ImageAugmentation.Light, 0, "bench", 1024), 0.2)));
        cases.Add(("writer_files_per_s_all_pool_1thread",
            () => FilesPerS(new WrittenImageDataset(images, ImageWriters.All, ImageAugmentation.Light, 0, "bench", 1024), seconds / 3)));
        return cases;
    }

    /// <summary>
    /// A model's speed on the files in <paramref name="samplesDir"/> on both backends, side by side in one run: the
    /// median single-file latency on one thread (as <c>predict FILE</c> runs it) and on all threads, and batched files/s,
    /// with TorchSharp (<c>model_*</c>) and with ONNX Runtime on the model exported to ONNX (<c>onnx_*</c>). An ONNX
    /// model given as <paramref name="modelPath"/> is timed on ONNX Runtime alone.
    /// </summary>
    /// <exception cref="ByteFormerException">No files, or a model that needs a key.</exception>
    public static IReadOnlyList<(string Name, Func<double> Measure)> ModelCases(string modelPath, string samplesDir, double seconds)
    {
        var files = Directory.EnumerateFiles(samplesDir, "*", SearchOption.AllDirectories).Order().ToList();
        if (files.Count == 0) throw new ByteFormerException($"{samplesDir} holds no files");
        var cases = new List<(string, Func<double>)>();
        string onnxPath;
        if (OnnxModelFormat.IsOnnxFile(modelPath)) onnxPath = modelPath;
        else
        {
            var loaded = ModelFile.Load(modelPath);
            var torch = loaded.CreatePredictor(new PredictorOptions { BatchSize = 64 });
            var torchInputs = files.Select(torch.ReadFile).ToList();
            cases.Add(("model_latency_p50_ms", () => OneTorchThread(() => LatencyP50Ms(torch, torchInputs, seconds))));
            cases.Add(("model_files_per_s_batched", () => FilesPerS(torch, torchInputs, seconds)));
            cases.Add(("model_latency_p50_ms_all_threads", () => LatencyP50Ms(torch, torchInputs, seconds)));
            if (loaded.Model.Architecture != Model.ModelArchitecture.ByteFormer) return cases;     // the pixel ViT has no ONNX export
            onnxPath = Path.Combine(Path.GetTempPath(), $"byteformer-bench-{Environment.ProcessId}.onnx");
            OnnxExporter.Export(loaded, onnxPath, overwrite: true);
        }
        // ONNX Runtime reads the whole model when the session opens, so a temporary export can go at once.
        OnnxPredictor Open(int threads) => OnnxPredictor.Open(onnxPath, new InferenceOptions { BatchSize = 64, Threads = threads });
        var oneThread = Open(1);
        var allThreads = Open(Environment.ProcessorCount);
        if (onnxPath != modelPath) File.Delete(onnxPath);
        var inputs = files.Select(oneThread.ReadFile).ToList();
        cases.Add(("onnx_latency_p50_ms", () => LatencyP50Ms(oneThread, inputs, seconds)));
        cases.Add(("onnx_files_per_s_batched", () => FilesPerS(allThreads, inputs, seconds)));
        cases.Add(("onnx_latency_p50_ms_all_threads", () => LatencyP50Ms(allThreads, inputs, seconds)));
        return cases;
    }

    private static double LatencyP50Ms(Predictor predictor, IReadOnlyList<ByteInput> inputs, double seconds)
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

    private static double FilesPerS(Predictor predictor, IReadOnlyList<ByteInput> inputs, double seconds)
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

    /// <summary>Single-file latency is mostly per-op overhead, which a second thread adds to rather than hides.</summary>
    private static double OneTorchThread(Func<double> measure)
    {
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
}

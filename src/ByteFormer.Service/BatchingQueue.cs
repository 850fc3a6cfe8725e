using System.Collections.Concurrent;
using System.Diagnostics;
using ByteFormer.Inference;

namespace ByteFormer.Service;

/// <summary>One file waiting for a forward pass, and where its answer goes.</summary>
internal sealed class PendingFile(ByteInput input, int topK)
{
    public ByteInput Input { get; } = input;

    public int TopK { get; } = topK;

    /// <summary>When it joined the queue (<see cref="Stopwatch.GetTimestamp"/>).</summary>
    public long EnqueuedAt { get; set; }

    /// <summary>Completed by the batching thread; continuations run on the thread pool, never on that thread.</summary>
    public TaskCompletionSource<Prediction> Answer { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Set when its request gave up (timed out, client gone): the batching thread skips it.</summary>
    public volatile bool Abandoned;
}

/// <summary>
/// Micro-batching for one model: requests from many clients put their files here, and one dedicated thread takes up
/// to <see cref="ServiceOptions.MaxBatch"/> of them (waiting at most <see cref="ServiceOptions.MaxDelay"/> after the
/// first one arrived) into one forward pass. That thread is the only one that ever touches the predictor, which is not
/// thread-safe. It is an OS thread, not a pool task, because libtorch's intra-op thread count (OpenMP's) belongs to the
/// thread that sets it, and because a forward pass of milliseconds must not hold a thread-pool thread; so the queue is
/// a blocking one. Admission is all-or-nothing per request against <see cref="ServiceOptions.QueueCapacity"/>.
/// </summary>
internal sealed class BatchingQueue : IDisposable
{
    private readonly string modelName;
    private readonly Predictor predictor;
    private readonly ServiceMetrics metrics;
    private readonly int maxBatch, capacity, threads;
    private readonly long maxDelayTicks;
    private readonly BlockingCollection<PendingFile> files = new(new ConcurrentQueue<PendingFile>());
    private readonly Thread thread;
    private readonly ManualResetEventSlim started = new();
    private int waiting;
    private volatile bool running = true;

    public BatchingQueue(string modelName, Predictor predictor, ServiceOptions options, ServiceMetrics metrics)
    {
        this.modelName = modelName;
        this.predictor = predictor;
        this.metrics = metrics;
        maxBatch = options.MaxBatch;
        capacity = options.QueueCapacity;
        maxDelayTicks = (long)(options.MaxDelay.TotalSeconds * Stopwatch.Frequency);
        threads = options.Threads ?? 1;
        thread = new Thread(Run) { IsBackground = true, Name = $"byteformer-batch-{modelName}" };
        thread.Start();
        started.Wait();                                                     // ready means the thread has its threads set
    }

    /// <summary>Open unless a test holds the batching thread, to fill the queue or to make a batch deterministically.</summary>
    internal ManualResetEventSlim Gate { get; } = new(initialState: true);

    /// <summary>Files waiting (not yet taken into a forward pass).</summary>
    public int Depth => Volatile.Read(ref waiting);

    /// <summary>The most files that may wait.</summary>
    public int Capacity => capacity;

    /// <summary>True while the batching thread runs.</summary>
    public bool IsRunning => running;

    /// <summary>The intra-op thread count the batching thread set for itself, read back from libtorch on that thread.</summary>
    public int TorchThreads { get; private set; }

    /// <summary>Queues all of <paramref name="batch"/> or none of it; false when the queue cannot hold them all.</summary>
    public bool TryEnqueue(IReadOnlyList<PendingFile> batch)
    {
        if (!running) return false;
        while (true)
        {
            var now = Volatile.Read(ref waiting);
            if (now + batch.Count > capacity) return false;
            if (Interlocked.CompareExchange(ref waiting, now + batch.Count, now) == now) break;
        }
        var at = Stopwatch.GetTimestamp();
        foreach (var f in batch)
        {
            f.EnqueuedAt = at;
            try
            {
                files.Add(f);
            }
            catch (InvalidOperationException)                               // stopped meanwhile (or disposed)
            {
                Interlocked.Decrement(ref waiting);
                f.Answer.TrySetCanceled();
            }
        }
        return true;
    }

    private void Run()
    {
        // The thread count is per thread (OpenMP's nthreads-var): set it here, on the thread that runs the model.
        TorchSharp.torch.set_num_threads(threads);
        TorchThreads = TorchSharp.torch.get_num_threads();
        started.Set();
        var batch = new List<PendingFile>(maxBatch);
        try
        {
            while (!files.IsCompleted)
            {
                batch.Clear();
                if (!TryTake(Timeout.Infinite, batch)) continue;
                while (batch.Count < maxBatch)
                {
                    // Whatever is queued already joins at once; only then wait, until the first file's delay is up
                    // (counted from its arrival, so a file that waited behind a forward pass does not wait again).
                    var deadline = batch.Count > 0 ? batch[0].EnqueuedAt + maxDelayTicks : 0;
                    var remaining = deadline - Stopwatch.GetTimestamp();
                    var waitMs = remaining <= 0 ? 0 : (int)Math.Ceiling(remaining * 1000.0 / Stopwatch.Frequency);
                    if (!TryTake(waitMs, batch)) break;
                }
                if (batch.Count > 0) Forward(batch);
            }
        }
        finally
        {
            running = false;
            while (files.TryTake(out var left)) left.Answer.TrySetCanceled();
        }
    }

    /// <summary>Takes one file into <paramref name="batch"/> (an abandoned one is dropped); false on timeout or when stopped.</summary>
    private bool TryTake(int timeoutMs, List<PendingFile> batch)
    {
        PendingFile? file;
        try
        {
            if (!files.TryTake(out file, timeoutMs)) return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
        Gate.Wait();                                                        // a held file still counts as waiting
        Interlocked.Decrement(ref waiting);
        if (file.Abandoned) file.Answer.TrySetCanceled();
        else batch.Add(file);
        return true;
    }

    private void Forward(List<PendingFile> batch)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            var topK = batch.Max(f => f.TopK);
            var predictions = predictor.Predict(batch.Select(f => f.Input).ToList(), topK);
            for (var i = 0; i < batch.Count; i++)
            {
                var p = predictions[i];
                batch[i].Answer.TrySetResult(p.Top.Count > batch[i].TopK ? p with { Top = p.Top.Take(batch[i].TopK).ToArray() } : p);
            }
        }
        catch (Exception e)
        {
            foreach (var f in batch) f.Answer.TrySetException(e);
        }
        metrics.ObserveBatch(modelName, batch.Count, Stopwatch.GetElapsedTime(started).TotalSeconds);
    }

    /// <summary>Stops taking files, answers the queued ones as cancelled, and waits for the current forward pass.</summary>
    public void Dispose()
    {
        running = false;
        files.CompleteAdding();
        Gate.Set();
        thread.Join();
    }
}

using System.Diagnostics;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace ByteFormer.Training.Distributed;

/// <summary>
/// Data-parallel collectives over MPI_COMM_WORLD (Open MPI, through <see cref="MpiNative"/>). Gradients are averaged
/// in buckets of <see cref="BucketBytes"/> (one MPI_Allreduce per bucket, not per tensor, as DDP does). Every call
/// is watched: one that has not returned after <see cref="Timeout"/> (a rank died without mpirun noticing, or
/// hangs) reports one line and aborts the whole job, so no run waits forever. A SIGTERM (what mpirun sends the other
/// ranks when one dies) is reported as one line too. Only one communicator exists per process (MPI is initialised once).
/// </summary>
public sealed unsafe class MpiCommunicator : IGradientSync, IDisposable
{
    /// <summary>Gradient bytes per all-reduce call at most (DDP's default bucket is 25 MB).</summary>
    public const int BucketBytes = 25 << 20;

    /// <summary>The default of <see cref="Timeout"/>: longer than the leader's slowest solo work (checkpoint, plot).</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(120);

    private static MpiCommunicator? current;

    private readonly Action<string> report;
    private readonly Thread watchdog;
    private readonly PosixSignalRegistration? onTerm;
    private long deadline;                                                        // Stopwatch ticks; 0: no call in flight
    private string operation = "";
    private volatile bool closed;
    private long steps, calls, bytes, ticksInAllReduce;

    private MpiCommunicator(TimeSpan timeout, Action<string> report)
    {
        Timeout = timeout;
        this.report = report;
        MpiNative.Load();
        // Open MPI's own SIGSEGV/SIGBUS handlers would replace the .NET runtime's, which turn null dereferences into
        // NullReferenceException; keep them out (a user's explicit setting wins).
        MpiNative.SetDefaultEnvironment("OMPI_MCA_opal_signal", "");
        int provided, rank, size;
        MpiNative.Check(MpiNative.InitThread(null, null, MpiNative.ThreadMultiple, &provided), "MPI_Init_thread");
        ThreadLevel = provided;
        MpiNative.Check(MpiNative.CommRank(MpiNative.CommWorld, &rank), "MPI_Comm_rank");
        MpiNative.Check(MpiNative.CommSize(MpiNative.CommWorld, &size), "MPI_Comm_size");
        (Rank, WorldSize) = (rank, size);
        watchdog = new Thread(Watch) { IsBackground = true, Name = "mpi-watchdog" };
        watchdog.Start();
        try
        {
            onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, _ =>
                report($"{Who}: stopped by SIGTERM (mpirun stops every rank when one fails or the job is stopped); " +
                       "the last checkpoint stays whole: continue with --resume"));
        }
        catch (PlatformNotSupportedException)
        {
        }
    }

    /// <summary>True when this process was started by Open MPI's mpirun (or another PMIx launcher): it reads the
    /// launcher's environment only, so a plain run loads no MPI library.</summary>
    public static bool LaunchedByMpirun =>
        Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_SIZE") is not null || Environment.GetEnvironmentVariable("PMIX_RANK") is not null;

    /// <summary>The world size the launcher announces (1 when not launched by mpirun).</summary>
    public static int LaunchedWorldSize =>
        int.TryParse(Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_SIZE"), out var n) && n > 0 ? n : 1;

    /// <summary>
    /// The process's communicator when launched by mpirun (initialising MPI on first call), else
    /// <see cref="SingleProcess.Instance"/>, with nothing loaded.
    /// </summary>
    /// <param name="timeout">How long any collective may wait for the other ranks; null for <see cref="DefaultTimeout"/>.</param>
    /// <param name="report">Receives the one line said before aborting or on SIGTERM; null writes "byteformer: error: …" to stderr.</param>
    /// <exception cref="ByteFormerException">Launched by mpirun, but Open MPI's library cannot be loaded; or launched by
    /// another MPI's launcher (MPICH's hydra), which would otherwise start N unrelated runs writing one folder.</exception>
    public static IGradientSync FromEnvironment(TimeSpan? timeout = null, Action<string>? report = null)
    {
        if (!LaunchedByMpirun && Environment.GetEnvironmentVariable("PMI_RANK") is not null)
            throw new ByteFormerException("started by another MPI's launcher (PMI_RANK is set, as MPICH's mpiexec sets it); " +
                                          "only Open MPI's mpirun is supported");
        if (!LaunchedByMpirun) return SingleProcess.Instance;
        if (current is not null) return current;
        var t = timeout ?? DefaultTimeout;
        if (t <= TimeSpan.Zero) throw new ByteFormerException("the MPI timeout must be a positive number of seconds");
        return current = new MpiCommunicator(t, report ?? (line =>
        {
            Console.Error.WriteLine($"byteformer: error: {line}");
            Console.Error.Flush();
        }));
    }

    /// <inheritdoc />
    public int Rank { get; }
    /// <inheritdoc />
    public int WorldSize { get; }

    /// <summary>The thread support MPI granted (3: multiple, which the watchdog's MPI_Abort from its own thread wants).</summary>
    public int ThreadLevel { get; }

    /// <summary>How long a collective call may wait for the other ranks before the job is aborted.</summary>
    public TimeSpan Timeout { get; }

    private string Who => $"rank {Rank} of {WorldSize}";

    /// <inheritdoc />
    public GradientSyncStats Stats => new(steps, calls, bytes, (double)ticksInAllReduce / Stopwatch.Frequency);

    /// <inheritdoc />
    public void Broadcast(IReadOnlyList<Tensor> tensors)
    {
        // Once per run: straight into each tensor's memory, as bytes (any dtype).
        foreach (var t in tensors)
        {
            if (!t.is_contiguous()) throw new ByteFormerException("cannot broadcast a non-contiguous tensor");
            var span = t.bytes;
            Enter("broadcast of the initial weights");
            try
            {
                fixed (byte* p = span) MpiNative.Check(MpiNative.Bcast(p, span.Length, MpiNative.Byte, 0, MpiNative.CommWorld), "MPI_Bcast");
            }
            finally { Leave(); }
        }
    }

    /// <inheritdoc />
    public void AverageGradients(IReadOnlyList<Tensor> parameters)
    {
        var grads = new List<Tensor>(parameters.Count);
        try
        {
            foreach (var p in parameters)
                if (p.grad is { } g) grads.Add(g);
            using var divisor = ((double)WorldSize).ToScalar();                  // explicit: see AdamW's remarks
            var start = 0;
            while (start < grads.Count)
            {
                // A bucket: consecutive gradients of one dtype, up to BucketBytes (a larger tensor is a bucket alone).
                var end = start;
                long size = 0;
                while (end < grads.Count && grads[end].dtype == grads[start].dtype &&
                       (end == start || size + grads[end].numel() * grads[end].ElementSize <= BucketBytes))
                    size += grads[end].numel() * grads[end++].ElementSize;
                ReduceBucket(grads.GetRange(start, end - start), divisor);
                start = end;
            }
            steps++;
        }
        finally
        {
            foreach (var g in grads) g.Dispose();
        }
    }

    private void ReduceBucket(List<Tensor> grads, TorchSharp.Scalar divisor)
    {
        var dtype = grads[0].dtype;
        var type = dtype switch
        {
            ScalarType.Float32 => MpiNative.Float,
            ScalarType.Float64 => MpiNative.Double,
            _ => throw new ByteFormerException($"gradients of {dtype} cannot be all-reduced (float32 and float64 only)"),
        };
        using var scope = NewDisposeScope();
        var flat = grads.Count == 1 ? grads[0].reshape(-1).contiguous().clone() : cat(grads.Select(g => g.reshape(-1)).ToList());
        var span = flat.bytes;
        var count = (int)flat.numel();
        var began = Stopwatch.GetTimestamp();
        Enter("gradient all-reduce");
        try
        {
            fixed (byte* p = span) MpiNative.Check(MpiNative.Allreduce((void*)MpiNative.InPlace, p, count, type, MpiNative.OpSum, MpiNative.CommWorld), "MPI_Allreduce");
        }
        finally { Leave(); }
        ticksInAllReduce += Stopwatch.GetTimestamp() - began;
        calls++;
        bytes += span.Length;
        flat.div_(divisor);
        long offset = 0;
        using var _ = no_grad();
        foreach (var g in grads)
        {
            var n = g.numel();
            g.copy_(flat.narrow(0, offset, n).view(g.shape));
            offset += n;
        }
    }

    /// <inheritdoc />
    public void Sum(double[] values)
    {
        if (values.Length == 0) return;
        Enter("sum of the epoch's figures");
        try
        {
            fixed (double* p = values) MpiNative.Check(MpiNative.Allreduce((void*)MpiNative.InPlace, p, values.Length, MpiNative.Double, MpiNative.OpSum, MpiNative.CommWorld), "MPI_Allreduce");
        }
        finally { Leave(); }
    }

    /// <inheritdoc />
    public void BroadcastValues(double[] values)
    {
        if (values.Length == 0) return;
        Enter("broadcast of the leader's figures");
        try
        {
            fixed (double* p = values) MpiNative.Check(MpiNative.Bcast(p, values.Length, MpiNative.Double, 0, MpiNative.CommWorld), "MPI_Bcast");
        }
        finally { Leave(); }
    }

    /// <summary>Waits until every rank has called it.</summary>
    public void Barrier()
    {
        Enter("barrier");
        try { MpiNative.Check(MpiNative.Barrier(MpiNative.CommWorld), "MPI_Barrier"); }
        finally { Leave(); }
    }

    /// <summary>Ends the whole job (every rank) with <paramref name="code"/>; does not return.</summary>
    public void Abort(int code)
    {
        closed = true;
        MpiNative.Abort(MpiNative.CommWorld, code);
        MpiNative.ExitNow(code);
    }

    /// <summary>Finalises MPI after every rank got here (watched, like every collective); call after a run that ended well.</summary>
    public void Finish()
    {
        if (closed) return;
        Barrier();
        Enter("MPI_Finalize");
        try { MpiNative.Check(MpiNative.Finalize(), "MPI_Finalize"); }
        finally { Leave(); }
        closed = true;
        onTerm?.Dispose();
    }

    /// <summary>After <see cref="Finish"/>, nothing; otherwise (the run failed or stopped on this rank) aborts the job,
    /// so that the other ranks do not wait for this one. Does not return in that case.</summary>
    public void Dispose()
    {
        if (!closed) Abort(1);
    }

    /// <summary>Arms the watchdog for one collective call.</summary>
    private void Enter(string what)
    {
        Volatile.Write(ref operation, what);
        Volatile.Write(ref deadline, Stopwatch.GetTimestamp() + (long)(Timeout.TotalSeconds * Stopwatch.Frequency));
    }

    private void Leave() => Volatile.Write(ref deadline, 0);

    private void Watch()
    {
        while (!closed)
        {
            Thread.Sleep(200);
            var due = Volatile.Read(ref deadline);
            if (due == 0 || Stopwatch.GetTimestamp() < due || closed) continue;
            report($"{Who}: no answer from the other ranks for {Timeout.TotalSeconds:F0} s in the {Volatile.Read(ref operation)} " +
                   "(a rank died or hangs); stopping every rank. The last checkpoint stays whole: continue with --resume");
            closed = true;
            // MPI_Abort from this thread while the main thread is inside a collective; if it does not end the
            // process within a few seconds, end it without MPI.
            var aborter = new Thread(() => MpiNative.Abort(MpiNative.CommWorld, 1)) { IsBackground = true };
            aborter.Start();
            aborter.Join(TimeSpan.FromSeconds(10));
            MpiNative.ExitNow(1);
        }
    }
}

using ByteFormer.Cli.Output;
using ByteFormer.Training.Distributed;

namespace ByteFormer.Cli.Commands;

/// <summary>A verb's body under mpirun or not: the communicator it gets, and how the job ends.</summary>
internal static class DistributedCli
{
    /// <summary>
    /// Runs <paramref name="action"/> with the process's communicator (one process's no-op without mpirun, and then
    /// no MPI library is loaded) inside <see cref="ErrorReporter.Guard"/>. Under mpirun, a run that ended well
    /// finalises MPI with the others; a failure is said in one line, then aborts the job so that no rank waits
    /// for this one.
    /// </summary>
    public static int Guard(CliIO io, double timeoutSeconds, Func<IGradientSync, int> action)
    {
        MpiCommunicator? mpi = null;
        var code = ErrorReporter.Guard(io, () =>
        {
            if (timeoutSeconds <= 0) throw new ByteFormerException("--mpi-timeout must be a positive number of seconds");
            var sync = MpiCommunicator.FromEnvironment(TimeSpan.FromSeconds(timeoutSeconds), io.Error);
            mpi = sync as MpiCommunicator;
            return action(sync);
        });
        if (mpi is not null)
        {
            io.Err.Flush();
            io.Out.Flush();
            if (code == 0) mpi.Finish();
            else mpi.Abort(code);
        }
        return code;
    }

    /// <summary>Intra-op threads per rank when --threads is not given: the machine's cores shared among the ranks
    /// mpirun started on it (libtorch would otherwise start one thread per core in every rank).</summary>
    public static int? ThreadsPerRank(IGradientSync sync)
    {
        if (sync.WorldSize == 1) return null;
        var local = int.TryParse(Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_LOCAL_SIZE"), out var n) && n > 0 ? n : 1;
        return Math.Max(1, Environment.ProcessorCount / local);
    }
}

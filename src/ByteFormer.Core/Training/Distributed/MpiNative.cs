using System.Runtime.InteropServices;

namespace ByteFormer.Training.Distributed;

/// <summary>
/// The few MPI calls distributed training needs, bound to Open MPI's <c>libmpi.so.40</c> at first use. MPI.NET is
/// built for MS-MPI, whose handles are integers; Open MPI's handles are the addresses of exported objects
/// (<c>MPI_COMM_WORLD</c> is <c>&amp;ompi_mpi_comm_world</c>), so they are read with <see cref="NativeLibrary.GetExport"/>.
/// Nothing here is touched, and no library is loaded, unless a process runs under mpirun.
/// </summary>
internal static unsafe class MpiNative
{
    /// <summary>The Open MPI 4.x library soname (Debian's libopenmpi3).</summary>
    public const string LibraryName = "libmpi.so.40";

    public const int Success = 0;
    public const int ThreadMultiple = 3;                                      // Open MPI's enum: single, funneled, serialized, multiple
    public static readonly IntPtr InPlace = 1;                                // Open MPI's MPI_IN_PLACE is ((void *) 1)

    private const int RtldNow = 2, RtldGlobal = 0x100;

    private static IntPtr library;

    public static IntPtr CommWorld, Byte, Float, Double, OpSum, OpMax;
    public static delegate* unmanaged[Cdecl]<int*, byte***, int, int*, int> InitThread;
    public static delegate* unmanaged[Cdecl]<int*, int> Initialized;
    public static delegate* unmanaged[Cdecl]<int*, int> Finalized;
    public static delegate* unmanaged[Cdecl]<IntPtr, int*, int> CommRank;
    public static delegate* unmanaged[Cdecl]<IntPtr, int*, int> CommSize;
    public static delegate* unmanaged[Cdecl]<void*, void*, int, IntPtr, IntPtr, IntPtr, int> Allreduce;
    public static delegate* unmanaged[Cdecl]<void*, int, IntPtr, int, IntPtr, int> Bcast;
    public static delegate* unmanaged[Cdecl]<IntPtr, int> Barrier;
    public static delegate* unmanaged[Cdecl]<int> Finalize;
    public static delegate* unmanaged[Cdecl]<IntPtr, int, int> Abort;

    /// <summary>Loads the library and resolves every symbol, once.</summary>
    /// <exception cref="ByteFormerException">The library is missing or is not Open MPI's.</exception>
    public static void Load()
    {
        if (library != IntPtr.Zero) return;
        // RTLD_GLOBAL: Open MPI opens its components (mca_*.so) with dlopen, and they resolve libmpi's symbols
        // from the global scope; NativeLibrary.Load opens libraries RTLD_LOCAL.
        var handle = dlopen(LibraryName, RtldNow | RtldGlobal);
        if (handle == IntPtr.Zero)
        {
            var why = Marshal.PtrToStringUTF8(dlerror()) ?? "not found";
            throw new ByteFormerException($"running under mpirun, but Open MPI's {LibraryName} cannot be loaded ({why}); " +
                                          "install it with scripts/setup.sh (Debian: openmpi-bin libopenmpi3)");
        }
        IntPtr Export(string name) => NativeLibrary.TryGetExport(handle, name, out var address)
            ? address
            : throw new ByteFormerException($"{LibraryName} has no symbol {name}: only Open MPI 4.x is supported");
        CommWorld = Export("ompi_mpi_comm_world");
        Byte = Export("ompi_mpi_byte");
        Float = Export("ompi_mpi_float");
        Double = Export("ompi_mpi_double");
        OpSum = Export("ompi_mpi_op_sum");
        OpMax = Export("ompi_mpi_op_max");
        InitThread = (delegate* unmanaged[Cdecl]<int*, byte***, int, int*, int>)Export("MPI_Init_thread");
        Initialized = (delegate* unmanaged[Cdecl]<int*, int>)Export("MPI_Initialized");
        Finalized = (delegate* unmanaged[Cdecl]<int*, int>)Export("MPI_Finalized");
        CommRank = (delegate* unmanaged[Cdecl]<IntPtr, int*, int>)Export("MPI_Comm_rank");
        CommSize = (delegate* unmanaged[Cdecl]<IntPtr, int*, int>)Export("MPI_Comm_size");
        Allreduce = (delegate* unmanaged[Cdecl]<void*, void*, int, IntPtr, IntPtr, IntPtr, int>)Export("MPI_Allreduce");
        Bcast = (delegate* unmanaged[Cdecl]<void*, int, IntPtr, int, IntPtr, int>)Export("MPI_Bcast");
        Barrier = (delegate* unmanaged[Cdecl]<IntPtr, int>)Export("MPI_Barrier");
        Finalize = (delegate* unmanaged[Cdecl]<int>)Export("MPI_Finalize");
        Abort = (delegate* unmanaged[Cdecl]<IntPtr, int, int>)Export("MPI_Abort");
        library = handle;
    }

    /// <summary>Throws when an MPI call did not succeed (with the default error handler it aborts before returning).</summary>
    public static void Check(int code, string call)
    {
        if (code != Success) throw new ByteFormerException($"{call} failed (MPI error {code})");
    }

    /// <summary>Sets a variable in the C environment, which Open MPI reads (Environment.SetEnvironmentVariable
    /// only changes .NET's copy on Unix). Leaves a variable the user set alone.</summary>
    public static void SetDefaultEnvironment(string name, string value) => setenv(name, value, 0);

    /// <summary>Ends the process at once, without running .NET's shutdown (used when MPI_Abort does not return).</summary>
    public static void ExitNow(int code) => _exit(code);

    [DllImport("libc.so.6", EntryPoint = "dlopen")]
    private static extern IntPtr dlopen([MarshalAs(UnmanagedType.LPUTF8Str)] string file, int mode);

    [DllImport("libc.so.6", EntryPoint = "dlerror")]
    private static extern IntPtr dlerror();

    [DllImport("libc.so.6", EntryPoint = "setenv")]
    private static extern int setenv([MarshalAs(UnmanagedType.LPUTF8Str)] string name, [MarshalAs(UnmanagedType.LPUTF8Str)] string value, int overwrite);

    [DllImport("libc.so.6", EntryPoint = "_exit")]
    private static extern void _exit(int code);
}

using System.Runtime.InteropServices;

namespace ByteFormer;

/// <summary>
/// Tells a regular file from a named pipe, a device or a socket before anything opens it: opening a named pipe for
/// reading waits for a writer (forever, if none comes), and a device such as <c>/dev/zero</c> never ends. .NET
/// reports all of them as plain files, so this asks the system (stat) where it can.
/// </summary>
public static class FileKinds
{
    /// <summary>What <paramref name="path"/> is when it is not a regular file ("a named pipe", "a character device",
    /// "a block device", "a socket"), following links; null for a regular file, a folder, a missing file, or where the
    /// system cannot say.</summary>
    public static string? Special(string path)
    {
        if (ModeOf(path) is not { } mode) return null;
        return (mode & 0xF000) switch
        {
            0x1000 => "a named pipe",
            0x2000 => "a character device",
            0x6000 => "a block device",
            0xC000 => "a socket",
            _ => null,
        };
    }

    /// <summary>st_mode of <paramref name="path"/>, or null where it cannot be read (not Linux x64 or arm64, no such file).</summary>
    private static uint? ModeOf(string path)
    {
        if (!OperatingSystem.IsLinux()) return null;
        // struct stat's layout: st_mode follows st_dev, st_ino and (on x86-64 only) st_nlink.
        var offset = RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 => 24,
            Architecture.Arm64 => 16,
            _ => -1,
        };
        if (offset < 0) return null;
        var buffer = Marshal.AllocHGlobal(256);                                    // sizeof(struct stat) is 144 or 128
        try
        {
            if (stat(path, buffer) != 0) return null;
            return (uint)Marshal.ReadInt32(buffer, offset);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;                                                           // a libc without a stat symbol (glibc < 2.33)
        }
        finally
        {
            Marshal.FreeHGlobal(buffer);
        }
    }

    [DllImport("libc", CharSet = CharSet.Ansi, SetLastError = true)]
    private static extern int stat(string path, IntPtr buffer);
}

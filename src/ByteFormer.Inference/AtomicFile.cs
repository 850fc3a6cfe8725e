using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.RegularExpressions;

namespace ByteFormer;

/// <summary>Writes a file so that readers see either the old file or the complete new one, never a part.</summary>
public static partial class AtomicFile
{
    /// <summary>A temporary file older than this whose process is gone is a leftover of a killed write.</summary>
    public static readonly TimeSpan StaleAfter = TimeSpan.FromMinutes(10);

    private static readonly ConcurrentDictionary<string, byte> InFlight = new();

    /// <summary>Folders already cleaned by this process (once each: a command writing thousands of files into
    /// one folder must not list it thousands of times).</summary>
    private static readonly ConcurrentDictionary<string, byte> Cleaned = new();

    static AtomicFile()
    {
        // A SIGTERM or Ctrl+C ends the process without unwinding the writing thread: remove its temporary files.
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            foreach (var tmp in InFlight.Keys) TryDelete(tmp);
        };
    }

    /// <summary>Writes through <paramref name="write"/> into a temporary file beside <paramref name="path"/>,
    /// flushes it to disk, then renames it over <paramref name="path"/>. On failure the temporary file is
    /// removed and the old file is left as it was. Temporary files that killed writers left in the folder
    /// (<c>.NAME.PID.tmp</c> whose process is gone) are removed first, on the process's first write there.</summary>
    /// <param name="path">The file to write.</param>
    /// <param name="write">Writes the whole content to the stream it is given.</param>
    /// <param name="mode">Unix permissions the file is created with (e.g. 0600 for a secret); null for the default.</param>
    /// <param name="overwrite">False to refuse replacing an existing file, atomically (no check-then-rename race).</param>
    public static void Write(string path, Action<Stream> write, UnixFileMode? mode = null, bool overwrite = true)
    {
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(dir))
            throw new ByteFormerException($"cannot write {path}: folder {dir} does not exist");
        if (Cleaned.TryAdd(dir, 0)) RemoveStaleTemporaries(dir);
        var tmp = TemporaryName(full, Environment.ProcessId);
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, Share = FileShare.None };
        if (mode is { } m && !OperatingSystem.IsWindows()) options.UnixCreateMode = m;
        InFlight[tmp] = 0;
        try
        {
            if (mode is not null && !OperatingSystem.IsWindows()) TryDelete(tmp);   // a leftover would keep its old mode
            using (var stream = new FileStream(tmp, options))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            if (!overwrite && File.Exists(full))
                throw new ByteFormerException($"{path} already exists and is not replaced");
            File.Move(tmp, full, overwrite);
        }
        catch (Exception e)
        {
            TryDelete(tmp);
            if (e is IOException && !overwrite && File.Exists(full))
                throw new ByteFormerException($"{path} already exists and is not replaced", e);
            if (e is IOException or UnauthorizedAccessException)
                throw new ByteFormerException($"cannot write {path}: {e.Message}", e);
            throw;
        }
        finally
        {
            InFlight.TryRemove(tmp, out _);
        }
    }

    /// <summary>The temporary file a process writes <paramref name="fullPath"/> through.</summary>
    public static string TemporaryName(string fullPath, int pid) =>
        Path.Combine(Path.GetDirectoryName(fullPath)!, $".{Path.GetFileName(fullPath)}.{pid}.tmp");

    /// <summary>Removes <c>.NAME.PID.tmp</c> files in <paramref name="dir"/> whose process is no longer alive
    /// and that nobody has written for <see cref="StaleAfter"/> (a process of another PID namespace sharing the
    /// folder is thus left alone while it writes). Other files are never touched; failures are ignored.</summary>
    public static void RemoveStaleTemporaries(string dir)
    {
        IEnumerable<string> candidates;
        try
        {
            candidates = Directory.EnumerateFiles(dir, ".*.tmp").ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return;
        }
        foreach (var file in candidates)
        {
            var match = TemporaryPattern().Match(Path.GetFileName(file));
            if (!match.Success || !int.TryParse(match.Groups[1].ValueSpan, out var pid)) continue;
            if (pid == Environment.ProcessId || IsAlive(pid)) continue;
            try
            {
                if (DateTime.UtcNow - File.GetLastWriteTimeUtc(file) < StaleAfter) continue;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue;
            }
            TryDelete(file);
        }
    }

    [GeneratedRegex(@"^\..+\.([0-9]{1,10})\.tmp$", RegexOptions.CultureInvariant)]
    private static partial Regex TemporaryPattern();

    private static bool IsAlive(int pid)
    {
        if (pid <= 0) return false;
        if (OperatingSystem.IsLinux()) return Directory.Exists($"/proc/{pid}");
        try
        {
            using var p = Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }

    private static void TryDelete(string file)
    {
        try
        {
            File.Delete(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }
}

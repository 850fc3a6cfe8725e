namespace ByteFormer.Service;

/// <summary>A process's memory as Linux reports it in <c>/proc/PID/status</c>.</summary>
/// <param name="ResidentBytes">VmRSS: resident now.</param>
/// <param name="PeakResidentBytes">VmHWM: the most resident at any time since the process started.</param>
public sealed record ProcessMemory(long ResidentBytes, long PeakResidentBytes)
{
    /// <summary>Reads <c>/proc/PID/status</c>; null when there is no such process or no /proc (not Linux).</summary>
    public static ProcessMemory? Read(int pid)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines($"/proc/{pid}/status");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        long? rss = null, hwm = null;
        foreach (var line in lines)
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal)) rss = Kilobytes(line);
            else if (line.StartsWith("VmHWM:", StringComparison.Ordinal)) hwm = Kilobytes(line);
        }
        return rss is { } r && hwm is { } h ? new ProcessMemory(r, h) : null;
    }

    /// <summary>This process's memory.</summary>
    public static ProcessMemory? OfThisProcess() => Read(Environment.ProcessId);

    private static long? Kilobytes(string line)
    {
        // "VmRSS:	  123456 kB"
        var parts = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        return parts.Length >= 2 && long.TryParse(parts[1], out var kb) ? kb * 1024 : null;
    }
}

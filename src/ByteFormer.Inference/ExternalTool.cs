using System.Diagnostics;

namespace ByteFormer;

/// <summary>Runs a command-line tool from a Debian package, feeding standard input and returning standard output.</summary>
public static class ExternalTool
{
    /// <summary>Standard output of <paramref name="tool"/> run with <paramref name="arguments"/>, given <paramref name="input"/> (may be null)
    /// on standard input; <paramref name="package"/> is named when the tool is missing, and the tool is killed after
    /// <paramref name="timeoutMs"/> ms.</summary>
    /// <exception cref="ByteFormerException">The tool is missing (naming its package) or failed.</exception>
    public static byte[] Run(string tool, string package, string arguments, byte[]? input = null, int timeoutMs = 60_000)
    {
        var info = new ProcessStartInfo(tool, arguments)
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        Process process;
        try
        {
            process = Process.Start(info) ?? throw new ByteFormerException($"{tool} did not start");
        }
        catch (System.ComponentModel.Win32Exception)
        {
            throw new ByteFormerException($"{tool} is not installed: install Debian's '{package}' package (scripts/setup.sh does)");
        }
        using (process)
        {
            var stdout = new MemoryStream();
            var copy = process.StandardOutput.BaseStream.CopyToAsync(stdout);
            var errors = process.StandardError.ReadToEndAsync();
            if (input is not null)
            {
                try
                {
                    process.StandardInput.BaseStream.Write(input);
                }
                catch (IOException)
                {
                    // The tool stopped reading; its exit code and standard error say why.
                }
            }
            process.StandardInput.Close();
            if (!process.WaitForExit(timeoutMs))
            {
                process.Kill(entireProcessTree: true);
                throw new ByteFormerException($"{tool} {arguments}: no answer after {timeoutMs / 1000} s");
            }
            copy.Wait();
            if (process.ExitCode != 0)
                throw new ByteFormerException($"{tool} failed (exit {process.ExitCode}): {errors.Result.Trim().Split('\n')[0]}");
            return stdout.ToArray();
        }
    }
}

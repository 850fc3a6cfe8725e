using System.Diagnostics;

namespace ByteFormer.Codecs.Audio;

/// <summary>
/// MP3 through Debian's <c>lame</c> (datasets.md §4): constant bit rate, mono, from 16-bit PCM on standard
/// input. lame is deterministic, so the same clip gives the same bytes. About 20 ms a clip (process start).
/// </summary>
public static class Mp3Encoder
{
    /// <summary>The bit rate for a sample rate: 32 kbps at 16 kHz (the paper's), 16 kbps at 8 kHz.</summary>
    public static int DefaultKbps(int sampleRate) => sampleRate >= 16000 ? 32 : 16;

    public static byte[] Encode(AudioClip clip, int? kbps = null)
    {
        var pcm = new byte[clip.Samples.Length * 2];
        for (var i = 0; i < clip.Samples.Length; i++)
            System.Buffers.Binary.BinaryPrimitives.WriteInt16LittleEndian(pcm.AsSpan(2 * i), (short)(Math.Clamp(clip.Samples[i], -1f, 1f) * 32767f));
        var khz = (clip.SampleRate / 1000.0).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var args = $"--quiet -r -s {khz} --bitwidth 16 --signed --little-endian -m m -b {kbps ?? DefaultKbps(clip.SampleRate)} - -";
        return ExternalTool.Run("lame", "lame", args, pcm);
    }
}

/// <summary>Runs a command-line tool from a Debian package, feeding standard input and returning standard output.</summary>
public static class ExternalTool
{
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

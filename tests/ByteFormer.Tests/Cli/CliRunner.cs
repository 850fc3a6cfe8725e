using ByteFormer.Cli;

namespace ByteFormer.Tests.Cli;

/// <summary>Runs the byteformer command in process and captures what it prints.</summary>
public sealed record CliResult(int ExitCode, string Out, string Err);

public static class CliRunner
{
    public static CliResult Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = CliApp.Run(args, stdout, stderr);
        return new CliResult(code, stdout.ToString(), stderr.ToString());
    }

    /// <summary>A failure as users must see it: non-zero exit, one line per problem on stderr, no stack trace.</summary>
    public static void AssertCleanFailure(CliResult result, string expectedFragment, int lines = 1)
    {
        Assert.NotEqual(0, result.ExitCode);
        var errLines = result.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(lines, errLines.Length);
        Assert.DoesNotContain("   at ", result.Err);
        Assert.Contains(expectedFragment, result.Err, StringComparison.OrdinalIgnoreCase);
    }
}

/// <summary>A temporary folder removed after the test.</summary>
public sealed class TempDir : IDisposable
{
    public TempDir() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "byteformer-tests-" + Guid.NewGuid().ToString("N"));

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}

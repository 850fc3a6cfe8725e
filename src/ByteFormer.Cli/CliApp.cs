using System.CommandLine;
using ByteFormer.Cli.Commands;
using ByteFormer.Cli.Output;

namespace ByteFormer.Cli;

/// <summary>The <c>byteformer</c> command: wires the verbs, nothing else.</summary>
public static class CliApp
{
    /// <summary>Builds the command tree; <paramref name="io"/> is where the verbs write.</summary>
    public static RootCommand Build(CliIO io) => new("ByteFormer: classify files from their bytes.")
    {
        InfoCommand.Create(io),
        PredictCommand.Create(io),
        ImportCommand.Create(io),
        BenchCommand.Create(io),
        DataCommand.Create(io),
        TrainCommand.Create(io),
        EvalCommand.Create(io),
        CompareCommand.Create(io),
        KeyCommands.Keygen(io),
        KeyCommands.Permute(io),
        DamageCommand.Create(io),
        ExportCommand.Create(io),
        DistributedCheck.Create(io),
        ServeCommand.Create(io),
        LoadTestCommand.Create(io),
    };

    /// <summary>Runs the command line and returns the exit code. Errors are one line on
    /// <paramref name="stderr"/>, never a stack trace (unless BYTEFORMER_DEBUG=1).</summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        TorchRuntime.Configure();
        var io = new CliIO(stdout, stderr);
        var root = Build(io);
        var parse = root.Parse(args);
        // Mistakes are one line and exit 2 (a usage error) before any work starts.
        if (UsageCheck.FirstProblem(parse) is { } problem)
        {
            stderr.WriteLine($"byteformer: error: {problem}");
            return 2;
        }
        return parse.Invoke(new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false });
    }
}

using Spectre.Console;

namespace ByteFormer.Cli.Output;

/// <summary>Where a verb writes: results to <see cref="Out"/>, messages and errors to <see cref="Err"/>.</summary>
public sealed class CliIO
{
    public CliIO(TextWriter stdout, TextWriter stderr)
    {
        Out = stdout;
        Err = stderr;
        var interactive = ReferenceEquals(stdout, System.Console.Out) && !System.Console.IsOutputRedirected;
        Console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(stdout),
            Ansi = interactive ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = interactive ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = interactive ? InteractionSupport.Detect : InteractionSupport.No,
        });
        if (!interactive) Console.Profile.Width = 160;
    }

    public TextWriter Out { get; }
    public TextWriter Err { get; }

    /// <summary>Spectre console on <see cref="Out"/> for tables (plain text when redirected).</summary>
    public IAnsiConsole Console { get; }

    /// <summary>Writes one error line.</summary>
    public void Error(string message) => Err.WriteLine($"byteformer: error: {message}");
}

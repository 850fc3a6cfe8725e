using ByteFormer;
using TorchSharp;

namespace ByteFormer.Cli.Output;

/// <summary>Runs a verb and turns every failure into one line on stderr and a non-zero exit code.</summary>
public static class ErrorReporter
{
    public const int Failure = 1;
    public const int InternalError = 70;

    public static int Guard(CliIO io, Func<int> action)
    {
        try
        {
            return action();
        }
        catch (ByteFormerException e)
        {
            io.Error(e.Message);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            io.Error(e.Message);
        }
        catch (ArgumentException e)
        {
            io.Error(e.Message);
        }
        catch (OutOfMemoryException)
        {
            io.Error("out of memory; try a smaller --batch-size");
        }
        catch (Exception e)
        {
            io.Error($"internal error ({e.GetType().Name}): {FirstLine(e.Message)}");
            if (Environment.GetEnvironmentVariable("BYTEFORMER_DEBUG") == "1") io.Err.WriteLine(e);
            return InternalError;
        }
        return Failure;
    }

    private static string FirstLine(string s) => s.Split('\n')[0].Trim();
}

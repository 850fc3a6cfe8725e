using System.Text;
using System.Text.Json;
using ByteFormer.Training;

namespace ByteFormer.Runs;

/// <summary>
/// A training run's folder and the files in it: <c>checkpoint.zip</c> (to resume), <c>data.json</c> (the
/// <see cref="RunSpec"/>), <c>command.txt</c> (the command that started it), <c>metrics.jsonl</c>,
/// <c>curves.png</c> and, when finished, <c>model.safetensors</c>. Every file is written atomically.
/// </summary>
/// <param name="Path">The folder.</param>
public sealed record RunFolder(string Path)
{
    private const string SpecFile = "data.json";
    private const string CommandFile = "command.txt";

    /// <summary>The model file's name in a run folder.</summary>
    public const string ModelFileName = "model.safetensors";

    /// <summary>The checkpoint to resume from.</summary>
    public string CheckpointPath => File(Checkpoint.FileName);
    /// <summary>The finished run's model file (EMA weights when EMA was on).</summary>
    public string ModelPath => File(ModelFileName);
    /// <summary>One JSON line per finished epoch.</summary>
    public string MetricsPath => File(Trainer.MetricsFileName);
    /// <summary>The training curves.</summary>
    public string PlotPath => File(Trainer.PlotFileName);
    /// <summary>The run specification.</summary>
    public string SpecPath => File(SpecFile);
    /// <summary>The command line that started the run.</summary>
    public string CommandPath => File(CommandFile);

    /// <summary>True when the folder holds a run's checkpoint.</summary>
    public bool HoldsRun => System.IO.File.Exists(CheckpointPath);

    /// <summary>True when the run finished (its model file is there).</summary>
    public bool IsFinished => System.IO.File.Exists(ModelPath);

    /// <summary>The run's folder name, for tables.</summary>
    public string Name => System.IO.Path.GetFileName(System.IO.Path.TrimEndingDirectorySeparator(Path));

    /// <summary>The results of a run that a new run would replace (model file, metrics, curves), by name.</summary>
    public IReadOnlyList<string> Leftovers() =>
        new[] { ModelFileName, Trainer.MetricsFileName, Trainer.PlotFileName }.Where(n => System.IO.File.Exists(File(n))).ToList();

    /// <summary>The run specification, or null when the folder has none (a run written by hand, or not a run).</summary>
    /// <exception cref="ByteFormerException">The file is there but unreadable.</exception>
    public RunSpec? ReadSpec()
    {
        if (!System.IO.File.Exists(SpecPath)) return null;
        try
        {
            return JsonSerializer.Deserialize<RunSpec>(System.IO.File.ReadAllText(SpecPath))
                   ?? throw new ByteFormerException($"{SpecPath} is empty");
        }
        catch (JsonException e)
        {
            throw new ByteFormerException($"{SpecPath} is not readable ({e.Message.Split('\n')[0]})");
        }
    }

    /// <summary>The command that started the run, or null.</summary>
    public string? ReadCommand() => System.IO.File.Exists(CommandPath) ? System.IO.File.ReadAllText(CommandPath).Trim() : null;

    /// <summary>Creates the folder and writes the run's specification and command (a new run).</summary>
    public void WriteStart(RunSpec spec, string command)
    {
        Directory.CreateDirectory(Path);
        AtomicFile.Write(CommandPath, s => s.Write(Encoding.UTF8.GetBytes(command + "\n")));
        AtomicFile.Write(SpecPath, s => s.Write(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(spec))));
    }

    private string File(string name) => System.IO.Path.Combine(Path, name);
}

namespace ByteFormer.Fuzz;

/// <summary>What one input did to a target.</summary>
public enum Outcome
{
    /// <summary>The loader read it.</summary>
    Accepted,
    /// <summary>The loader refused it with a <see cref="ByteFormerException"/> of one clear line: the documented refusal.</summary>
    Refused,
}

/// <summary>A refusal whose message is empty or more than one line: a loader's contract is one clear line.</summary>
public sealed class UnclearRefusalException(string message, Exception inner) : Exception(message, inner);

/// <summary>
/// One loader of untrusted bytes, driven from an in-memory input. <see cref="Run"/> is the signature every
/// driver calls (afl++, libFuzzer, the mutation mode): it swallows exactly the documented refusal and lets
/// anything else escape, so the driver sees every other exception as the defect it is.
/// </summary>
public abstract class FuzzTarget
{
    /// <summary>The target's name on the command line and its corpus folder's name.</summary>
    public abstract string Name { get; }

    /// <summary>What it loads, for <c>list</c>.</summary>
    public abstract string Description { get; }

    /// <summary>Tokens the mutator may insert (keywords and punctuation of a text format); empty for binary ones.</summary>
    public virtual IReadOnlyList<byte[]> Dictionary => [];

    /// <summary>True for a loader that must never throw at all (a sniffer): even a refusal escapes.</summary>
    protected virtual bool NeverThrows => false;

    /// <summary>Loads <paramref name="input"/> the way the application does; throws whatever the loader throws.</summary>
    protected abstract void Load(ReadOnlySpan<byte> input);

    /// <summary>The fuzzing entry point: the refusal is swallowed, anything else escapes.</summary>
    public void Run(ReadOnlySpan<byte> input) => Execute(input);

    /// <summary>Like <see cref="Run"/>, saying whether the input was read or refused.</summary>
    public Outcome Execute(ReadOnlySpan<byte> input)
    {
        if (NeverThrows)
        {
            Load(input);
            return Outcome.Accepted;
        }
        try
        {
            Load(input);
            return Outcome.Accepted;
        }
        catch (ByteFormerException e)
        {
            if (string.IsNullOrWhiteSpace(e.Message) || e.Message.Contains('\n'))
                throw new UnclearRefusalException($"{e.GetType().Name} without one clear line: '{e.Message}'", e);
            LastRefusal = e.GetType().Name;
            return Outcome.Refused;
        }
    }

    /// <summary>The type name of the last refusal (CheckpointException, CodecException...).</summary>
    public string? LastRefusal { get; private set; }

    /// <inheritdoc />
    public override string ToString() => Name;
}

/// <summary>A target whose loader takes a path: each input is written to one scratch file, reused, and loaded from there.</summary>
public abstract class FileFuzzTarget : FuzzTarget, IDisposable
{
    private FileStream? scratch;
    private string? scratchPath;

    /// <summary>The scratch file's extension (".pt", ".safetensors"...), as the application would see it.</summary>
    protected abstract string Extension { get; }

    /// <summary>Where the current input is; after a crash that killed the process, the input that did it.</summary>
    public string ScratchPath => scratchPath ??= MakeScratchPath();

    private string MakeScratchPath()
    {
        var root = Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath();
        var dir = Path.Combine(root, $"byteformer-fuzz-{Environment.ProcessId}");
        Directory.CreateDirectory(dir);
        return Path.Combine(dir, $"{Name}-{Guid.NewGuid():N}{Extension}");
    }

    /// <summary>Loads the file at <paramref name="path"/> the way the application does.</summary>
    protected abstract void LoadFile(string path);

    /// <summary>The file's bytes for <paramref name="input"/>; the input itself unless a target wraps it (a pickle in a zip).</summary>
    protected virtual byte[]? Prepare(ReadOnlySpan<byte> input) => null;

    /// <inheritdoc />
    protected sealed override void Load(ReadOnlySpan<byte> input)
    {
        scratch ??= new FileStream(ScratchPath, FileMode.Create, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
        ReadOnlySpan<byte> bytes = Prepare(input) is { } prepared ? prepared : input;
        scratch.Position = 0;
        scratch.Write(bytes);
        scratch.SetLength(bytes.Length);
        scratch.Flush();
        LoadFile(ScratchPath);
    }

    /// <summary>Removes the scratch file.</summary>
    public void Dispose()
    {
        scratch?.Dispose();
        scratch = null;
        if (scratchPath is null) return;
        try
        {
            File.Delete(scratchPath);
            var dir = Path.GetDirectoryName(scratchPath)!;
            if (!Directory.EnumerateFileSystemEntries(dir).Any()) Directory.Delete(dir);
        }
        catch (IOException)
        {
        }
        GC.SuppressFinalize(this);
    }
}

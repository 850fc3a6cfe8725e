namespace ByteFormer.Data;

/// <summary>
/// Files laid out as <c>ROOT/&lt;class&gt;/*</c> (any extension; ImageNet's layout, one split per root). Classes
/// are the sub-folder names in ordinal order. Zero-byte files are skipped and counted; an empty class folder
/// is an error.
/// </summary>
public sealed class FolderDataset : IByteDataset
{
    private readonly List<(string Path, int Label)> files = new();
    private readonly long byteBudget;

    /// <summary>Lists and opens the files under <paramref name="root"/> (each once, to find unreadable ones now).</summary>
    /// <param name="root">The folder of class folders.</param>
    /// <param name="byteBudget">The most bytes read of each file (the model's byte budget).</param>
    /// <param name="classNames">The model's classes, for an evaluation set; null takes the folder names.</param>
    /// <exception cref="ByteFormerException">No such folder, no class folders, a class the model lacks, or an empty class.</exception>
    public FolderDataset(string root, long byteBudget, IReadOnlyList<string>? classNames = null)
    {
        if (!Directory.Exists(root)) throw new ByteFormerException($"{root}: no such folder");
        this.byteBudget = byteBudget;
        var folders = Directory.GetDirectories(root).Select(Path.GetFileName).Where(n => !n!.StartsWith('.') && !n.StartsWith('_'))
            .Order(StringComparer.Ordinal).ToList();
        if (folders.Count == 0) throw new ByteFormerException($"{root} has no class folders (expected {root}/<class>/<files>)");
        ClassNames = classNames ?? folders!;
        foreach (var folder in folders)
        {
            var label = IndexOf(ClassNames, folder!)
                        ?? throw new ByteFormerException($"{root}/{folder}: class '{folder}' is not one of the model's classes");
            var before = files.Count;
            // One walker for every folder the project reads: each folder once, links back up not followed, pipes and devices left out.
            foreach (var file in FileWalker.Files(Path.Combine(root, folder!), note => { SkippedOther++; FirstOther ??= note; }).Order(StringComparer.Ordinal))
            {
                // Opened once here, so that a file nobody can read (a broken link, no permission) is
                // reported before training starts rather than ending a run hours in.
                long length;
                try
                {
                    using var handle = File.OpenHandle(file);
                    length = RandomAccess.GetLength(handle);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    SkippedUnreadable++;
                    FirstUnreadable ??= $"{file}: {e.Message}";
                    continue;
                }
                if (length == 0)
                {
                    SkippedEmpty++;
                    continue;
                }
                files.Add((file, label));
            }
            if (files.Count == before) throw new ByteFormerException($"{root}/{folder}: class folder holds no (non-empty, readable) files");
        }
        Root = root;
    }

    /// <summary>The folder of class folders.</summary>
    public string Root { get; }
    /// <summary>Zero-byte files left out.</summary>
    public int SkippedEmpty { get; }

    /// <summary>Files that could not be opened, left out; <see cref="FirstUnreadable"/> says which and why.</summary>
    public int SkippedUnreadable { get; }

    /// <summary>The first unreadable file and why, or null.</summary>
    public string? FirstUnreadable { get; }

    /// <summary>Special files (named pipes, devices) and folders walked already (a link back up), left out.</summary>
    public int SkippedOther { get; private set; }

    /// <summary>The first of <see cref="SkippedOther"/> and why, or null.</summary>
    public string? FirstOther { get; private set; }

    /// <summary>One line on the files left out, or null when none were.</summary>
    public string? SkipSummary => (SkippedEmpty, SkippedUnreadable, SkippedOther) switch
    {
        (0, 0, 0) => null,
        (var e, 0, 0) => $"{Root}: skipped {e:N0} empty files",
        (var e, var u, 0) => $"{Root}: skipped {e:N0} empty and {u:N0} unreadable files (first: {FirstUnreadable})",
        (var e, var u, var o) => $"{Root}: skipped {e:N0} empty and {u:N0} unreadable files" +
                                 (u > 0 ? $" (first: {FirstUnreadable})" : "") + $", and {o:N0} special files or repeated folders (first: {FirstOther})",
    };
    /// <inheritdoc />
    public int Count => files.Count;
    /// <inheritdoc />
    public IReadOnlyList<string> ClassNames { get; }
    /// <inheritdoc />
    public string Describe => $"files in {Root}";
    /// <inheritdoc />
    public int Label(int index) => files[index].Label;

    /// <inheritdoc />
    public byte[] Bytes(int index, int epoch)
    {
        var path = files[index].Path;
        try
        {
            using var stream = File.OpenRead(path);
            var length = (int)Math.Min(stream.Length, byteBudget);
            var buffer = new byte[length];
            stream.ReadExactly(buffer);
            return buffer;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ByteFormerException($"{path}: cannot read ({e.Message})", e);
        }
    }

    private static int? IndexOf(IReadOnlyList<string> names, string name)
    {
        for (var i = 0; i < names.Count; i++) if (names[i] == name) return i;
        return null;
    }
}

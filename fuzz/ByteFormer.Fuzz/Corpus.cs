namespace ByteFormer.Fuzz;

/// <summary>The seed corpus on disk: fuzz/corpus/TARGET/*, found above the working folder or the binaries.</summary>
public static class Corpus
{
    /// <summary>The nearest <paramref name="relative"/> above the working folder or the binaries, or null.</summary>
    public static string? FindUp(string relative)
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, relative);
                if (Directory.Exists(candidate)) return candidate;
            }
        return null;
    }

    /// <summary>fuzz/corpus of the checkout.</summary>
    public static string DefaultRoot() =>
        FindUp(Path.Combine("fuzz", "corpus")) ?? throw new ArgumentException("no fuzz/corpus above this folder; give --corpus DIR");

    /// <summary>The seed inputs of <paramref name="target"/>, in name order.</summary>
    public static IReadOnlyList<byte[]> Load(string root, string target)
    {
        var dir = Path.Combine(root, target);
        if (!Directory.Exists(dir)) throw new ArgumentException($"no seed corpus for {target} at {dir} (run 'seed' first)");
        return Directory.GetFiles(dir).Order(StringComparer.Ordinal).Select(File.ReadAllBytes).ToList();
    }
}

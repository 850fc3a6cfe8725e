namespace ByteFormer.Tests;

/// <summary>Files of the checkout (bundled models and samples), found above the test binaries.</summary>
internal static class Repo
{
    /// <summary>The path of <paramref name="relative"/> in the checkout.</summary>
    public static string File(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (System.IO.File.Exists(Path.Combine(dir.FullName, "ByteFormer.slnx"))) return Path.Combine(dir.FullName, relative);
        throw new DirectoryNotFoundException("the checkout (ByteFormer.slnx) is not above the test binaries");
    }
}

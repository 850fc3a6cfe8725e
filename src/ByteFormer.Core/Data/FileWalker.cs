using System.Runtime.InteropServices;

namespace ByteFormer.Data;

/// <summary>
/// The files under a folder, sorted, for <c>predict -r</c>: each folder is walked once, by its real path, so a link
/// back up (<c>sub/up -> ..</c>) or to a folder seen already is not followed again, and a folder that cannot be listed
/// is skipped with a note instead of ending the walk. Files that are not regular files (named pipes, devices, sockets),
/// which reading could wait on forever, are skipped with a note too.
/// </summary>
public static class FileWalker
{
    /// <summary>The files under <paramref name="root"/>: each folder's files in ordinal order, then its sub-folders.</summary>
    /// <param name="root">The folder to walk.</param>
    /// <param name="skipped">Called with one line for each folder or special file left out.</param>
    public static IEnumerable<string> Files(string root, Action<string> skipped)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>();
        pending.Push(root);
        while (pending.Count > 0)
        {
            var folder = pending.Pop();
            if (!seen.Add(RealPath(folder)))
            {
                skipped($"{folder}: leads to a folder walked already; not followed again");
                continue;
            }
            string[] files, folders;
            try
            {
                files = Directory.GetFiles(folder);
                folders = Directory.GetDirectories(folder);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                skipped($"{folder}: cannot list it ({e.Message})");
                continue;
            }
            Array.Sort(files, StringComparer.Ordinal);
            Array.Sort(folders, StringComparer.Ordinal);
            foreach (var file in files)
            {
                if (FileKinds.Special(file) is { } kind)
                {
                    skipped($"{file}: {kind}, not a regular file; skipped");
                    continue;
                }
                yield return file;
            }
            for (var i = folders.Length - 1; i >= 0; i--) pending.Push(folders[i]);
        }
    }

    /// <summary>The canonical path (every link resolved), or the full path where the system cannot say.</summary>
    private static string RealPath(string folder)
    {
        if (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS())
        {
            var resolved = realpath(folder, IntPtr.Zero);
            if (resolved != IntPtr.Zero)
            {
                try { return Marshal.PtrToStringUTF8(resolved)!; }
                finally { free(resolved); }
            }
        }
        return Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder));
    }

    [DllImport("libc", CharSet = CharSet.Ansi)]
    private static extern IntPtr realpath(string path, IntPtr resolved);

    [DllImport("libc")]
    private static extern void free(IntPtr pointer);
}

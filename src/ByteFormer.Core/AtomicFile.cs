namespace ByteFormer;

/// <summary>Writes a file so that readers see either the old file or the complete new one, never a part.</summary>
public static class AtomicFile
{
    /// <summary>Writes through <paramref name="write"/> into a temporary file beside <paramref name="path"/>,
    /// flushes it to disk, then renames it over <paramref name="path"/>. On failure the temporary file is
    /// removed and the old file is left as it was.</summary>
    public static void Write(string path, Action<Stream> write)
    {
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(dir))
            throw new ByteFormerException($"cannot write {path}: folder {dir} does not exist");
        var tmp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Environment.ProcessId}.tmp");
        try
        {
            using (var stream = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(tmp, full, overwrite: true);
        }
        catch (Exception e)
        {
            try { File.Delete(tmp); } catch (IOException) { }
            if (e is IOException or UnauthorizedAccessException)
                throw new ByteFormerException($"cannot write {path}: {e.Message}", e);
            throw;
        }
    }
}

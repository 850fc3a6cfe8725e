using System.IO.Compression;

namespace ByteFormer.Interop;

/// <summary>
/// Reads zip entries of untrusted archives whole, but bounded: an entry is read only if its declared size is
/// at most what the caller expects, at most that many bytes plus one are inflated (so a forged size cannot
/// make a small file inflate into gigabytes), and the bytes must match the declared size and CRC-32 of the
/// central directory. Every failure is a <see cref="CheckpointException"/> naming the entry.
/// </summary>
public static class ZipEntryReader
{
    /// <summary>The whole of <paramref name="entry"/>, refused if it declares or inflates to more than
    /// <paramref name="maxBytes"/> (<paramref name="what"/> says in errors what the limit is for).</summary>
    public static byte[] ReadAll(ZipArchiveEntry entry, long maxBytes, string source, string what)
    {
        long declared = entry.Length;
        if (declared < 0 || declared > maxBytes)
            throw new CheckpointException(
                $"{source}: zip entry {Printable.Of(entry.FullName)} declares {declared:N0} bytes, more than {what} may hold ({maxBytes:N0}); refused (a zip bomb?)");
        return ReadExactly(entry, declared, source);
    }

    /// <summary>The whole of <paramref name="entry"/>, which must hold exactly <paramref name="expectedBytes"/>.</summary>
    /// <param name="entry">The zip entry.</param>
    /// <param name="expectedBytes">Its size as the reader knows it; more or fewer bytes is an error.</param>
    /// <param name="source">The archive's path, for errors.</param>
    /// <param name="expectedBy">Who expects that size, for errors (e.g. "the pickle's storage of 'x'").</param>
    public static byte[] ReadExactly(ZipArchiveEntry entry, long expectedBytes, string source, string? expectedBy = null)
    {
        if (entry.Length != expectedBytes)
            throw new CheckpointException(
                $"{source}: zip entry {Printable.Of(entry.FullName)} declares {entry.Length:N0} bytes where {expectedBy ?? "its reader"} expects {expectedBytes:N0} (a zip bomb, forged or corrupt)");
        if (expectedBytes > Array.MaxLength)
            throw new CheckpointException($"{source}: zip entry {Printable.Of(entry.FullName)} is too large to read ({expectedBytes:N0} bytes)");
        var buffer = new byte[expectedBytes];
        try
        {
            using var stream = entry.Open();
            var read = 0;
            while (read < buffer.Length)
            {
                var n = stream.Read(buffer, read, buffer.Length - read);
                if (n == 0)
                    throw new CheckpointException(
                        $"{source} is not a valid zip archive: entry {Printable.Of(entry.FullName)} holds only {read:N0} of the {expectedBytes:N0} bytes it declares (truncated or forged)");
                read += n;
            }
            if (stream.ReadByte() >= 0)
                throw new CheckpointException(
                    $"{source}: zip entry {Printable.Of(entry.FullName)} inflates past the {expectedBytes:N0} bytes it declares; refused (a zip bomb or a forged size)");
        }
        catch (Exception e) when (e is not ByteFormerException and not OutOfMemoryException)
        {
            throw new CheckpointException($"{source} is not a valid zip archive: entry {Printable.Of(entry.FullName)} cannot be read ({e.Message})", e);
        }
        var crc = Crc32.Compute(buffer);
        if (crc != entry.Crc32)
            throw new CheckpointException(
                $"{source} is not a valid zip archive: entry {Printable.Of(entry.FullName)} fails its CRC-32 check (computed {crc:x8}, the archive says {entry.Crc32:x8}); the file is corrupt");
        return buffer;
    }
}

using System.Security.Cryptography;
using System.Text;

namespace ByteFormer.Service;

/// <summary>
/// The secret a client must send (<c>Authorization: Bearer KEY</c> or <c>X-API-Key: KEY</c>). Only its SHA-256 is kept,
/// and a presented key is hashed and compared in constant time, so neither its bytes nor its length leak through timing.
/// </summary>
public sealed class ApiKey
{
    private readonly byte[] digest;

    /// <summary>A key from its text (surrounding white space removed).</summary>
    /// <exception cref="ByteFormerException">The key is empty.</exception>
    public ApiKey(string key)
    {
        key = key.Trim();
        if (key.Length == 0) throw new ByteFormerException("the API key is empty");
        digest = SHA256.HashData(Encoding.UTF8.GetBytes(key));
    }

    /// <summary>Reads the key from a file: its text, without the trailing newline.</summary>
    /// <exception cref="ByteFormerException">The file is missing, unreadable, empty, or has more than one line.</exception>
    public static ApiKey FromFile(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ByteFormerException($"--api-key-file {path}: cannot read ({e.Message})", e);
        }
        text = text.Trim();
        if (text.Length == 0) throw new ByteFormerException($"--api-key-file {path}: the file is empty");
        if (text.Contains('\n')) throw new ByteFormerException($"--api-key-file {path}: holds more than one line (it must hold the key alone)");
        return new ApiKey(text);
    }

    /// <summary>True when <paramref name="presented"/> is the key.</summary>
    public bool Matches(string? presented) =>
        presented is not null && CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(presented.Trim())), digest);
}

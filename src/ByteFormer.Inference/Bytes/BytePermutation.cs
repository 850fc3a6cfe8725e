using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ByteFormer.Bytes;

/// <summary>
/// <c>BytePermutation</c>, the obfuscation of byteformer.md §3.4: every byte value v becomes <c>Table[v]</c>. A
/// user makes a secret table (<see cref="Generate"/>, saved as a key file), trains on permuted bytes, and
/// predicts on files permuted by whoever holds the key; the model file keeps only the key's
/// <see cref="Fingerprint"/>, so it can refuse plain bytes or another key without revealing the table.
/// </summary>
public sealed class BytePermutation : IByteTransform
{
    /// <summary>First line of a key file's JSON <c>format</c> field.</summary>
    public const string KeyFormat = "byteformer-byte-permutation/1";

    /// <summary>Name of the reference's own fixed table in specs and on the command line.</summary>
    public const string ReferenceName = "reference";

    private readonly byte[] table;

    /// <summary>The permutation that maps byte value v to <paramref name="table"/>[v].</summary>
    /// <exception cref="ByteFormerException">The table is not a permutation of 0..255.</exception>
    public BytePermutation(IReadOnlyList<int> table)
    {
        if (table.Count != 256) throw new ByteFormerException($"a byte permutation has 256 entries, not {table.Count}");
        var seen = new bool[256];
        foreach (var v in table)
        {
            if (v is < 0 or > 255 || seen[v]) throw new ByteFormerException("the table is not a permutation of 0..255");
            seen[v] = true;
        }
        this.table = table.Select(v => (byte)v).ToArray();
        Fingerprint = Convert.ToHexStringLower(SHA256.HashData(this.table))[..16];
    }

    /// <summary>The first 16 hex digits of the table's SHA-256: names a key without revealing it.</summary>
    public string Fingerprint { get; }

    /// <summary>True for CoreNet's fixed table (<see cref="Reference"/>).</summary>
    public bool IsReference => Fingerprint == Reference.Fingerprint;

    /// <summary>The table: byte value v becomes Table[v].</summary>
    public IReadOnlyList<byte> Table => table;

    /// <inheritdoc />
    public string Spec => $"permute:{(IsReference ? ReferenceName : Fingerprint)}";

    /// <inheritdoc />
    public byte[] Apply(byte[] bytes, Random random) => Permute(bytes);

    /// <summary>The permuted bytes.</summary>
    public byte[] Permute(ReadOnlySpan<byte> bytes)
    {
        var result = new byte[bytes.Length];
        for (var i = 0; i < bytes.Length; i++) result[i] = table[bytes[i]];
        return result;
    }

    /// <summary>The permutation that undoes this one.</summary>
    public BytePermutation Inverse()
    {
        var inverse = new int[256];
        for (var v = 0; v < 256; v++) inverse[table[v]] = v;
        return new BytePermutation(inverse);
    }

    /// <summary>A fresh secret table from the operating system's cryptographic generator.</summary>
    public static BytePermutation Generate()
    {
        var values = Enumerable.Range(0, 256).ToArray();
        for (var i = values.Length - 1; i > 0; i--)
        {
            var j = RandomNumberGenerator.GetInt32(i + 1);
            (values[i], values[j]) = (values[j], values[i]);
        }
        return new BytePermutation(values);
    }

    /// <summary>
    /// CoreNet's fixed table, <c>randperm(256)</c> from a generator seeded 2147483647 under torch 1.13, as
    /// byteformer.md §3.4 records it (shipped as data, since .NET cannot replay torch's generator).
    /// </summary>
    public static BytePermutation Reference { get; } = new(
    [
        239, 90, 81, 175, 9, 100, 40, 32, 111, 206, 99, 71, 212, 164, 97, 199, 160, 57, 224, 133, 121, 207, 208, 62, 187, 179, 96, 237, 174,
        241, 151, 192, 226, 255, 229, 236, 172, 92, 23, 214, 77, 188, 119, 225, 50, 242, 2, 220, 35, 197, 31, 139, 72, 221, 12, 56, 124, 165,
        69, 10, 51, 44, 59, 140, 38, 4, 122, 234, 45, 107, 195, 161, 189, 213, 126, 184, 238, 163, 106, 55, 48, 135, 193, 24, 215, 233, 82,
        28, 141, 138, 114, 83, 78, 230, 170, 1, 25, 27, 115, 66, 21, 85, 235, 3, 17, 252, 0, 248, 19, 112, 158, 177, 243, 67, 211, 8, 20,
        150, 68, 98, 79, 14, 223, 134, 39, 245, 201, 127, 190, 232, 159, 42, 7, 152, 167, 166, 30, 196, 171, 123, 116, 29, 22, 251, 178, 169,
        183, 6, 76, 143, 131, 108, 205, 203, 249, 75, 65, 222, 70, 34, 204, 216, 154, 94, 118, 168, 54, 43, 74, 228, 147, 110, 95, 80, 91,
        253, 13, 109, 156, 58, 182, 250, 128, 227, 15, 103, 102, 129, 180, 210, 16, 217, 218, 46, 125, 194, 155, 87, 209, 148, 49, 200, 73,
        61, 157, 136, 33, 137, 185, 117, 105, 191, 144, 231, 246, 5, 244, 36, 181, 132, 149, 89, 104, 142, 47, 64, 88, 240, 198, 254, 26,
        153, 176, 202, 146, 130, 113, 247, 41, 52, 162, 37, 11, 93, 63, 84, 53, 173, 18, 219, 145, 101, 86, 120, 186, 60,
    ]);

    /// <summary>The key file's text: JSON with the format, the table and the fingerprint (a checksum).</summary>
    public string ToKeyJson() => new JsonObject
    {
        ["format"] = KeyFormat,
        ["fingerprint"] = Fingerprint,
        ["table"] = new JsonArray(table.Select(v => (JsonNode)(int)v).ToArray()),
    }.ToJsonString();

    /// <summary>Unix permissions of a key file: readable and writable by its owner only (it is a secret).</summary>
    public const UnixFileMode KeyFileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Writes a key file atomically, readable by its owner only (0600, never briefly wider); refuses to
    /// replace an existing one, also one that appears while writing (a lost key loses the models trained with it).</summary>
    public void Save(string path)
    {
        string Exists() => $"{path} already exists: a key is never overwritten (choose another name)";
        if (File.Exists(path) || Directory.Exists(path)) throw new ByteFormerException(Exists());
        try
        {
            AtomicFile.Write(path, s => s.Write(System.Text.Encoding.UTF8.GetBytes(ToKeyJson() + "\n")), KeyFileMode, overwrite: false);
        }
        catch (ByteFormerException) when (File.Exists(path))
        {
            throw new ByteFormerException(Exists());
        }
    }

    /// <summary>Reads a key file, or the reference table for <c>reference</c>; a wrong or damaged file is a clear error.</summary>
    public static BytePermutation Load(string pathOrReference)
    {
        if (pathOrReference == ReferenceName) return Reference;
        var path = pathOrReference;
        if (!File.Exists(path)) throw new ByteFormerException($"{path}: no such key file");
        JsonNode? node;
        try
        {
            var info = new FileInfo(path);
            if (info.Length > 64 * 1024) throw new ByteFormerException($"{path}: not a byte-permutation key file ({info.Length:N0} bytes is far too large)");
            node = JsonNode.Parse(File.ReadAllText(path));
        }
        catch (JsonException)
        {
            throw new ByteFormerException($"{path}: not a byte-permutation key file (not JSON)");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ByteFormerException($"{path}: cannot read ({e.Message})");
        }
        try
        {
            if (node is not JsonObject obj || obj["format"]?.GetValueKind() != JsonValueKind.String || (string?)obj["format"] != KeyFormat)
                throw new ByteFormerException($"{path}: not a byte-permutation key file (expected format '{KeyFormat}')");
            BytePermutation permutation;
            try
            {
                var values = obj["table"]!.AsArray().Select(v => v!.GetValue<int>()).ToArray();
                permutation = new BytePermutation(values);
            }
            catch (Exception e) when (e is ByteFormerException or InvalidOperationException or NullReferenceException or FormatException)
            {
                throw new ByteFormerException($"{path}: corrupt key file (its table is not a permutation of the 256 byte values)");
            }
            if (obj["fingerprint"] is not JsonValue fingerprint || fingerprint.GetValueKind() != JsonValueKind.String
                || fingerprint.GetValue<string>() != permutation.Fingerprint)
                throw new ByteFormerException($"{path}: corrupt key file (its fingerprint does not match its table)");
            return permutation;
        }
        // JsonObject reads its members lazily: a repeated name (ArgumentException) or a name with a lone UTF-16
        // surrogate escape (InvalidOperationException) shows only here.
        catch (ArgumentException)
        {
            throw new ByteFormerException($"{path}: corrupt key file (a name appears twice)");
        }
        catch (InvalidOperationException)
        {
            throw new ByteFormerException($"{path}: corrupt key file (a name is not valid text)");
        }
    }
}

using System.Buffers.Binary;
using System.IO.Compression;
using System.Security.Cryptography;
using ByteFormer.Codecs;

namespace ByteFormer.Data;

/// <summary>Labelled images in memory.</summary>
/// <param name="Images">The images, in the dataset's order.</param>
/// <param name="Labels">Class index of each image, into <paramref name="ClassNames"/>.</param>
/// <param name="ClassNames">Name of each class, in label order.</param>
public sealed record LabeledImages(IReadOnlyList<PixelImage> Images, int[] Labels, IReadOnlyList<string> ClassNames);

/// <summary>
/// Fashion-MNIST from Debian's <c>dataset-fashion-mnist</c> package (datasets.md §1): gzip IDX files, checked
/// against the pinned sha256 of Debian's .gz files before use.
/// </summary>
public static class FashionMnist
{
    /// <summary>Where Debian's package installs the files.</summary>
    public const string DefaultRoot = "/usr/share/datasets/fashion-mnist";

    /// <summary>Image size: 28×28, one gray channel.</summary>
    public const int Height = 28, Width = 28;

    /// <summary>The ten class names, in label order (label i is ClassNames[i]).</summary>
    public static IReadOnlyList<string> ClassNames { get; } =
        ["t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle-boot"];

    private static readonly Dictionary<string, string> Sha256 = new()
    {
        ["train-images-idx3-ubyte.gz"] = "b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7",
        ["train-labels-idx1-ubyte.gz"] = "0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056",
        ["t10k-images-idx3-ubyte.gz"] = "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa",
        ["t10k-labels-idx1-ubyte.gz"] = "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05",
    };

    /// <summary>Loads "train" (60,000) or "test" (10,000); <paramref name="limit"/> keeps the first N.</summary>
    public static LabeledImages Load(string split, string root = DefaultRoot, int? limit = null)
    {
        var prefix = split switch
        {
            "train" => "train",
            "test" => "t10k",
            _ => throw new ArgumentException($"split must be train or test, got '{split}'"),
        };
        if (!Directory.Exists(root))
            throw new ByteFormerException(
                $"Fashion-MNIST not found at {root}: install Debian's dataset-fashion-mnist package (scripts/setup.sh does it)");
        var images = ReadIdx(Path.Combine(root, $"{prefix}-images-idx3-ubyte.gz"), 3);
        var labels = ReadIdx(Path.Combine(root, $"{prefix}-labels-idx1-ubyte.gz"), 1);
        return FromIdx(images, labels, $"Fashion-MNIST {split}", limit);
    }

    /// <summary>The labelled images of parsed image and label IDX files (<see cref="ParseIdx"/>).</summary>
    internal static LabeledImages FromIdx((int[] Dims, byte[] Data) images, (int[] Dims, byte[] Data) labels, string source, int? limit)
    {
        int count = images.Dims[0], h = images.Dims[1], w = images.Dims[2];
        if (labels.Dims[0] != count) throw new ByteFormerException($"{source}: {count} images but {labels.Dims[0]} labels");
        if (count > 0 && (h == 0 || w == 0)) throw new ByteFormerException($"{source}: {count} images of {w}×{h} pixels (an empty image)");
        var n = Math.Min(count, limit ?? count);
        var list = new PixelImage[n];
        for (var i = 0; i < n; i++) list[i] = new PixelImage(w, h, 1, images.Data.AsSpan(i * h * w, h * w).ToArray());
        return new LabeledImages(list, labels.Data.Take(n).Select(b => (int)b).ToArray(), ClassNames);
    }

    private static (int[] Dims, byte[] Data) ReadIdx(string path, int expectedDims)
    {
        if (!File.Exists(path))
            throw new ByteFormerException($"{path} is missing: reinstall Debian's dataset-fashion-mnist package");
        var gz = File.ReadAllBytes(path);
        var name = Path.GetFileName(path);
        var hash = Convert.ToHexStringLower(SHA256.HashData(gz));
        if (Sha256.TryGetValue(name, out var expected) && hash != expected)
            throw new ByteFormerException($"{path} has sha256 {hash}, expected {expected} (corrupt or another version)");
        using var input = new GZipStream(new MemoryStream(gz), CompressionMode.Decompress);
        using var buffer = new MemoryStream();
        input.CopyTo(buffer);
        return ParseIdx(buffer.ToArray(), expectedDims, path);
    }

    /// <summary>The dimensions and data of a decompressed IDX file of <paramref name="expectedDims"/> dimensions of bytes.</summary>
    internal static (int[] Dims, byte[] Data) ParseIdx(ReadOnlySpan<byte> data, int expectedDims, string source)
    {
        if (data.Length < 4 + 4 * expectedDims || data[2] != 0x08 || data[3] != expectedDims)
            throw new ByteFormerException($"{source} is not an IDX file of {expectedDims} dimensions");
        var dims = new int[expectedDims];
        for (var i = 0; i < expectedDims; i++) dims[i] = BinaryPrimitives.ReadInt32BigEndian(data[(4 + 4 * i)..]);
        if (dims.Any(d => d < 0)) throw new ByteFormerException($"{source}: IDX dimensions [{string.Join(", ", dims)}] include a negative size");
        var offset = 4 + 4 * expectedDims;
        var size = dims.Aggregate(1L, (a, b) => a * b);
        if (data.Length - offset != size) throw new ByteFormerException($"{source}: {data.Length - offset} bytes of data, dimensions need {size}");
        return (dims, data[offset..].ToArray());
    }
}

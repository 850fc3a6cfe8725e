using ByteFormer.Bytes;
using ByteFormer.Codecs;

namespace ByteFormer.Data;

/// <summary>
/// Labelled byte sequences for training and evaluation. <see cref="Bytes"/> may differ per epoch (fresh
/// augmentation before encoding) but is a pure function of (index, epoch), so runs are repeatable.
/// </summary>
public interface IByteDataset
{
    int Count { get; }
    IReadOnlyList<string> ClassNames { get; }
    int Label(int index);
    byte[] Bytes(int index, int epoch);
    /// <summary>Short description for logs and model metadata.</summary>
    string Describe { get; }

    /// <summary>
    /// For mixup (byteformer.md §3.5): the label of the sample mixed into <see cref="Bytes"/> and the weight λ of
    /// this sample's own label; the soft target is λ·onehot(Label) + (1−λ)·onehot(partner). Default: no mixing.
    /// </summary>
    MixedTarget MixOf(int index, int epoch) => MixedTarget.None;
}

/// <summary>A mixup target: the partner's label (−1: none) and the weight of the sample's own label.</summary>
public readonly record struct MixedTarget(int PartnerLabel, float OwnWeight)
{
    public static MixedTarget None => new(-1, 1f);
}

/// <summary>
/// <c>count</c> samples spread evenly over another dataset (indices ⌊i·N/count⌋), for quick runs on sets stored
/// class by class (Speech Commands, folders), where the first N would be the first few classes only.
/// </summary>
public sealed class SpreadSamples(IByteDataset inner, int count) : IByteDataset
{
    public int Count { get; } = Math.Clamp(count, 0, inner.Count);
    public IReadOnlyList<string> ClassNames => inner.ClassNames;
    public string Describe => $"{inner.Describe} ({Count:N0} spread evenly)";
    private int Inner(int index) => (int)((long)index * inner.Count / Count);
    public int Label(int index) => inner.Label(Inner(index));
    public byte[] Bytes(int index, int epoch) => inner.Bytes(Inner(index), epoch);
    public MixedTarget MixOf(int index, int epoch) => inner.MixOf(Inner(index), epoch);
}

/// <summary>The first <c>count</c> samples of another dataset (for quick runs and tests).</summary>
public sealed class FirstSamples(IByteDataset inner, int count) : IByteDataset
{
    public int Count { get; } = Math.Clamp(count, 0, inner.Count);
    public IReadOnlyList<string> ClassNames => inner.ClassNames;
    public string Describe => $"{inner.Describe} (first {Count:N0})";
    public int Label(int index) => inner.Label(index);
    public byte[] Bytes(int index, int epoch) => inner.Bytes(index, epoch);
    public MixedTarget MixOf(int index, int epoch) => inner.MixOf(index, epoch);
}

/// <summary>
/// Another dataset's bytes through byte transforms (permutation, noise, kept positions, shuffles). Any randomness
/// is a pure function of (seed, epoch, index), so runs stay repeatable and the test set is the same each epoch.
/// </summary>
public sealed class TransformedDataset(IByteDataset inner, ByteTransformPipeline transforms, int seed) : IByteDataset
{
    public int Count => inner.Count;
    public IReadOnlyList<string> ClassNames => inner.ClassNames;
    public string Describe => $"{inner.Describe}, bytes through {transforms.Spec}";
    public int Label(int index) => inner.Label(index);
    public byte[] Bytes(int index, int epoch) =>
        transforms.Apply(inner.Bytes(index, epoch), new Random(Seeds.Mix(seed, epoch, index, 0xB17E)));
    public MixedTarget MixOf(int index, int epoch) => inner.MixOf(index, epoch);

    /// <summary><paramref name="dataset"/> itself when there is nothing to apply.</summary>
    public static IByteDataset Wrap(IByteDataset dataset, ByteTransformPipeline transforms, int seed) =>
        transforms.IsEmpty ? dataset : new TransformedDataset(dataset, transforms, seed);
}

/// <summary>
/// Several datasets as one, for a single model over all of them (images and audio together): class names
/// become <c>part/class</c>, labels are shifted past the earlier parts' classes, and nothing marks a
/// sample's modality but its bytes.
/// </summary>
public sealed class JoinedDataset : IByteDataset
{
    private readonly IReadOnlyList<(string Name, IByteDataset Data)> parts;
    private readonly int[] sampleStart;
    private readonly int[] classStart;

    public JoinedDataset(IReadOnlyList<(string Name, IByteDataset Data)> parts)
    {
        if (parts.Count == 0) throw new ArgumentException("nothing to join");
        if (parts.Select(p => p.Name).Distinct().Count() != parts.Count)
            throw new ByteFormerException($"data sets to join need distinct names, got {string.Join(", ", parts.Select(p => p.Name))}");
        this.parts = parts;
        sampleStart = new int[parts.Count + 1];
        classStart = new int[parts.Count + 1];
        for (var i = 0; i < parts.Count; i++)
        {
            sampleStart[i + 1] = sampleStart[i] + parts[i].Data.Count;
            classStart[i + 1] = classStart[i] + parts[i].Data.ClassNames.Count;
        }
        ClassNames = parts.SelectMany(p => p.Data.ClassNames.Select(c => $"{p.Name}/{c}")).ToArray();
    }

    public int Count => sampleStart[^1];
    public IReadOnlyList<string> ClassNames { get; }
    public string Describe => string.Join(" + ", parts.Select(p => p.Data.Describe));
    public IReadOnlyList<string> PartNames => parts.Select(p => p.Name).ToArray();

    private (int Part, int Local) Locate(int index)
    {
        var part = Array.BinarySearch(sampleStart, index);
        part = part >= 0 ? part : ~part - 1;
        while (sampleStart[part + 1] == index) part++;          // skip empty parts
        return (part, index - sampleStart[part]);
    }

    public int Label(int index)
    {
        var (part, local) = Locate(index);
        return classStart[part] + parts[part].Data.Label(local);
    }

    public byte[] Bytes(int index, int epoch)
    {
        var (part, local) = Locate(index);
        return parts[part].Data.Bytes(local, epoch);
    }

    public MixedTarget MixOf(int index, int epoch)
    {
        var (part, local) = Locate(index);
        var mix = parts[part].Data.MixOf(local, epoch);
        return mix.PartnerLabel < 0 ? mix : mix with { PartnerLabel = classStart[part] + mix.PartnerLabel };
    }

    /// <summary>Part <paramref name="i"/> alone, labelled in the joined label space (for per-part accuracy).</summary>
    public IByteDataset Part(int i) => new RelabeledDataset(parts[i].Data, classStart[i], ClassNames);
}

/// <summary>A dataset seen in a larger label space: its labels shifted by <paramref name="offset"/>.</summary>
public sealed class RelabeledDataset(IByteDataset inner, int offset, IReadOnlyList<string> classNames) : IByteDataset
{
    public int Count => inner.Count;
    public IReadOnlyList<string> ClassNames => classNames;
    public string Describe => inner.Describe;
    public int Label(int index) => offset + inner.Label(index);
    public byte[] Bytes(int index, int epoch) => inner.Bytes(index, epoch);

    public MixedTarget MixOf(int index, int epoch)
    {
        var mix = inner.MixOf(index, epoch);
        return mix.PartnerLabel < 0 ? mix : mix with { PartnerLabel = offset + mix.PartnerLabel };
    }

    /// <summary>
    /// <paramref name="data"/> in <paramref name="modelLabels"/>' space: itself when the names are equal, shifted
    /// when the model's labels hold them as one <c>part/class</c> run (a joined model); otherwise null.
    /// </summary>
    public static IByteDataset? InLabelSpace(IByteDataset data, IReadOnlyList<string> modelLabels)
    {
        if (data.ClassNames.SequenceEqual(modelLabels)) return data;
        var n = data.ClassNames.Count;
        for (var start = 0; start + n <= modelLabels.Count; start++)
        {
            var slash = modelLabels[start].IndexOf('/');
            if (slash < 0) continue;
            var prefix = modelLabels[start][..(slash + 1)];
            if (Enumerable.Range(0, n).All(i => modelLabels[start + i] == prefix + data.ClassNames[i]))
                return new RelabeledDataset(data, start, modelLabels);
        }
        return null;
    }
}

/// <summary>Byte sequences already in memory, with their labels.</summary>
public sealed class InMemoryDataset(IReadOnlyList<byte[]> files, IReadOnlyList<int> labels, IReadOnlyList<string> classNames, string name) : IByteDataset
{
    public int Count => files.Count;
    public IReadOnlyList<string> ClassNames => classNames;
    public string Describe => name;
    public int Label(int index) => labels[index];
    public byte[] Bytes(int index, int epoch) => files[index];
}

/// <summary>
/// Images encoded to file bytes on the fly, with optional augmentation before encoding. With several encodings
/// each sample takes one of them, drawn per (index, epoch): a model trained on a mixture of file formats.
/// </summary>
public sealed class EncodedImageDataset : IByteDataset
{
    private readonly LabeledImages images;
    private readonly IReadOnlyList<ImageEncoding> encodings;
    private readonly ImageAugmentation? augmentation;
    private readonly int seed;
    private readonly string name;

    public EncodedImageDataset(LabeledImages images, ImageEncoding encoding, ImageAugmentation? augmentation, int seed, string name)
        : this(images, [encoding], augmentation, seed, name)
    {
    }

    public EncodedImageDataset(LabeledImages images, IReadOnlyList<ImageEncoding> encodings, ImageAugmentation? augmentation, int seed, string name)
    {
        if (encodings.Count == 0) throw new ArgumentException("no encoding given");
        (this.images, this.encodings, this.augmentation, this.seed, this.name) = (images, encodings, augmentation, seed, name);
    }

    public int Count => images.Images.Count;
    public IReadOnlyList<string> ClassNames => images.ClassNames;
    public IReadOnlyList<ImageEncoding> Encodings => encodings;
    public string Describe => $"{name} as {string.Join(" or ", encodings)}" + (augmentation is null ? "" : ", augmented");
    public int Label(int index) => images.Labels[index];

    /// <summary>The encoding sample <paramref name="index"/> gets in <paramref name="epoch"/>.</summary>
    public ImageEncoding EncodingOf(int index, int epoch) =>
        encodings.Count == 1 ? encodings[0] : encodings[Seeds.Mix(seed, epoch, index, 0xE7C) % encodings.Count];

    public byte[] Bytes(int index, int epoch)
    {
        var image = images.Images[index];
        if (augmentation is not null)
            image = augmentation.Apply(image, new Random(Seeds.Mix(seed, epoch, index)));
        return EncodingOf(index, epoch).Encode(image);
    }
}

/// <summary>
/// Files laid out as <c>ROOT/&lt;class&gt;/*</c> (any extension; ImageNet's layout, one split per root). Classes
/// are the sub-folder names in ordinal order. Zero-byte files are skipped and counted; an empty class folder
/// is an error.
/// </summary>
public sealed class FolderDataset : IByteDataset
{
    private readonly List<(string Path, int Label)> files = new();
    private readonly long byteBudget;

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
            foreach (var file in Directory.EnumerateFiles(Path.Combine(root, folder!), "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
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

    public string Root { get; }
    /// <summary>Zero-byte files left out.</summary>
    public int SkippedEmpty { get; }

    /// <summary>Files that could not be opened, left out; <see cref="FirstUnreadable"/> says which and why.</summary>
    public int SkippedUnreadable { get; }

    public string? FirstUnreadable { get; }

    /// <summary>One line on the files left out, or null when none were.</summary>
    public string? SkipSummary => (SkippedEmpty, SkippedUnreadable) switch
    {
        (0, 0) => null,
        (var e, 0) => $"{Root}: skipped {e:N0} empty files",
        (var e, var u) => $"{Root}: skipped {e:N0} empty and {u:N0} unreadable files (first: {FirstUnreadable})",
    };
    public int Count => files.Count;
    public IReadOnlyList<string> ClassNames { get; }
    public string Describe => $"files in {Root}";
    public int Label(int index) => files[index].Label;
    public string PathOf(int index) => files[index].Path;

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

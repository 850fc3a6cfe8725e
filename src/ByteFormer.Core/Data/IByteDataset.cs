namespace ByteFormer.Data;

/// <summary>
/// Labelled byte sequences for training and evaluation. <see cref="Bytes"/> may differ per epoch (fresh
/// augmentation before encoding) but is a pure function of (index, epoch), so runs are repeatable.
/// </summary>
public interface IByteDataset
{
    /// <summary>The number of samples.</summary>
    int Count { get; }

    /// <summary>The class names; labels index this list.</summary>
    IReadOnlyList<string> ClassNames { get; }

    /// <summary>The class of sample <paramref name="index"/>.</summary>
    int Label(int index);

    /// <summary>The file bytes of sample <paramref name="index"/> in <paramref name="epoch"/>.</summary>
    byte[] Bytes(int index, int epoch);
    /// <summary>Short description for logs and model metadata.</summary>
    string Describe { get; }

    /// <summary>
    /// For mixup (byteformer.md §3.5): the label of the sample mixed into <see cref="Bytes"/> and the weight λ of
    /// this sample's own label; the soft target is λ·onehot(Label) + (1−λ)·onehot(partner). Default: no mixing.
    /// </summary>
    MixedTarget MixOf(int index, int epoch) => MixedTarget.None;
}

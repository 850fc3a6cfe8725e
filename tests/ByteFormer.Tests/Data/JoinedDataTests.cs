using ByteFormer.Data;
using ByteFormer.Tests.Cli;

namespace ByteFormer.Tests.Data;

/// <summary>One model over several data sets (images and audio together in issue 6).</summary>
public class JoinedDataTests
{
    internal static void MakeFolders(TempDir dir, string name, int baseValue)
    {
        foreach (var split in new[] { "train", "test" })
            for (var c = 0; c < 2; c++)
            {
                Directory.CreateDirectory(dir.File($"{name}/{split}/c{c}"));
                for (var i = 0; i < 6; i++)
                    File.WriteAllBytes(dir.File($"{name}/{split}/c{c}/{i}.bin"), Enumerable.Range(0, 40).Select(j => (byte)(baseValue + c * 50 + i + j)).ToArray());
            }
    }

    [Fact]
    public void Joined_sets_shift_labels_and_name_classes_by_set()
    {
        var a = new InMemoryDataset([[1], [2]], [0, 1], ["x", "y"], "a");
        var b = new InMemoryDataset([[3], [4], [5]], [2, 0, 1], ["p", "q", "r"], "b");
        var joined = new JoinedDataset([("a", a), ("b", b)]);
        Assert.Equal(["a/x", "a/y", "b/p", "b/q", "b/r"], joined.ClassNames);
        Assert.Equal([0, 1, 4, 2, 3], Enumerable.Range(0, 5).Select(joined.Label));
        Assert.Equal([1, 2, 3, 4, 5], Enumerable.Range(0, 5).Select(i => (int)joined.Bytes(i, 0)[0]));
        Assert.Equal([4, 2, 3], Enumerable.Range(0, 3).Select(joined.Part(1).Label));
        Assert.Equal([4, 2, 3], Enumerable.Range(0, 3).Select(RelabeledDataset.InLabelSpace(b, joined.ClassNames)!.Label));
        Assert.Null(RelabeledDataset.InLabelSpace(new InMemoryDataset([[1]], [0], ["z"], "z"), joined.ClassNames));
        Assert.Throws<ByteFormerException>(() => new JoinedDataset([("a", a), ("a", b)]));
    }

}

using ByteFormer.Codecs;
using ByteFormer.Data;
using ByteFormer.Inference;
using ByteFormer.Tests.Cli;

namespace ByteFormer.Tests.Data;

public class DataTests
{
    [Fact]
    public void Fashion_mnist_loads_with_pinned_checksums()
    {
        var test = FashionMnist.Load("test");
        Assert.Equal(10_000, test.Images.Count);
        Assert.Equal(9, test.Labels[0]);                                            // first test image: ankle boot
        Assert.All(Enumerable.Range(0, 10), c => Assert.Equal(1000, test.Labels.Count(l => l == c)));
        Assert.Equal(784, test.Images[0].Pixels.Length);
    }

    [Fact]
    public void A_missing_package_is_a_clear_message()
    {
        var e = Assert.Throws<ByteFormerException>(() => FashionMnist.Load("train", "/nonexistent/fashion-mnist"));
        Assert.Contains("dataset-fashion-mnist", e.Message);
    }

    [Fact]
    public void Augmentation_is_repeatable_per_seed_and_changes_images()
    {
        var image = FashionMnist.Load("test", limit: 1).Images[0];
        var aug = new ImageAugmentation(EraseProbability: 1.0);
        var a = aug.Apply(image, new Random(3));
        var b = aug.Apply(image, new Random(3));
        var c = aug.Apply(image, new Random(4));
        Assert.Equal(a.Pixels, b.Pixels);
        Assert.NotEqual(a.Pixels, c.Pixels);
        Assert.NotEqual(image.Pixels, a.Pixels);
        Assert.Equal(image.Pixels, ImageAugmentation.None.Apply(image, new Random(1)).Pixels);
    }

    [Fact]
    public void Encoded_dataset_gives_fresh_files_per_epoch_and_the_same_files_for_the_same_epoch()
    {
        var set = FashionMnist.Load("test", limit: 4);
        var ds = new EncodedImageDataset(set, ImageEncoding.Parse("tiff"), new ImageAugmentation(), seed: 1, "t");
        Assert.Equal(ds.Bytes(0, 0), ds.Bytes(0, 0));
        Assert.NotEqual(ds.Bytes(0, 0), ds.Bytes(0, 1));
        var plain = new EncodedImageDataset(set, ImageEncoding.Parse("tiff"), null, seed: 1, "t");
        Assert.Equal(plain.Bytes(0, 0), plain.Bytes(0, 5));
    }

    [Fact]
    public void Folder_dataset_skips_empty_files_and_refuses_empty_class_folders()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.File("a"));
        Directory.CreateDirectory(dir.File("b"));
        File.WriteAllBytes(dir.File("a/1.bin"), [1, 2, 3]);
        File.WriteAllBytes(dir.File("a/2.bin"), []);
        File.WriteAllBytes(dir.File("b/1.dat"), [4]);
        var ds = new FolderDataset(dir.Path, 100);
        Assert.Equal(["a", "b"], ds.ClassNames);
        Assert.Equal(2, ds.Count);
        Assert.Equal(1, ds.SkippedEmpty);
        Assert.Equal(new byte[] { 1, 2, 3 }, ds.Bytes(0, 0));

        Directory.CreateDirectory(dir.File("c"));
        var e = Assert.Throws<ByteFormerException>(() => new FolderDataset(dir.Path, 100));
        Assert.Contains("c: class folder holds no", e.Message);
    }

    [Fact]
    public void Unreadable_files_are_left_out_and_named_and_a_file_gone_mid_run_is_a_clear_error()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.File("a"));
        Directory.CreateDirectory(dir.File("b"));
        File.WriteAllBytes(dir.File("a/1.bin"), [1, 2, 3]);
        File.WriteAllBytes(dir.File("b/1.bin"), [4, 5]);
        File.WriteAllBytes(dir.File("b/2.bin"), [6]);
        File.CreateSymbolicLink(dir.File("a/broken.bin"), dir.File("nowhere"));
        var ds = new FolderDataset(dir.Path, 100);
        Assert.Equal(3, ds.Count);
        Assert.Equal(1, ds.SkippedUnreadable);
        Assert.Contains("broken.bin", ds.SkipSummary);

        File.Delete(dir.File("b/2.bin"));
        var e = Assert.Throws<ByteFormerException>(() => ds.Bytes(2, 0));
        Assert.Contains("2.bin: cannot read", e.Message);
    }

    [Fact]
    public void A_spread_subset_of_a_set_stored_class_by_class_holds_every_class()
    {
        // 4 classes of 25 samples each, stored in class order, as Speech Commands and folders are.
        var labels = Enumerable.Range(0, 100).Select(i => i / 25).ToArray();
        var set = new InMemoryDataset(Enumerable.Range(0, 100).Select(i => new[] { (byte)i }).ToArray(), labels, ["a", "b", "c", "d"], "blocks");
        var spread = new SpreadSamples(set, 8);
        Assert.Equal(8, spread.Count);
        Assert.Equal([0, 12, 25, 37, 50, 62, 75, 87], Enumerable.Range(0, 8).Select(i => (int)spread.Bytes(i, 0)[0]));
        Assert.Equal([0, 0, 1, 1, 2, 2, 3, 3], Enumerable.Range(0, 8).Select(spread.Label));
        Assert.Equal([0, 0, 0, 0, 0, 0, 0, 0], Enumerable.Range(0, 8).Select(new FirstSamples(set, 8).Label));
        Assert.Equal(100, new SpreadSamples(set, 1000).Count);                  // no more than the set holds
    }
}

using ByteFormer.Codecs;
using ByteFormer.Data;
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
    public void The_data_command_writes_imagenet_layout_atomically()
    {
        using var dir = new TempDir();
        var outDir = dir.File("fm");
        var r = CliRunner.Run("data", "fashion-mnist", "--encoding", "png-stored", "--out", outDir, "--limit", "30");
        Assert.True(r.ExitCode == 0, r.Err);
        Assert.Equal(30, Directory.GetFiles(Path.Combine(outDir, "train"), "*.png", SearchOption.AllDirectories).Length);
        Assert.Equal(10, Directory.GetDirectories(Path.Combine(outDir, "test")).Length);
        Assert.False(Directory.Exists(outDir + ".partial"));
        var again = CliRunner.Run("data", "fashion-mnist", "--encoding", "tiff", "--out", outDir, "--limit", "3");
        CliRunner.AssertCleanFailure(again, "already exists");
    }
}

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
    public void Training_on_a_folder_reports_skipped_files_and_a_bad_folder_cleanly()
    {
        using var dir = new TempDir();
        foreach (var split in new[] { "train", "test" })
            for (var c = 0; c < 2; c++)
            {
                Directory.CreateDirectory(dir.File($"data/{split}/c{c}"));
                for (var i = 0; i < 8; i++)
                    File.WriteAllBytes(dir.File($"data/{split}/c{c}/{i}.bin"), Enumerable.Range(0, 40).Select(j => (byte)(c * 100 + i + j)).ToArray());
            }
        File.WriteAllBytes(dir.File("data/train/c0/empty.bin"), []);
        File.CreateSymbolicLink(dir.File("data/train/c1/broken.bin"), dir.File("nowhere"));
        var r = CliRunner.Run("train", "--data", dir.File("data"), "--preset", "nano", "--max-tokens", "64", "--epochs", "1",
            "--batch-size", "4", "--run-dir", dir.File("run"));
        Assert.True(r.ExitCode == 0, r.Err);
        Assert.Contains("skipped 1 empty and 1 unreadable files", r.Err);
        Assert.True(File.Exists(dir.File("run/model.safetensors")));

        // Resuming (here a finished run) keeps the command that started the run in the model file.
        var resumed = CliRunner.Run("train", "--run-dir", dir.File("run"), "--resume");
        Assert.True(resumed.ExitCode == 0, resumed.Err);
        var reloaded = ModelFile.Load(dir.File("run/model.safetensors"));
        using (reloaded.Model)
            Assert.StartsWith("byteformer train --data " + dir.File("data") + " --preset nano", reloaded.Metadata["byteformer.train_command"]);

        var compared = CliRunner.Run("compare", dir.File("run"), "--out", dir.File("cmp/all"));
        Assert.True(compared.ExitCode == 0, compared.Err);
        var summary = System.Text.Json.JsonDocument.Parse(File.ReadAllText(dir.File("cmp/all.json"))).RootElement[0];
        Assert.Equal(1, summary.GetProperty("epochs").GetInt32());
        Assert.Equal("data", summary.GetProperty("label").GetString());
        Assert.True(new FileInfo(dir.File("cmp/all.png")).Length > 1000);
        CliRunner.AssertCleanFailure(CliRunner.Run("compare", dir.File("data")), "no metrics.jsonl");

        // A privacy-camera run beside it: the label names the transform, and --against draws the keep-fraction curve.
        var kept = CliRunner.Run("train", "--data", dir.File("data"), "--preset", "nano", "--max-tokens", "64", "--epochs", "1",
            "--batch-size", "4", "--keep-fraction", "0.5", "--run-dir", dir.File("run-half"));
        Assert.True(kept.ExitCode == 0, kept.Err);
        var curve = CliRunner.Run("compare", dir.File("run-half"), dir.File("run"), "--against", "keep-fraction", "--out", dir.File("cmp/keep"));
        Assert.True(curve.ExitCode == 0, curve.Err);
        var rows = System.Text.Json.JsonDocument.Parse(File.ReadAllText(dir.File("cmp/keep.json"))).RootElement;
        Assert.Equal("data, keep 0.5", rows[0].GetProperty("label").GetString());
        Assert.Equal([0.5, 1.0], rows.EnumerateArray().Select(r => r.GetProperty("keep_fraction").GetDouble()));
        Assert.True(new FileInfo(dir.File("cmp/keep.png")).Length > 1000);

        CliRunner.AssertCleanFailure(CliRunner.Run("train", "--data", dir.File("data"), "--speed-perturb", "0.1", "--run-dir", dir.File("run3")),
            "--speed-perturb is for audio");
        CliRunner.AssertCleanFailure(CliRunner.Run("train", "--data", dir.File("data"), "--speed-perturb", "0.7", "--run-dir", dir.File("run3")),
            "takes R in (0, 0.5)");
        Assert.False(Directory.Exists(dir.File("run3")));

        Directory.CreateDirectory(dir.File("data/train/c2"));
        var bad = CliRunner.Run("train", "--data", dir.File("data"), "--preset", "nano", "--epochs", "1", "--run-dir", dir.File("run2"));
        CliRunner.AssertCleanFailure(bad, "c2: class folder holds no");
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

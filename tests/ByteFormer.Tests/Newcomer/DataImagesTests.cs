using ByteFormer.Codecs;
using ByteFormer.Tests.Cli;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace ByteFormer.Tests.Newcomer;

/// <summary><c>data images --like MODEL</c>: any picture in a model's training format.</summary>
public class DataImagesTests
{
    private static readonly string Bundled = Repo.File("models/fashion-mnist-tiff.safetensors");

    private static void Picture(string path, int width, int height)
    {
        using var image = new Image<Rgba32>(width, height, new Rgba32(250, 250, 250));
        for (var y = height / 4; y < 3 * height / 4; y++)
            for (var x = width / 4; x < 3 * width / 4; x++)
                image[x, y] = new Rgba32(20, 30, 40);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        image.Save(path);
    }

    [Fact]
    public void Pictures_of_any_size_and_format_become_the_models_28x28_gray_tiffs_in_the_same_layout()
    {
        using var dir = new TempDir();
        Picture(dir.File("in/shirts/a.png"), 64, 40);
        Picture(dir.File("in/bags/b.jpg"), 300, 300);
        Picture(dir.File("in/bags/c.gif"), 17, 90);
        var r = CliRunner.Run("data", "images", dir.File("in"), "--like", Bundled, "--out", dir.File("out"));
        Assert.True(r.ExitCode == 0, r.Err);
        Assert.Contains("Wrote 3 tiff files of 28x28", r.Out);
        foreach (var file in new[] { "shirts/a.tiff", "bags/b.tiff", "bags/c.tiff" })
        {
            var header = ImageHeader.TryRead(File.ReadAllBytes(dir.File("out/" + file)))!;
            Assert.Equal((28, 28), (header.Width, header.Height));
        }
        var predicted = CliRunner.Run("predict", Bundled, dir.File("out"), "-r");
        Assert.True(predicted.ExitCode == 0, predicted.Err);
        Assert.DoesNotContain("a format the model never saw", predicted.Out);
    }

    [Fact]
    public void Nothing_is_written_over_an_existing_file_or_from_a_broken_picture()
    {
        using var dir = new TempDir();
        Picture(dir.File("in/a.png"), 30, 30);
        File.WriteAllText(dir.File("in/b.png"), "not a picture");
        var broken = CliRunner.Run("data", "images", dir.File("in"), "--like", Bundled, "--out", dir.File("out"));
        CliRunner.AssertCleanFailure(broken, "b.png: not a picture");
        Assert.False(Directory.Exists(dir.File("out")));

        File.Delete(dir.File("in/b.png"));
        Directory.CreateDirectory(dir.File("out"));
        File.WriteAllText(dir.File("out/a.tiff"), "keep me");
        var again = CliRunner.Run("data", "images", dir.File("in"), "--like", Bundled, "--out", dir.File("out"));
        CliRunner.AssertCleanFailure(again, "already exists");
        Assert.Equal("keep me", File.ReadAllText(dir.File("out/a.tiff")));
    }

    [Fact]
    public void A_model_without_an_image_size_is_refused()
    {
        using var dir = new TempDir();
        Picture(dir.File("a.png"), 30, 30);
        var r = CliRunner.Run("data", "images", dir.File("a.png"), "--like", Repo.File("models/keywords-wav-int16-8k.safetensors"), "--out", dir.File("out"));
        CliRunner.AssertCleanFailure(r, "records no image size");
    }
}


namespace ByteFormer.Tests.Cli;

/// <summary>The data fashion-mnist verb.</summary>
public class DataCommandTests
{
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
    public void A_pool_writer_writes_the_set_with_the_same_pixels_and_one_of_encoding_or_writer_is_required()
    {
        using var dir = new TempDir();
        var r = CliRunner.Run("data", "fashion-mnist", "--writer", "tiff-libtiff", "--out", dir.File("libtiff"), "--limit", "3");
        Assert.True(r.ExitCode == 0, r.Err);
        Assert.Contains("tiff-libtiff", r.Out);
        Assert.Equal(0, CliRunner.Run("data", "fashion-mnist", "--encoding", "tiff", "--out", dir.File("project"), "--limit", "3").ExitCode);
        var written = Directory.GetFiles(dir.File("libtiff/test"), "*.tiff", SearchOption.AllDirectories).Order().ToList();
        var project = Directory.GetFiles(dir.File("project/test"), "*.tiff", SearchOption.AllDirectories).Order().ToList();
        Assert.Equal(3, written.Count);
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(Path.GetFileName(project[i]), Path.GetFileName(written[i]));
            Assert.NotEqual(File.ReadAllBytes(project[i]), File.ReadAllBytes(written[i]));             // another layout…
            using var a = SixLabors.ImageSharp.Image.Load<SixLabors.ImageSharp.PixelFormats.L8>(project[i]);
            using var b = SixLabors.ImageSharp.Image.Load<SixLabors.ImageSharp.PixelFormats.L8>(written[i]);
            var pa = new byte[28 * 28];
            var pb = new byte[28 * 28];
            a.CopyPixelDataTo(pa);
            b.CopyPixelDataTo(pb);
            Assert.Equal(pa, pb);                                                                       // …the same pixels
        }
        CliRunner.AssertCleanFailure(CliRunner.Run("data", "fashion-mnist", "--out", dir.File("none")), "--encoding or --writer");
        CliRunner.AssertCleanFailure(CliRunner.Run("data", "fashion-mnist", "--encoding", "tiff", "--writer", "tiff-libtiff", "--out", dir.File("both")),
            "--encoding or --writer");
        CliRunner.AssertCleanFailure(CliRunner.Run("data", "fashion-mnist", "--writer", "tiff-nowhere", "--out", dir.File("bad")), "unknown image writer");
    }
}

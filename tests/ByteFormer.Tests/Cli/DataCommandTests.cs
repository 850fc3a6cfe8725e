
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
}

using System.Text.Json;

namespace ByteFormer.Tests.Cli;

/// <summary>The damage verb beside decode-then-classify.</summary>
public class DamageCommandTests
{
    [Fact]
    public void The_damage_command_reports_both_curves_and_writes_its_files()
    {
        using var dir = new TempDir();
        string Train(string run, params string[] extra)
        {
            var r = CliRunner.Run(["train", "--data", "fashion-mnist", "--preset", "nano", "--epochs", "1", "--batch-size", "16",
                "--train-limit", "64", "--test-limit", "16", "--run-dir", dir.File(run), .. extra]);
            Assert.True(r.ExitCode == 0, r.Err);
            return dir.File($"{run}/model.safetensors");
        }
        var bytes = Train("tiff", "--encoding", "tiff", "--kernel", "56");
        var pixels = Train("pixels", "--encoding", "fhwc", "--architecture", "pixel-vit", "--patch", "7");
        var r = CliRunner.Run("damage", bytes, "--baseline", pixels, "--test-limit", "40", "--cut", "1,0.5", "--flip", "0,0.1",
            "--out", dir.File("out/damage"), "--json");
        Assert.True(r.ExitCode == 0, r.Err);
        var points = JsonDocument.Parse(r.Out).RootElement.GetProperty("points").EnumerateArray().ToList();
        Assert.Equal(4, points.Count);
        Assert.Equal(1.0, points[0].GetProperty("decoded_share").GetDouble());      // intact files all decode
        Assert.Equal(1.0, points[2].GetProperty("decoded_share").GetDouble());
        Assert.All(points, p => Assert.InRange(p.GetProperty("byte_model_top1").GetDouble(), 0, 1));
        Assert.True(File.Exists(dir.File("out/damage.json")));
        Assert.True(new FileInfo(dir.File("out/damage-cut.png")).Length > 1000);
        Assert.True(new FileInfo(dir.File("out/damage-flip.png")).Length > 1000);

        CliRunner.AssertCleanFailure(CliRunner.Run("damage", bytes, "--baseline", bytes), "model of decoded pixels");
        CliRunner.AssertCleanFailure(CliRunner.Run("damage", bytes, "--cut", "1,2"), "not a share");
        var cross = CliRunner.Run("eval", bytes, "fashion-mnist", "--encoding", "png-stored", "--limit", "50", "--json");
        Assert.True(cross.ExitCode == 0, cross.Err);
        Assert.Equal(50, JsonDocument.Parse(cross.Out).RootElement.GetProperty("samples").GetInt32());
    }
}

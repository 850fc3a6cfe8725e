using System.Text.Json.Nodes;
using ByteFormer.Inference;
using ByteFormer.Model;

namespace ByteFormer.Tests.Cli;

public class PredictCommandTests
{
    private static string SmallModel(TempDir dir)
    {
        var path = dir.File("m.safetensors");
        TorchSharp.torch.manual_seed(1);
        using var model = new ByteFormerModel(ByteFormerConfig.Preset("nano") with { MaxNumTokens = 64, NClasses = 3 });
        ModelFile.Save(path, model, ["a", "b", "c"]);
        return path;
    }

    [Fact]
    public void Folders_are_classified_with_r_and_refused_without()
    {
        using var dir = new TempDir();
        var model = SmallModel(dir);
        Directory.CreateDirectory(dir.File("in/sub"));
        File.WriteAllBytes(dir.File("in/1.bin"), new byte[50]);
        File.WriteAllBytes(dir.File("in/sub/2.bin"), new byte[70]);
        var r = CliRunner.Run("predict", model, dir.File("in"), "-r", "--jsonl");
        Assert.Equal(0, r.ExitCode);
        var lines = r.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.Equal(2, lines.Count);
        Assert.EndsWith("1.bin", lines[0]["file"]!.GetValue<string>());
        Assert.Contains(lines[0]["label"]!.GetValue<string>(), new[] { "a", "b", "c" });

        var without = CliRunner.Run("predict", model, dir.File("in"));
        CliRunner.AssertCleanFailure(without, "use -r");
    }

    [Fact]
    public void An_unreadable_file_gets_an_error_row_and_the_rest_are_classified()
    {
        using var dir = new TempDir();
        var model = SmallModel(dir);
        File.WriteAllBytes(dir.File("ok.bin"), new byte[50]);
        var r = CliRunner.Run("predict", model, dir.File("missing.bin"), dir.File("ok.bin"), "--json", "--top-k", "2");
        CliRunner.AssertCleanFailure(r, "no such file");
        var rows = JsonNode.Parse(r.Out)!.AsArray();
        Assert.Equal(2, rows.Count);
        Assert.Equal(2, rows[0]!["top"]!.AsArray().Count);
        Assert.Contains("no such file", rows[1]!["error"]!.GetValue<string>());
    }

    [Fact]
    public void A_few_files_run_on_one_thread_and_the_callers_setting_comes_back()
    {
        using var dir = new TempDir();
        var model = SmallModel(dir);
        File.WriteAllBytes(dir.File("a.bin"), new byte[200]);
        var before = TorchSharp.torch.get_num_threads();
        var one = CliRunner.Run("predict", model, dir.File("a.bin"), "--json", "--logits");
        Assert.True(one.ExitCode == 0, one.Err);
        Assert.Equal(before, TorchSharp.torch.get_num_threads());
        var two = CliRunner.Run("predict", model, dir.File("a.bin"), "--json", "--logits", "--threads", "2");
        static double[] Logits(string json) => JsonNode.Parse(json)![0]!["logits"]!.AsArray().Select(v => v!.GetValue<double>()).ToArray();
        Assert.All(Logits(one.Out).Zip(Logits(two.Out)), p => Assert.Equal(p.First, p.Second, 1e-4));   // threads change sums' order only
        Assert.Equal(before, TorchSharp.torch.get_num_threads());
    }

    [Fact]
    public void Eval_takes_a_thread_count_gives_the_same_figures_and_puts_the_setting_back()
    {
        using var dir = new TempDir();
        var model = SmallModel(dir);
        foreach (var (label, size) in new[] { ("a", 50), ("b", 90), ("c", 130) })
        {
            Directory.CreateDirectory(dir.File($"set/{label}"));
            File.WriteAllBytes(dir.File($"set/{label}/1.bin"), Enumerable.Range(0, size).Select(i => (byte)(i * 7)).ToArray());
        }
        var before = TorchSharp.torch.get_num_threads();
        var all = CliRunner.Run("eval", model, dir.File("set"), "--json");
        var one = CliRunner.Run("eval", model, dir.File("set"), "--json", "--threads", "1");
        Assert.True(one.ExitCode == 0, one.Err);
        Assert.Equal(before, TorchSharp.torch.get_num_threads());
        static double Loss(string json) => JsonNode.Parse(json)!["loss"]!.GetValue<double>();
        Assert.Equal(Loss(all.Out), Loss(one.Out), 1e-4);
        CliRunner.AssertCleanFailure(CliRunner.Run("eval", model, dir.File("set"), "--threads", "0"), "--threads must be at least 1");
        Assert.Equal(before, TorchSharp.torch.get_num_threads());
    }

    [Fact]
    public void The_table_shows_one_row_per_file()
    {
        using var dir = new TempDir();
        var model = SmallModel(dir);
        File.WriteAllBytes(dir.File("x.tiff"), new byte[40]);
        var r = CliRunner.Run("predict", model, dir.File("x.tiff"));
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("x.tiff", r.Out);
        Assert.Contains("score", r.Out);
    }
}

/// <summary>The README's main job: the bundled model on the bundled samples.</summary>
public class BundledModelTests
{
    private static string RepoFile(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "ByteFormer.slnx"))) return Path.Combine(dir.FullName, relative);
        throw new DirectoryNotFoundException("the checkout (ByteFormer.slnx) is not above the test binaries");
    }

    [Fact]
    public void The_bundled_model_names_every_bundled_tiff_sample()
    {
        var r = CliRunner.Run("predict", RepoFile("models/fashion-mnist-tiff.safetensors"), RepoFile("samples/images/tiff"), "-r", "--json");
        Assert.True(r.ExitCode == 0, r.Err);
        var rows = System.Text.Json.Nodes.JsonNode.Parse(r.Out)!.AsArray();
        Assert.Equal(10, rows.Count);
        Assert.All(rows, row => Assert.Equal(Path.GetFileNameWithoutExtension(row!["file"]!.GetValue<string>()), row["label"]!.GetValue<string>()));
    }

    [Fact]
    public void Default_is_the_bundled_model_that_ships_next_to_the_program()
    {
        // The build copies the model next to the program (and into the tool package): no path into the checkout.
        Assert.True(File.Exists(Path.Combine(AppContext.BaseDirectory, "models/fashion-mnist-images.safetensors")));
        var r = CliRunner.Run("predict", "default", RepoFile("samples/images/tiff/bag.tiff"), "--json");
        Assert.True(r.ExitCode == 0, r.Err);
        Assert.Equal("bag", System.Text.Json.Nodes.JsonNode.Parse(r.Out)!.AsArray()[0]!["label"]!.GetValue<string>());
        var info = CliRunner.Run("info", "default");
        Assert.True(info.ExitCode == 0, info.Err);
    }

    [Fact]
    public void The_main_job_gets_as_many_samples_right_as_the_readme_says_with_one_model_for_every_format()
    {
        // The README's main job: the bundled default model on every bundled image sample, several formats and writers.
        var readme = File.ReadAllText(RepoFile("README.md"));
        var claim = System.Text.RegularExpressions.Regex.Match(readme, @"It gets \*\*(\d+) of the (\d+)\*\* right");
        Assert.True(claim.Success, "the README no longer says how many samples the main job gets right");
        var r = CliRunner.Run("predict", "default", RepoFile("samples/images"), "-r");
        Assert.True(r.ExitCode == 0, r.Err);
        var count = System.Text.RegularExpressions.Regex.Match(r.Out, @"(\d+) of (\d+) files named for their class are right");
        Assert.True(count.Success, r.Out);
        Assert.Equal((claim.Groups[1].Value, claim.Groups[2].Value), (count.Groups[1].Value, count.Groups[2].Value));
        Assert.Equal(Directory.GetFiles(RepoFile("samples/images"), "*", SearchOption.AllDirectories).Length, int.Parse(count.Groups[2].Value));
        // One model, no format flag: it was trained on every image format the samples hold.
        var info = CliRunner.Run("info", "default", "--json");
        Assert.True(info.ExitCode == 0, info.Err);
        // In any order: the order is the training pool's, which a cycle may list differently.
        var encodings = System.Text.RegularExpressions.Regex.Match(info.Out, "\"byteformer.encoding\": \"([^\"]*)\"");
        Assert.True(encodings.Success, info.Out);
        Assert.Equal(new[] { "bmp", "jpeg75", "png", "png-stored", "tiff", "webp75" }, encodings.Groups[1].Value.Split(',').Order().ToArray());
    }

    [Fact]
    public void The_bundled_keyword_model_reads_the_bundled_clips_as_the_readme_says()
    {
        var r = CliRunner.Run("predict", RepoFile("models/keywords-wav-int16-8k.safetensors"), RepoFile("samples/speech"), "-r", "--json");
        Assert.True(r.ExitCode == 0, r.Err);
        var rows = System.Text.Json.Nodes.JsonNode.Parse(r.Out)!.AsArray();
        Assert.Equal(12, rows.Count);
        string[] commands = ["yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go"];
        string Truth(string file) => commands.Contains(Path.GetFileNameWithoutExtension(file)) ? Path.GetFileNameWithoutExtension(file) : "_unknown_";
        Assert.All(rows, row => Assert.Contains(row!["label"]!.GetValue<string>(), commands.Append("_unknown_").Append("_silence_")));
        // README, "Spoken keywords": 6 of the 12 clips (8 of them from the two recorded voices held out of training).
        var right = rows.Count(row => Truth(row!["file"]!.GetValue<string>()) == row["label"]!.GetValue<string>());
        Assert.Equal(6, right);
        Assert.All(rows, row => Assert.Null(row!["note"]));                      // they are in the model's encoding

        // A clip in another format, or not audio at all, still gets a class, and a note saying why to distrust it.
        using var dir = new TempDir();
        var tone = new ByteFormer.Codecs.Audio.AudioClip(Enumerable.Range(0, 16000).Select(i => (float)(0.2 * Math.Sin(i * 0.1))).ToArray(), 16000);
        File.WriteAllBytes(dir.File("16k.wav"), ByteFormer.Codecs.Audio.WavCodec.Encode(tone, ByteFormer.Codecs.Audio.WavSampleFormat.Int16));
        File.WriteAllBytes(dir.File("short.wav"), ByteFormer.Codecs.Audio.AudioEncoding.Parse("wav-int16@8k").Encode(tone with { Samples = tone.Samples[..8000] }));
        File.WriteAllBytes(dir.File("x.bin"), Enumerable.Range(0, 3000).Select(i => (byte)i).ToArray());
        var odd = CliRunner.Run("predict", RepoFile("models/keywords-wav-int16-8k.safetensors"), dir.File("16k.wav"), dir.File("short.wav"), dir.File("x.bin"), "--json");
        Assert.True(odd.ExitCode == 0, odd.Err);
        var notes = System.Text.Json.Nodes.JsonNode.Parse(odd.Out)!.AsArray().ToDictionary(n => Path.GetFileName(n!["file"]!.GetValue<string>()), n => n!["note"]!.GetValue<string>());
        Assert.Contains("16,000 Hz, 16-bit, not like the model's wav-int16@8k files", notes["16k.wav"]);
        Assert.Contains("8,044 bytes, not the 16,044", notes["short.wav"]);
        Assert.Contains("not a WAV file", notes["x.bin"]);
    }

    [Fact]
    public void A_folder_walk_follows_a_link_back_up_once_and_an_empty_folder_is_an_error()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.File("top/sub"));
        Directory.CreateDirectory(dir.File("empty"));
        File.Copy(RepoFile("samples/images/tiff/bag.tiff"), dir.File("top/sub/bag.tiff"));
        File.Copy(RepoFile("samples/images/tiff/coat.tiff"), dir.File("top/coat.tiff"));
        Directory.CreateSymbolicLink(dir.File("top/sub/up"), "..");                 // a loop: top/sub/up/sub/up/...
        var r = CliRunner.Run("predict", RepoFile("models/fashion-mnist-tiff.safetensors"), dir.File("top"), "-r", "--json");
        Assert.True(r.ExitCode == 0, r.Err);
        Assert.Equal(2, JsonNode.Parse(r.Out)!.AsArray().Count);                   // each file once
        Assert.Contains("not followed again", r.Err);
        CliRunner.AssertCleanFailure(CliRunner.Run("predict", RepoFile("models/fashion-mnist-tiff.safetensors"), dir.File("empty"), "-r"),
            "holds no files");
    }

    [Fact]
    public void The_table_counts_the_files_named_for_their_class_by_folder()
    {
        var samples = CliRunner.Run("predict", RepoFile("models/fashion-mnist-tiff.safetensors"), RepoFile("samples/images/tiff"), "-r");
        Assert.True(samples.ExitCode == 0, samples.Err);
        Assert.Contains("10 of 10 files named for their class are right (100%): tiff 10/10", samples.Out);

        // A data set's layout (class folders) counts too; a file that names no class is not counted.
        using var dir = new TempDir();
        foreach (var d in new[] { "mine/bag", "mine/coat" }) Directory.CreateDirectory(dir.File(d));
        File.Copy(RepoFile("samples/images/tiff/bag.tiff"), dir.File("mine/bag/0001.tiff"));
        File.Copy(RepoFile("samples/images/tiff/bag.tiff"), dir.File("mine/coat/0002.tiff"));    // a bag filed as a coat
        File.Copy(RepoFile("samples/images/tiff/bag.tiff"), dir.File("mine/unnamed.tiff"));
        var mine = CliRunner.Run("predict", RepoFile("models/fashion-mnist-tiff.safetensors"), dir.File("mine"), "-r");
        Assert.True(mine.ExitCode == 0, mine.Err);
        Assert.Contains("1 of 2 files named for their class are right (50%): mine 1/2", mine.Out);
        var json = CliRunner.Run("predict", RepoFile("models/fashion-mnist-tiff.safetensors"), dir.File("mine"), "-r", "--json");
        Assert.DoesNotContain("named for their class", json.Out);                                // JSON stays one array
    }
}

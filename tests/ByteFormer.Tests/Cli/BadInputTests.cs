using ByteFormer.Inference;
using ByteFormer.Model;

namespace ByteFormer.Tests.Cli;

/// <summary>Every bad input is one line on stderr and a non-zero exit, never a stack trace.</summary>
public class BadInputTests
{
    private static string ImportSmall(TempDir dir)
    {
        var model = dir.File("m.safetensors");
        var r = CliRunner.Run("import", Fixtures.Small("weights.safetensors"), "--corenet-config", Fixtures.Small("config.json"), "--out", model);
        Assert.Equal(0, r.ExitCode);
        return model;
    }

    [Fact]
    public void Predicting_a_missing_file()
    {
        using var dir = new TempDir();
        var r = CliRunner.Run("predict", ImportSmall(dir), dir.File("nope.bin"));
        CliRunner.AssertCleanFailure(r, "no such file");
    }

    [Fact]
    public void Predicting_an_empty_file_reports_it_and_classifies_the_others()
    {
        using var dir = new TempDir();
        var model = ImportSmall(dir);
        File.WriteAllBytes(dir.File("empty.bin"), []);
        File.WriteAllBytes(dir.File("ok.bin"), new byte[300]);
        var r = CliRunner.Run("predict", model, dir.File("empty.bin"), dir.File("ok.bin"), "--json");
        CliRunner.AssertCleanFailure(r, "empty file");
        var rows = System.Text.Json.Nodes.JsonNode.Parse(r.Out)!.AsArray();
        Assert.EndsWith("ok.bin", rows[0]!["file"]!.GetValue<string>());
        Assert.NotNull(rows[0]!["label"]);
        Assert.Contains("empty file", rows[1]!["error"]!.GetValue<string>());
    }

    [Fact]
    public void Short_and_long_inputs_are_padded_or_cut_and_say_so()
    {
        using var dir = new TempDir();
        var model = ImportSmall(dir);
        File.WriteAllBytes(dir.File("short.bin"), [1, 2, 3]);
        File.WriteAllBytes(dir.File("long.bin"), new byte[100_000]);
        var r = CliRunner.Run("predict", model, dir.File("short.bin"), dir.File("long.bin"), "--json");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("padded from 3 to 8 bytes", r.Out);
        Assert.Contains("read the first 2,052 of 100,000 bytes", r.Out);
    }

    [Fact]
    public void Broken_audio_files_still_get_a_class_because_the_model_reads_bytes()
    {
        using var dir = new TempDir();
        var model = ImportSmall(dir);
        var good = ByteFormer.Codecs.Audio.WavCodec.Encode(new ByteFormer.Codecs.Audio.AudioClip(new float[800], 8000),
            ByteFormer.Codecs.Audio.WavSampleFormat.Int16);
        File.WriteAllBytes(dir.File("broken-header.wav"), [.. "RIFX"u8.ToArray(), .. good[4..]]);
        File.WriteAllBytes(dir.File("no-samples.wav"), good[..44]);
        File.WriteAllBytes(dir.File("not-really.mp3"), System.Text.Encoding.ASCII.GetBytes("this is a text file, not an MP3 stream at all"));
        var r = CliRunner.Run("predict", model, dir.File("broken-header.wav"), dir.File("no-samples.wav"), dir.File("not-really.mp3"), "--json");
        Assert.True(r.ExitCode == 0, r.Err);
        var rows = System.Text.Json.Nodes.JsonNode.Parse(r.Out)!.AsArray();
        Assert.Equal(3, rows.Count);
        Assert.All(rows, row => Assert.False(string.IsNullOrEmpty(row!["label"]?.GetValue<string>())));
    }

    [Fact]
    public void Predicting_with_a_weights_file_that_is_not_a_model_file()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("x.bin"), new byte[100]);
        var r = CliRunner.Run("predict", Fixtures.Small("weights.safetensors"), dir.File("x.bin"));
        CliRunner.AssertCleanFailure(r, "not a ByteFormer model file");
    }

    [Theory]
    [InlineData("weights.pt")]
    [InlineData("weights.safetensors")]
    public void Importing_a_truncated_checkpoint(string file)
    {
        using var dir = new TempDir();
        var bytes = File.ReadAllBytes(Fixtures.Small(file));
        var cut = dir.File("cut" + Path.GetExtension(file));
        File.WriteAllBytes(cut, bytes[..(bytes.Length / 2)]);
        var r = CliRunner.Run("import", cut, "--corenet-config", Fixtures.Small("config.json"), "--out", dir.File("m.safetensors"));
        CliRunner.AssertCleanFailure(r, "truncated");
        Assert.False(File.Exists(dir.File("m.safetensors")));
    }

    [Theory]
    [InlineData("weights.pt")]
    [InlineData("weights.safetensors")]
    public void Importing_a_corrupt_checkpoint(string file)
    {
        using var dir = new TempDir();
        var bytes = File.ReadAllBytes(Fixtures.Small(file));
        var rng = new Random(5);
        for (var i = 8; i < 4096; i++) bytes[i] = (byte)rng.Next(256);                  // header and pickle garbled
        var bad = dir.File("bad" + Path.GetExtension(file));
        File.WriteAllBytes(bad, bytes);
        var r = CliRunner.Run("import", bad, "--corenet-config", Fixtures.Small("config.json"), "--out", dir.File("m.safetensors"));
        CliRunner.AssertCleanFailure(r, "not a");
    }

    [Fact]
    public void Importing_a_checkpoint_of_another_width_names_the_first_tensor()
    {
        using var dir = new TempDir();
        var config = File.ReadAllText(Fixtures.Small("config.json")).Replace("\"embed_dim\": 64", "\"embed_dim\": 96");
        Assert.Contains("\"embed_dim\": 96", config);
        File.WriteAllText(dir.File("wide.json"), config);
        var r = CliRunner.Run("import", Fixtures.Small("weights.pt"), "--corenet-config", dir.File("wide.json"), "--out", dir.File("m.safetensors"));
        CliRunner.AssertCleanFailure(r, "'embeddings.weight' has shape [257, 64]");
    }

    [Fact]
    public void Importing_with_a_yaml_of_unknown_mode()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("c.yaml"), "model:\n  classification:\n    name: byteformer\n    n_classes: 10\n    byteformer:\n      mode: gigantic\n");
        var r = CliRunner.Run("import", Fixtures.Small("weights.pt"), "--corenet-config", dir.File("c.yaml"), "--out", dir.File("m.safetensors"));
        CliRunner.AssertCleanFailure(r, "unknown ByteFormer mode 'gigantic'");
    }

    [Fact]
    public void A_model_file_whose_weights_do_not_fit_its_configuration()
    {
        using var dir = new TempDir();
        var path = dir.File("m.safetensors");
        using (var model = new ByteFormerModel(ByteFormerConfig.Preset("nano") with { MaxNumTokens = 32 }))
            ModelFile.Save(path, model, ModelFile.DefaultLabels(10));
        // Rewrite the configuration inside the file to claim 12 classes.
        var (tensors, meta) = ByteFormer.Interop.Safetensors.Read(path);
        using (tensors)
        {
            var edited = meta.ToDictionary(kv => kv.Key, kv => kv.Value);
            edited[ModelMetadata.Config] = edited[ModelMetadata.Config].Replace("\"n_classes\":10", "\"n_classes\":12");
            edited.Remove(ModelMetadata.Labels);
            ByteFormer.Interop.Safetensors.Write(path, tensors.Items, edited);
        }
        File.WriteAllBytes(dir.File("x.bin"), new byte[64]);
        var r = CliRunner.Run("predict", path, dir.File("x.bin"));
        CliRunner.AssertCleanFailure(r, "'classifier.weight' has shape [10, 64]");
    }

    [Fact]
    public void Unknown_options_are_parse_errors()
    {
        var r = CliRunner.Run("info", "tiny", "--bogus");
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("--bogus", r.Err);
    }
}

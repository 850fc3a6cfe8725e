using System.CommandLine;
using ByteFormer.Cli;
using ByteFormer.Cli.Output;
using ByteFormer.Inference;
using ByteFormer.Tests.Cli;

namespace ByteFormer.Tests.Newcomer;

/// <summary>The CLI catches a newcomer's mistakes before any work starts, and its help says what each option defaults to.</summary>
public class CliMistakeTests
{
    private static readonly string Bundled = Repo.File("models/fashion-mnist-tiff.safetensors");
    private static readonly string Sample = Repo.File("samples/images/tiff/bag.tiff");

    [Fact]
    public void A_misspelt_option_among_files_is_an_error_naming_the_right_one_before_any_file_is_read()
    {
        var r = CliRunner.Run("predict", Bundled, Sample, "--topk", "3");
        CliRunner.AssertCleanFailure(r, "did you mean --top-k?");
        Assert.Equal(2, r.ExitCode);
        Assert.Equal("", r.Out);                                   // no table: nothing was classified
    }

    [Theory]
    [InlineData("pridict", "did you mean predict?")]
    [InlineData("info --bytse 10 micro", "did you mean --bytes?")]
    [InlineData("train --data x --run-dir y --epoch 2", "did you mean --epochs?")]
    [InlineData("eval m d --device gpu", "cpu")]
    [InlineData("train --data x", "--run-dir")]
    public void Usage_mistakes_are_one_line_with_a_suggestion(string line, string fragment)
    {
        var r = CliRunner.Run(line.Split(' '));
        CliRunner.AssertCleanFailure(r, fragment);
        Assert.Equal(2, r.ExitCode);
    }

    [Fact]
    public void Standard_input_and_negative_numbers_are_not_taken_for_options()
    {
        var r = CliRunner.Run("info", "micro", "--bytes", "-5");
        CliRunner.AssertCleanFailure(r, "--bytes must be positive");
        Assert.Equal(1, r.ExitCode);
    }

    [Fact]
    public void Device_is_lower_case_and_on_every_verb_that_runs_the_model()
    {
        var root = CliApp.Build(new CliIO(TextWriter.Null, TextWriter.Null));
        foreach (var verb in new[] { "predict", "eval", "train" })
        {
            var device = root.Subcommands.Single(c => c.Name == verb).Options.Single(o => o.Name == "--device");
            Assert.Equal("cpu|cuda", device.HelpName);
        }
        var ok = CliRunner.Run("predict", Bundled, Sample, "--device", "cpu");
        Assert.True(ok.ExitCode == 0, ok.Err);
        using var dir = new TempDir();
        var train = CliRunner.Run("train", "--data", "fashion-mnist", "--encoding", "tiff", "--device", "cuda", "--run-dir", dir.File("run"));
        CliRunner.AssertCleanFailure(train, "cuda");
        Assert.False(Directory.Exists(dir.File("run")));
    }

    [Fact]
    public void Every_option_says_its_default_or_who_sets_it()
    {
        var root = CliApp.Build(new CliIO(TextWriter.Null, TextWriter.Null));
        var missing = new List<string>();
        void Walk(Command command, string path)
        {
            foreach (var option in command.Options)
            {
                if (option.Name is "--help" or "--version" || option.Required) continue;
                var isFlag = option.ValueType == typeof(bool);
                var described = !string.IsNullOrWhiteSpace(option.Description);
                var saysDefault = isFlag || option.HasDefaultValue || (option.Description ?? "") is var d && (d.Contains("default", StringComparison.OrdinalIgnoreCase) || d.Contains("required", StringComparison.OrdinalIgnoreCase));
                if (!described || !saysDefault) missing.Add($"{path} {option.Name}");
            }
            foreach (var sub in command.Subcommands) Walk(sub, $"{path} {sub.Name}");
        }
        Walk(root, "byteformer");
        Assert.True(missing.Count == 0, "options without a description or a default: " + string.Join(", ", missing));
    }

    [Fact]
    public void Eval_on_a_training_folder_uses_its_test_files_and_shows_no_top5_for_three_classes()
    {
        using var dir = new TempDir();
        ThreeKindsFolder.Create(dir.File("mydata"), trainPerClass: 20, testPerClass: 4);
        var trained = CliRunner.Run("train", "--data", dir.File("mydata"), "--preset", "nano", "--max-tokens", "64", "--epochs", "1",
            "--batch-size", "8", "--run-dir", dir.File("run"));
        Assert.True(trained.ExitCode == 0, trained.Err);
        var r = CliRunner.Run("eval", dir.File("run/model.safetensors"), dir.File("mydata"));
        Assert.True(r.ExitCode == 0, r.Err);
        Assert.Contains("evaluating " + Path.Combine(dir.File("mydata"), "test"), r.Err);
        Assert.Contains("12 files: top-1", r.Out);
        Assert.DoesNotContain("top-5", r.Out);
    }

    [Fact]
    public void Info_shows_what_the_model_file_records()
    {
        var r = CliRunner.Run("info", Repo.File("models/fashion-mnist-png-stored.safetensors"));
        Assert.True(r.ExitCode == 0, r.Err);
        Assert.Contains("trained on (encodings)", r.Out);
        Assert.Contains("png-stored", r.Out);
        Assert.Contains("training data", r.Out);
        Assert.Contains("trained with", r.Out);
        var json = CliRunner.Run("info", Repo.File("models/fashion-mnist-png-stored.safetensors"), "--json");
        var recorded = System.Text.Json.Nodes.JsonNode.Parse(json.Out)!["recorded"]!.AsObject();
        Assert.Equal("png-stored", (string?)recorded[ModelMetadata.Encoding]);
    }
}

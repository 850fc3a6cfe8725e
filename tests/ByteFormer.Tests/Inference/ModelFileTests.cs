using ByteFormer.Bytes;
using ByteFormer.Inference;
using ByteFormer.Interop;
using ByteFormer.Model;
using ByteFormer.Tests.Cli;
using static TorchSharp.torch;

namespace ByteFormer.Tests.Inference;

public class ModelFileTests
{
    [Fact]
    public void Saving_and_loading_keeps_configuration_labels_and_logits()
    {
        using var dir = new TempDir();
        var config = ByteFormerConfig.Preset("nano") with { MaxNumTokens = 128, NClasses = 3 };
        using var model = new ByteFormerModel(config);
        model.eval();
        string[] labels = ["cat", "dog", "fish"];
        ModelFile.Save(dir.File("m.safetensors"), model, labels, new Dictionary<string, string> { ["note"] = "hello" });

        var loaded = ModelFile.Load(dir.File("m.safetensors"));
        using var _ = loaded.Model;
        Assert.Equal(labels, loaded.Labels);
        Assert.Equal("hello", loaded.Metadata["note"]);
        Assert.Equal(config.ToJson(), loaded.Model.ConfigJson());
        using var __ = no_grad();
        using var tokens = ByteCollator.Collate([new byte[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 }, new byte[40]]);
        using var a = model.call(tokens);
        using var b = loaded.Model.call(tokens);
        Assert.Equal(0f, (a - b).abs().max().item<float>());
    }

    [Fact]
    public void No_temporary_file_is_left_beside_a_saved_model()
    {
        using var dir = new TempDir();
        using var model = new ByteFormerModel(ByteFormerConfig.Preset("nano") with { MaxNumTokens = 16 });
        ModelFile.Save(dir.File("m.safetensors"), model, ModelFile.DefaultLabels(10));
        Assert.Equal(["m.safetensors"], Directory.GetFiles(dir.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void Config_json_uses_corenet_option_names()
    {
        var json = ByteFormerConfig.Preset("tiny").ToJson();
        foreach (var key in new[] { "\"conv_kernel_size\":16", "\"max_num_tokens\":10000", "\"window_sizes\":[128]", "\"attention_semantics\":\"masked\"" })
            Assert.Contains(key, json);
    }

    [Fact]
    public void A_corenet_yaml_gives_the_reference_tiny_configuration()
    {
        // The model section as CoreNet's imagenet TIFF YAML has it (projects/byteformer/imagenet_file_encodings).
        const string yaml = """
            common:
              run_label: train
            model:
              classification:
                name: "byteformer"
                n_classes: 1000
                byteformer:
                  mode: "tiny"
                  max_num_tokens: 50000
                  conv_kernel_size: 32
                  window_sizes:
                  - 128
              activation:
                name: "gelu"
              layer:
                global_pool: mean
            """;
        var fromYaml = CorenetConfig.FromYaml(yaml, "tiff.yaml");
        var fromJson = CorenetConfig.Load(Fixtures.Tiny("config.json"));
        Assert.Equal(fromJson.ToJson(), fromYaml.ToJson());
        Assert.Equal(AttentionSemantics.Corenet, fromYaml.Semantics);
        Assert.Equal(16_805_416, fromYaml.CountParameters().Total);
    }

    [Fact]
    public void A_longer_positional_table_loads_into_a_shorter_one()
    {
        using var weights = Safetensors.Read(Fixtures.Small("weights.safetensors")).Tensors;
        var config = CorenetConfig.Load(Fixtures.Small("config.json")) with { MaxNumTokens = 100 };
        using var model = new ByteFormerModel(config);
        WeightLoader.Load(model, weights, "fixture");
        var table = model.state_dict()[WeightLoader.PositionTable];
        Assert.Equal(new long[] { 1, 1, 100, 64 }, table.shape);
        Assert.Equal(0f, (table - weights.Find(WeightLoader.PositionTable)!.narrow(2, 0, 100)).abs().max().item<float>());
    }
}

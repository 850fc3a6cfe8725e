using ByteFormer.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace ByteFormer.Tests.Model;

/// <summary>Embedding + Conv1d as table look-ups must equal the plain path in logits and in gradients.</summary>
public class FusedTokenReductionTests
{
    [Theory]
    [InlineData(AttentionSemantics.Masked, 8)]
    [InlineData(AttentionSemantics.Corenet, 8)]
    [InlineData(AttentionSemantics.Masked, 32)]
    public void Fused_and_plain_paths_agree_in_logits_and_gradients(AttentionSemantics semantics, int kernel)
    {
        torch.manual_seed(5);
        var config = ByteFormerConfig.Preset("nano") with { MaxNumTokens = 512, ConvKernelSize = kernel, Semantics = semantics };
        using var model = new ByteFormerModel(config);
        model.train();
        using var tokens = ArchitectureTests.RandomBatch([700, 333, 64], seed: 9);
        using var labels = tensor(new long[] { 0, 4, 9 });

        (float[] Logits, Dictionary<string, Tensor> Grads) Run(bool fused)
        {
            model.UseFusedTokenReduction = fused;
            model.zero_grad();
            var logits = model.call(tokens);
            nn.functional.cross_entropy(logits, labels).backward();
            return (logits.data<float>().ToArray(),
                    model.named_parameters().ToDictionary(kv => kv.name, kv => kv.parameter.grad!.clone()));
        }

        var plain = Run(false);
        var fused = Run(true);
        var logitDiff = plain.Logits.Zip(fused.Logits, (a, b) => Math.Abs(a - b)).Max();
        Assert.True(logitDiff < 1e-5, $"logits differ by {logitDiff:E2}");
        foreach (var (name, g) in plain.Grads)
        {
            var diff = (g - fused.Grads[name]).abs().max().item<float>();
            var scale = Math.Max(1.0, g.abs().max().item<float>());
            Assert.True(diff / scale < 1e-5, $"gradient of {name} differs by {diff:E2} (scale {scale:E1})");
        }
    }

    [Theory]
    [InlineData(1)]        // one tap per gather
    [InlineData(3 * 22 * 16)]   // 22 tokens × 16 channels a tap: blocks of 3 taps and a shorter last one (k 8)
    public void Gathering_the_taps_in_blocks_gives_the_same_tokens_and_gradients(long cap)
    {
        torch.manual_seed(8);
        using var ids = randint(0, 257, [2, 50]);
        using var embedding = randn(257, 16).requires_grad_();
        using var kernel = randn(16, 16, 8).requires_grad_();
        (Tensor Tokens, Tensor GradE, Tensor GradW) Run(long maxElements)
        {
            embedding.grad?.zero_();
            kernel.grad?.zero_();
            var tokens = FusedTokenReduction.Apply(ids, FusedTokenReduction.BuildTable(embedding, kernel), 4, maxElements);
            tokens.square().sum().backward();
            return (tokens.detach().clone(), embedding.grad!.clone(), kernel.grad!.clone());
        }
        var whole = Run(FusedTokenReduction.MaxGatherElements);
        var blocks = Run(cap);
        Assert.Equal(new long[] { 2, 11, 16 }, whole.Tokens.shape);
        Assert.True(whole.Tokens.allclose(blocks.Tokens, rtol: 1e-5, atol: 1e-4));
        Assert.True(whole.GradE.allclose(blocks.GradE, rtol: 1e-4, atol: 1e-3));
        Assert.True(whole.GradW.allclose(blocks.GradW, rtol: 1e-4, atol: 1e-3));
        // And the blocks agree with the plain convolution they replace.
        using var plain = nn.functional.conv1d(embedding.index_select(0, ids.reshape(-1)).view(2, 50, 16).permute(0, 2, 1), kernel, stride: 4).permute(0, 2, 1);
        Assert.True(plain.allclose(blocks.Tokens, rtol: 1e-4, atol: 1e-3));
    }

    [Fact]
    public void The_cached_inference_table_follows_loaded_weights()
    {
        torch.manual_seed(6);
        var config = ByteFormerConfig.Preset("nano") with { MaxNumTokens = 64 };
        using var a = new ByteFormerModel(config);
        torch.manual_seed(7);
        using var b = new ByteFormerModel(config);
        a.eval();
        b.eval();
        using var _ = no_grad();
        using var tokens = ArchitectureTests.RandomBatch([100], seed: 1);
        using var before = a.call(tokens);                                       // builds a's cached table
        using var weights = new ByteFormer.Interop.NamedTensors();
        foreach (var (name, t) in b.state_dict()) weights.Add(name, t.clone());
        ByteFormer.Interop.WeightLoader.Load(a, weights, "b");
        using var after = a.call(tokens);
        using var expected = b.call(tokens);
        Assert.True((before - after).abs().max().item<float>() > 1e-3);
        Assert.Equal(0f, (after - expected).abs().max().item<float>(), 6);
    }

    [Fact]
    public void Initialisation_follows_corenet()
    {
        torch.manual_seed(3);
        using var model = new ByteFormerModel(ByteFormerConfig.Preset("tiny") with { MaxNumTokens = 2000 });
        var p = model.named_parameters().ToDictionary(kv => kv.name, kv => kv.parameter);
        var std = Math.Pow(192, -0.5);
        var embedding = p["embeddings.weight"];
        Assert.Equal(0f, embedding[256].abs().sum().item<float>());
        Assert.InRange(embedding.narrow(0, 0, 256).std().item<float>(), 0.95 * std, 1.05 * std);
        var table = p["pos_embed.pos_embed.pos_embed"];
        Assert.True(table.isfinite().all().item<bool>());
        Assert.InRange(table.std().item<float>(), 0.97 * std, 1.03 * std);
        Assert.Equal(0f, p["transformer.0.pre_norm_mha.1.qkv_proj.bias"].abs().sum().item<float>());
        var bound = Math.Sqrt(6.0 / (576 + 192));
        Assert.InRange(p["transformer.0.pre_norm_mha.1.qkv_proj.weight"].abs().max().item<float>(), 0.9 * bound, bound);
    }

    [Fact]
    public void Masked_semantics_runs_short_sequences_as_one_window_of_their_own_length()
    {
        var config = ByteFormerConfig.Preset("tiny") with { ConvKernelSize = 32, NClasses = 10 };
        foreach (var (semantics, expected) in new[] { (AttentionSemantics.Masked, 61L), (AttentionSemantics.Corenet, 128L) })
        {
            using var model = new ByteFormerModel(config with { Semantics = semantics });
            model.eval();
            var windows = new Dictionary<string, long[]>();
            model.Tap = (name, t) => { if (name.EndsWith(".windowed_in")) windows[name] = t.shape; };
            using var _ = no_grad();
            using var tokens = ArchitectureTests.RandomBatch([1000, 1000], seed: 2);
            model.call(tokens).Dispose();
            Assert.Equal(new[] { 2L, expected, 192L }, windows["block_0.windowed_in"]);
            Assert.Equal(semantics == AttentionSemantics.Masked ? 1L : 128L, windows["block_11.windowed_in"][1]);
        }
    }
}

using ByteFormer.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace ByteFormer.Tests.Model;

/// <summary>In masked semantics a file's logits must not depend on its batch or on padding.</summary>
public class MaskedSemanticsTests
{
    // Shifted windows of 16 and 32, merges of odd lengths, an input shorter than the kernel, and lengths
    // on both sides of window boundaries.
    private static readonly int[] Lengths = [5, 8, 9, 67, 130, 131, 257, 600, 1023, 1500];

    private static ByteFormerConfig Config(AttentionSemantics semantics) => ByteFormerConfig.Preset("nano") with
    {
        MaxNumTokens = 512, WindowSizes = [16, 32, 16, 32], WindowShifts = [0, 8, 5, 16], Semantics = semantics,
    };

    [Fact]
    public void Logits_alone_and_in_a_batch_with_longer_files_agree()
    {
        torch.manual_seed(7);
        using var model = new ByteFormerModel(Config(AttentionSemantics.Masked));
        model.eval();
        using var _ = no_grad();
        using var batch = ArchitectureTests.RandomBatch(Lengths, seed: 11);
        using var batched = model.call(batch);
        double worst = 0;
        for (var i = 0; i < Lengths.Length; i++)
        {
            var len = Math.Max(Lengths[i], model.Config.ConvKernelSize);
            using var alone = model.call(batch[i].narrow(0, 0, len).unsqueeze(0));
            worst = Math.Max(worst, (alone[0] - batched[i]).abs().max().item<float>());
        }
        Assert.True(worst < 1e-5, $"max |alone - batched| = {worst:E2}");
    }

    [Fact]
    public void Corenet_semantics_does_depend_on_padding()
    {
        // The contrast that shows the test above can fail: the reference's unmasked padding moves logits.
        torch.manual_seed(7);
        using var model = new ByteFormerModel(Config(AttentionSemantics.Corenet));
        model.eval();
        using var _ = no_grad();
        using var batch = ArchitectureTests.RandomBatch([200, 1500], seed: 11);
        using var batched = model.call(batch);
        using var alone = model.call(batch[0].narrow(0, 0, 200).unsqueeze(0));
        Assert.True((alone[0] - batched[0]).abs().max().item<float>() > 1e-3);
    }

    [Fact]
    public void Shifted_window_masks_keep_the_wrapped_head_apart_from_the_tail()
    {
        // Window 4, shift 1, 8 positions: rolled order is 1..7,0; segments [0,1) [1,5) [5,8).
        using var mask = WindowPartition.AttentionMask(tensor(new long[] { 8 }), paddedLength: 8, windowLength: 4, window: 4, shift: 1);
        var m = mask.reshape(2, 4, 4).to(ScalarType.Int32).data<int>().ToArray();
        // First window holds original positions 1,2,3,4: one segment, all attend.
        Assert.All(m.Take(16), v => Assert.Equal(1, v));
        // Second window holds 5,6,7,0: 0 attends only itself, and 5..7 do not see it.
        int At(int q, int k) => m[16 + q * 4 + k];
        Assert.Equal(1, At(3, 3));
        Assert.Equal(0, At(3, 0));
        Assert.Equal(0, At(0, 3));
        Assert.Equal(1, At(0, 2));
    }
}

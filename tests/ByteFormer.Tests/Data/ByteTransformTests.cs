using System.Text.Json;
using ByteFormer.Bytes;
using ByteFormer.Tests.Cli;

namespace ByteFormer.Tests.Data;

/// <summary>The byte transforms of byteformer.md §3.4 and the key files of obfuscated training.</summary>
public class ByteTransformTests
{
    private static readonly byte[] Sample = Enumerable.Range(0, 10).Select(i => (byte)(i * 7)).ToArray();

    [Fact]
    public void The_reference_permutation_is_the_recorded_table_and_its_inverse_undoes_it()
    {
        var p = BytePermutation.Reference;
        Assert.Equal(239, p.Table[0]);
        Assert.Equal(60, p.Table[255]);
        Assert.Equal(256, p.Table.Distinct().Count());
        var all = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
        Assert.Equal(all, p.Inverse().Permute(p.Permute(all)));
        Assert.Equal("permute:reference", p.Spec);
    }

    [Fact]
    public void A_generated_key_round_trips_through_its_file_and_is_never_overwritten()
    {
        using var dir = new TempDir();
        var key = BytePermutation.Generate();
        Assert.False(key.IsReference);
        key.Save(dir.File("k.json"));
        var loaded = BytePermutation.Load(dir.File("k.json"));
        Assert.Equal(key.Table, loaded.Table);
        Assert.Equal(key.Fingerprint, loaded.Fingerprint);
        var e = Assert.Throws<ByteFormerException>(() => BytePermutation.Generate().Save(dir.File("k.json")));
        Assert.Contains("never overwritten", e.Message);
        Assert.Equal(key.Table, BytePermutation.Load(dir.File("k.json")).Table);
        Assert.NotEqual(key.Table, BytePermutation.Generate().Table);
    }

    [Theory]
    [InlineData("{not json", "not JSON")]
    [InlineData("{\"format\":\"other\"}", "not a byte-permutation key file")]
    [InlineData("{\"format\":\"byteformer-byte-permutation/1\",\"table\":[1,2,3]}", "corrupt key file")]
    [InlineData("{\"format\":\"byteformer-byte-permutation/1\",\"table\":\"x\"}", "corrupt key file")]
    public void A_damaged_key_file_is_refused_clearly(string text, string expected)
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("k.json"), text);
        var e = Assert.Throws<ByteFormerException>(() => BytePermutation.Load(dir.File("k.json")));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void A_key_whose_table_was_edited_fails_its_fingerprint()
    {
        using var dir = new TempDir();
        var node = System.Text.Json.Nodes.JsonNode.Parse(BytePermutation.Generate().ToKeyJson())!;
        var table = node["table"]!.AsArray();
        (table[0], table[1]) = (table[1]!.GetValue<int>(), table[0]!.GetValue<int>());   // still a permutation
        File.WriteAllText(dir.File("k.json"), node.ToJsonString());
        var e = Assert.Throws<ByteFormerException>(() => BytePermutation.Load(dir.File("k.json")));
        Assert.Contains("fingerprint does not match", e.Message);
        Assert.Contains("no such key file", Assert.Throws<ByteFormerException>(() => BytePermutation.Load(dir.File("none.json"))).Message);
    }

    [Fact]
    public void Mask_positions_keep_the_same_positions_of_every_file_in_order()
    {
        var mask = new MaskPositions(0.25);
        var a = Enumerable.Range(0, 100).Select(i => (byte)i).ToArray();
        var kept = mask.Apply(a, new Random(1));
        Assert.Equal(25, kept.Length);
        Assert.Equal(kept.Order().ToArray(), kept);                                  // original order
        Assert.Equal(mask.KeptPositions(100).Select(i => (byte)i), kept);
        var b = a.Select(v => (byte)(255 - v)).ToArray();
        Assert.Equal(kept.Select(v => (byte)(255 - v)), mask.Apply(b, new Random(2)));   // same positions
        Assert.Single(mask.Apply([9, 8, 7], new Random(0)));                          // at least one byte
        Assert.Throws<ByteFormerException>(() => new MaskPositions(0));
    }

    [Fact]
    public void Shuffles_reorder_as_the_reference_does()
    {
        byte[] x = [0, 1, 2, 3, 4, 5, 6];
        Assert.Equal([6, 5, 4, 3, 2, 1, 0], new ShuffleBytes(ShuffleMode.Reverse).Apply(x, new Random(0)));
        Assert.Equal([4, 5, 6, 0, 1, 2, 3], new ShuffleBytes(ShuffleMode.CyclicHalf).Apply(x, new Random(0)));   // torch.roll(x, 3)
        Assert.Equal([0, 3, 6, 1, 4, 2, 5], new ShuffleBytes(ShuffleMode.Stride, 3).Apply(x, new Random(0)));
        var window = new ShuffleBytes(ShuffleMode.Window, 3).Apply(x, new Random(0));
        Assert.Equal(window[0..3].Select(v => v - 0).ToArray(), window[3..6].Select(v => v - 3).ToArray());   // one order per chunk
        Assert.Equal(new byte[] { 0, 1, 2 }, window[0..3].Order().ToArray());
        Assert.Equal(6, window[6]);                                                       // the tail stays
        var random = new ShuffleBytes(ShuffleMode.Random);
        var r1 = random.Apply(x, new Random(1));
        Assert.Equal(x, r1.Order().ToArray());
        Assert.NotEqual(r1, random.Apply(x, new Random(2)));
        Assert.Throws<ByteFormerException>(() => ByteTransformPipeline.ParseShuffle("stride"));
        Assert.Throws<ByteFormerException>(() => ByteTransformPipeline.ParseShuffle("sideways"));
    }

    [Fact]
    public void Noise_stays_within_its_width_modulo_256_and_is_fresh_per_call()
    {
        var noise = new RandomUniformNoise(-5, 5);
        var zeros = new byte[2000];
        var a = noise.Apply(zeros, new Random(1));
        Assert.All(a, v => Assert.True(v <= 5 || v >= 251, $"{v}"));
        Assert.Contains(a, v => v == 251);
        Assert.Contains(a, v => v == 5);
        Assert.NotEqual(a, noise.Apply(zeros, new Random(2)));
    }

    [Fact]
    public void A_models_spec_needs_its_key_and_refuses_another()
    {
        var key = BytePermutation.Generate();
        var spec = ByteTransformPipeline.Create(noiseWidth: 5, permutation: key).Spec;
        Assert.Equal($"noise:-5:5,permute:{key.Fingerprint}", spec);
        Assert.Contains("trained on permuted bytes", Assert.Throws<ByteFormerException>(() => ByteTransformPipeline.FromSpec(spec, null, false, "m")).Message);
        Assert.Contains("wrong key", Assert.Throws<ByteFormerException>(() => ByteTransformPipeline.FromSpec(spec, BytePermutation.Generate(), false, "m")).Message);
        Assert.Contains("plain bytes", Assert.Throws<ByteFormerException>(() => ByteTransformPipeline.FromSpec("", key, false, "m")).Message);
        var full = ByteTransformPipeline.FromSpec(spec, key, false, "m");
        Assert.Equal(spec, full.Spec);
        Assert.True(ByteTransformPipeline.FromSpec(spec, null, true, "m").IsEmpty);   // the key holder applied noise and key
        Assert.Equal("keep:0.1,shuffle:stride:32", ByteTransformPipeline.FromSpec("keep:0.1,shuffle:stride:32", null, false, "m").Spec);
        Assert.Contains("unknown byte transform", Assert.Throws<ByteFormerException>(() => ByteTransformPipeline.FromSpec("twist:3", null, false, "m")).Message);
        Assert.Contains("low ≤ high", Assert.Throws<ByteFormerException>(() => ByteTransformPipeline.FromSpec("noise:5:-5", null, false, "m")).Message);
    }

    /// <summary>Two classes told apart by their byte values, in train/test folders.</summary>
    internal static void MakeFolders(TempDir dir)
    {
        foreach (var split in new[] { "train", "test" })
            for (var c = 0; c < 2; c++)
            {
                Directory.CreateDirectory(dir.File($"data/{split}/c{c}"));
                for (var i = 0; i < 8; i++)
                    File.WriteAllBytes(dir.File($"data/{split}/c{c}/{i}.bin"), Enumerable.Range(0, 40).Select(j => (byte)(c * 100 + i + j)).ToArray());
            }
    }

}

using ByteFormer.Interop;
using ByteFormer.Tests.Cli;

namespace ByteFormer.Tests.Interop;

/// <summary>torch.save zips from an attacker: bombs, flipped bytes, code-executing globals. Each is refused with
/// one clear line, as a <see cref="CheckpointException"/>, without reading more than the file declares.</summary>
public class TorchCheckpointHardeningTests
{
    private const long OneGiB = 1L << 30;

    private static CheckpointException Refused(byte[] zip, string? name = null)
    {
        using var dir = new TempDir();
        var path = dir.File(name ?? "w.pt");
        File.WriteAllBytes(path, zip);
        return Refused(path);
    }

    private static CheckpointException Refused(string path)
    {
        var e = Assert.Throws<CheckpointException>(() => TorchCheckpoint.Read(path).Dispose());
        Assert.DoesNotContain('\n', e.Message);
        return e;
    }

    [Fact]
    public void The_hand_built_checkpoint_reads_like_a_torch_save_one()
    {
        using var dir = new TempDir();
        var path = dir.File("w.pt");
        File.WriteAllBytes(path, TorchZip.Small().Build());
        using var t = TorchCheckpoint.Read(path);
        Assert.Equal(["a.weight", "a.bias", "b.weight"], t.Items.Select(kv => kv.Key));
        Assert.Equal([4L, 3], t.Items[0].Value.shape);
        Assert.Equal(-0.75f, t.Items[0].Value[0, 1].item<float>());
    }

    [Fact]
    public void Crc32_matches_the_zip_standard_and_the_fixture()
    {
        Assert.Equal(0xCBF43926u, Crc32.Compute("123456789"u8));
        Assert.Equal(0u, Crc32.Compute([]));
        using var zip = System.IO.Compression.ZipFile.OpenRead(Fixtures.Small("weights.pt"));
        foreach (var entry in zip.Entries.Take(8))
        {
            using var s = entry.Open();
            using var m = new MemoryStream();
            s.CopyTo(m);
            Assert.Equal(entry.Crc32, Crc32.Compute(m.ToArray()));
        }
    }

    [Fact]
    public void A_pickle_bomb_is_refused_before_it_is_inflated()
    {
        using var dir = new TempDir();
        var path = dir.File("bomb.pt");
        TorchZip.Small().WriteBomb(path, "data.pkl", OneGiB);
        Assert.True(new FileInfo(path).Length < 4 << 20, $"{new FileInfo(path).Length} bytes");

        var before = GC.GetAllocatedBytesForCurrentThread();
        var e = Refused(path);
        Assert.Contains("archive/data.pkl declares 1,073,741,824 bytes", e.Message);
        Assert.Contains("zip bomb", e.Message);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 16 << 20);

        // The same bomb claiming to be small: at most the claimed bytes plus one are inflated.
        var forged = File.ReadAllBytes(path);
        TorchZip.ForgeSize(forged, "archive/data.pkl", 4000);
        File.WriteAllBytes(path, forged);
        before = GC.GetAllocatedBytesForCurrentThread();
        e = Refused(path);
        AssertBombRefused(e, "archive/data.pkl", 4000);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 16 << 20);
    }

    /// <summary>A forged small size: .NET stops inflating at the declared size (then the CRC-32 fails), or the reader
    /// sees more than declared; either way the entry is named and no more than the declared bytes are kept.</summary>
    private static void AssertBombRefused(CheckpointException e, string entry, int declared)
    {
        Assert.Contains($"entry {entry} ", e.Message);
        Assert.True(e.Message.Contains("fails its CRC-32 check") || e.Message.Contains($"inflates past the {declared:N0} bytes it declares"), e.Message);
    }

    [Fact]
    public void A_storage_bomb_is_refused_by_the_size_the_pickle_declares()
    {
        using var dir = new TempDir();
        var path = dir.File("bomb.pt");
        TorchZip.Small().WriteBomb(path, "data/1", OneGiB);                       // a.bias: 4 floats, 16 bytes

        var before = GC.GetAllocatedBytesForCurrentThread();
        var e = Refused(path);
        Assert.Contains("archive/data/1 declares 1,073,741,824 bytes where the pickle's storage of 'a.bias' expects 16", e.Message);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 16 << 20);

        var forged = File.ReadAllBytes(path);
        TorchZip.ForgeSize(forged, "archive/data/1", 16);
        File.WriteAllBytes(path, forged);
        before = GC.GetAllocatedBytesForCurrentThread();
        e = Refused(path);
        AssertBombRefused(e, "archive/data/1", 16);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 16 << 20);
    }

    [Fact]
    public void A_pickle_larger_than_the_cap_is_refused_even_when_honest()
    {
        var zip = TorchZip.Small().Build(deflate: true);
        TorchZip.ForgeSize(zip, "archive/data.pkl", (uint)TorchCheckpoint.MaxPickleBytes + 1);
        var e = Refused(zip);
        Assert.Contains("more than a state_dict's pickle may hold (67,108,864)", e.Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_flipped_storage_byte_fails_the_crc_check(bool deflate)
    {
        var zip = TorchZip.Small().Build(deflate: deflate);
        var (data, _, _) = TorchZip.Locate(zip, "archive/data/2");
        zip[data + 5] ^= 0x10;
        var e = Refused(zip);
        // A stored entry can only fail its CRC; a damaged deflate stream may also fail to inflate. Either names the entry.
        Assert.Contains(deflate ? "entry archive/data/2" : "is not a valid zip archive: entry archive/data/2 fails its CRC-32 check", e.Message);
    }

    [Fact]
    public void A_flipped_byte_in_the_fixture_storage_fails_the_crc_check()
    {
        var zip = File.ReadAllBytes(Fixtures.Small("weights.pt"));
        var (data, _, _) = TorchZip.Locate(zip, "weights/data/11");
        zip[data + 1000] ^= 0x01;
        var e = Refused(zip);
        Assert.Contains("is not a valid zip archive: entry weights/data/11 fails its CRC-32 check", e.Message);
    }

    [Fact]
    public void A_flipped_byte_in_a_stored_pickle_fails_the_crc_check()
    {
        var zip = TorchZip.Small().Build();
        var (data, _, _) = TorchZip.Locate(zip, "archive/data.pkl");
        zip[data + 40] ^= 0x20;                                                     // inside a tensor name
        var e = Refused(zip);
        Assert.Contains("entry archive/data.pkl fails its CRC-32 check", e.Message);
    }

    [Theory]
    [InlineData("os", "system")]
    [InlineData("builtins", "eval")]
    [InlineData("subprocess", "Popen")]
    public void A_global_outside_the_allow_list_inside_the_state_dict_is_refused(string module, string name)
    {
        var payload = new Pickler().Global(module, name).Op('(').Str("echo pwned").Op('t').Op('R').Bytes();
        var zip = TorchZip.Small().Extra(new Pickler().Str("evil").Bytes(), payload).Build();
        var e = Refused(zip);
        Assert.Contains($"refers to {module}.{name}", e.Message);
        Assert.Contains("refused", e.Message);
    }

    [Fact]
    public void A_global_hidden_in_a_nested_value_or_via_stack_global_is_refused()
    {
        // STACK_GLOBAL (protocol 4) inside a list inside a dict value.
        var payload = new Pickler().Op(']').Op('(').Op('}').Op(0x8c).Op(5).Raw("posix"u8.ToArray()).Op(0x8c).Op(6).Raw("system"u8.ToArray())
            .Op(0x93).Op('e').Bytes();
        var zip = TorchZip.Small().Extra(new Pickler().Str("nested").Bytes(), payload).Build();
        var e = Refused(zip);
        Assert.Contains("refers to posix.system", e.Message);
    }

    [Theory]
    [InlineData(new byte[] { (byte)'h', 200 }, "memo slot 200 is read before it is written")]     // KeyNotFound before
    [InlineData(new byte[] { (byte)'N', (byte)')', (byte)'R' }, "REDUCE on a non-global")]
    [InlineData(new byte[] { (byte)'N', (byte)'N', (byte)'R' }, "REDUCE without an argument tuple")]  // null args before
    [InlineData(new byte[] { 0x8a, 9, 1, 2, 3, 4, 5, 6, 7, 8, 9 }, "9-byte integer")]
    [InlineData(new byte[] { (byte)'X', 0xff, 0xff, 0xff, 0x7f }, "pickle ends early")]           // int overflow before
    public void Malformed_pickles_say_what_is_wrong(byte[] value, string expected)
    {
        var zip = TorchZip.Small().Extra(new Pickler().Str("bad").Bytes(), value).Build();
        var e = Refused(zip);
        Assert.Contains("data.pkl is malformed at byte", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void A_tensor_with_an_impossible_shape_is_refused()
    {
        var good = TorchZip.Small();
        var pickle = good.Pickle();
        // The first shape (4, 3) is BININT 4, BININT 3: make it (2^31-1, 2^31-1) (stride 3, 1): needs far more than the storage.
        var at = FindInts(pickle, 4, 3);
        BitConverter.GetBytes(int.MaxValue).CopyTo(pickle, at + 1);
        BitConverter.GetBytes(int.MaxValue).CopyTo(pickle, at + 6);
        var e = Refused(good.Build(pickle));
        Assert.Contains("storage of 'a.weight' has 12 elements, its shape needs", e.Message);
    }

    [Fact]
    public void A_storage_whose_size_differs_from_the_pickle_is_refused()
    {
        var good = TorchZip.Small();
        var pickle = good.Pickle();
        var at = FindInts(pickle, 12, 0);                                           // storage numel 12, then offset... (numel is followed by TUPLE)
        var e = Refused(good.Build(pickle.Take(at + 1).Concat(BitConverter.GetBytes(13)).Concat(pickle.Skip(at + 5)).ToArray()));
        Assert.Contains("archive/data/0 declares 48 bytes where the pickle's storage of 'a.weight' expects 52", e.Message);
    }

    /// <summary>Where BININT <paramref name="a"/> is followed by BININT <paramref name="b"/> (or, for b = 0, by TUPLE).</summary>
    private static int FindInts(byte[] p, int a, int b)
    {
        for (var i = 0; i + 10 <= p.Length; i++)
            if (p[i] == 'J' && BitConverter.ToInt32(p, i + 1) == a
                && (b == 0 ? p[i + 5] == 't' : p[i + 5] == 'J' && BitConverter.ToInt32(p, i + 6) == b))
                return i;
        throw new InvalidOperationException("not found");
    }

    [Fact]
    public void Tied_tensors_share_one_storage_read()
    {
        using var dir = new TempDir();
        var path = dir.File("w.pt");
        File.WriteAllBytes(path, TorchZip.Small().Alias("tied.weight", 0).Build());
        using var t = TorchCheckpoint.Read(path);
        Assert.Equal(4, t.Count);
        Assert.True(t.Find("tied.weight")!.allclose(t.Find("a.weight")!));
    }

    [Fact]
    public void One_storage_read_into_many_tensors_is_refused()
    {
        var zip = new TorchZip().Tensor("w", [1 << 20], new float[1 << 20]);
        for (var i = 0; i < 40; i++) zip.Alias($"copy{i}", 0);                      // 41 x 4 MB from one 4 MB storage
        var e = Refused(zip.Build(deflate: true));
        Assert.Contains("its 41 tensors hold 42,991,616 elements, their storages only 1,048,576", e.Message);
    }

    [Fact]
    public void Importing_a_bomb_through_the_cli_is_one_clear_line()
    {
        using var dir = new TempDir();
        var path = dir.File("bomb.pt");
        TorchZip.Small().WriteBomb(path, "data.pkl", 256L << 20);
        var bytes = File.ReadAllBytes(path);
        TorchZip.ForgeSize(bytes, "archive/data.pkl", 6601);
        File.WriteAllBytes(path, bytes);
        var r = CliRunner.Run("import", path, "--corenet-config", Fixtures.Small("config.json"), "--out", dir.File("m.safetensors"));
        CliRunner.AssertCleanFailure(r, "entry archive/data.pkl");
        AssertBombRefused(new CheckpointException(r.Err.Trim()), "archive/data.pkl", 6601);
        Assert.NotEqual(70, r.ExitCode);
        Assert.False(File.Exists(dir.File("m.safetensors")));
    }
}

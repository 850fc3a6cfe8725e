using System.Buffers.Binary;
using System.Text;
using ByteFormer.Interop;
using static TorchSharp.torch;

namespace ByteFormer.Tests.Interop;

/// <summary>The safetensors specification's validity rules: the data section is tiled exactly by the tensors'
/// byte ranges (no overlap, no hole, no trailing bytes), each range fits its shape and dtype, the header is sane.</summary>
public class SafetensorsHardeningTests
{
    /// <summary>A file with this header JSON and <paramref name="dataBytes"/> bytes of data.</summary>
    private static byte[] File(string json, int dataBytes)
    {
        var header = Encoding.UTF8.GetBytes(json);
        var bytes = new byte[8 + header.Length + dataBytes];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, header.Length);
        header.CopyTo(bytes, 8);
        return bytes;
    }

    private static CheckpointException Refused(byte[] file)
    {
        var e = Assert.Throws<CheckpointException>(() => Safetensors.Read(new MemoryStream(file), "t.safetensors").Tensors.Dispose());
        Assert.StartsWith("t.safetensors is not a valid safetensors file: ", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        return e;
    }

    [Fact]
    public void A_valid_file_with_an_empty_tensor_reads()
    {
        var json = """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"e":{"dtype":"F32","shape":[0,3],"data_offsets":[8,8]},"b":{"dtype":"F16","shape":[2],"data_offsets":[8,12]}}""";
        var (t, _) = Safetensors.Read(new MemoryStream(File(json, 12)), "t.safetensors");
        using (t)
        {
            Assert.Equal(3, t.Count);
            Assert.Equal([0L, 3], t.Find("e")!.shape);
        }
    }

    [Fact]
    public void Written_files_and_the_reference_fixtures_are_valid()
    {
        using var m = new MemoryStream();
        using (var x = ones(3, 2)) Safetensors.WriteTo(m, [new("x", x)], new Dictionary<string, string> { ["k"] = "v" });
        m.Position = 0;
        var (t, meta) = Safetensors.Read(m, "m");
        t.Dispose();
        Assert.Equal("v", meta["k"]);
        Safetensors.Read(Fixtures.Small("weights.safetensors")).Tensors.Dispose();
        Safetensors.Read(Fixtures.Small("intermediates.safetensors")).Tensors.Dispose();
    }

    [Fact]
    public void Coinciding_ranges_are_refused_naming_both_tensors()
    {
        var e = Refused(File("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", 8));
        Assert.Contains("tensors 'a' and 'b' overlap", e.Message);
    }

    [Fact]
    public void Overlapping_ranges_are_refused_naming_both_tensors()
    {
        var e = Refused(File("""{"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", 12));
        Assert.Contains("tensors 'a' and 'b' overlap (bytes 4..8)", e.Message);
    }

    [Fact]
    public void A_hole_between_tensors_is_refused()
    {
        var e = Refused(File("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}""", 12));
        Assert.Contains("bytes 4..8 of the data section belong to no tensor (holes are not allowed)", e.Message);
    }

    [Fact]
    public void A_hole_at_the_start_is_refused()
    {
        var e = Refused(File("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", 8));
        Assert.Contains("bytes 0..4 of the data section belong to no tensor", e.Message);
    }

    [Fact]
    public void Bytes_after_the_last_tensor_are_refused()
    {
        var e = Refused(File("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", 20));
        Assert.Contains("16 bytes after the last tensor belong to no tensor", e.Message);
    }

    [Fact]
    public void Offsets_out_of_range_are_refused()
    {
        Assert.Contains("ends at byte 400 of a data section of 8 bytes", Refused(File("""{"a":{"dtype":"F32","shape":[100],"data_offsets":[0,400]}}""", 8)).Message);
        Assert.Contains("invalid data_offsets", Refused(File("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[8,4]}}""", 8)).Message);
        Assert.Contains("invalid data_offsets", Refused(File("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}}""", 8)).Message);
        Assert.Contains("invalid data_offsets", Refused(File("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,99999999999999999999]}}""", 8)).Message);
        Assert.Contains("invalid data_offsets", Refused(File("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0]}}""", 8)).Message);
    }

    [Theory]
    [InlineData("""{"dtype":"F32","shape":[3],"data_offsets":[0,8]}""", "has 8 bytes for shape [3] of F32")]
    [InlineData("""{"dtype":"F64","shape":[2],"data_offsets":[0,8]}""", "has 8 bytes for shape [2] of F64")]
    [InlineData("""{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}""", "has 8 bytes for shape [4294967296, 4294967296]")]
    [InlineData("""{"dtype":"F32","shape":[-2,-1],"data_offsets":[0,8]}""", "negative size")]
    [InlineData("""{"dtype":"F32","shape":[2.5],"data_offsets":[0,8]}""", "no valid shape")]
    [InlineData("""{"dtype":"Q7","shape":[2],"data_offsets":[0,8]}""", "unknown dtype 'Q7'")]
    [InlineData("""{"dtype":3,"shape":[2],"data_offsets":[0,8]}""", "has no dtype")]
    [InlineData("""[1]""", "entry 'a' is not an object")]
    public void Entries_that_do_not_fit_their_shape_or_dtype_are_refused(string entry, string expected)
    {
        Assert.Contains(expected, Refused(File($$"""{"a":{{entry}}}""", 8)).Message);
    }

    [Theory]
    [InlineData(-1L, "header size -1 is absurd")]
    [InlineData(1L, "header size 1 is absurd")]
    [InlineData(1L << 40, "header size 1099511627776 is absurd")]
    [InlineData(long.MaxValue, "is absurd")]
    [InlineData(1000L, "header size 1000 does not fit a file of")]
    public void An_absurd_header_length_is_refused(long length, string expected)
    {
        var bytes = File("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", 4);
        BinaryPrimitives.WriteInt64LittleEndian(bytes, length);
        Assert.Contains(expected, Refused(bytes).Message);
    }

    [Theory]
    [InlineData("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", "not valid JSON (or repeats a name)")]
    [InlineData("""  {"a":1}""", "does not start with '{'")]
    [InlineData("""{"__metadata__":{"k":3}}""", "__metadata__ value 'k' is not a string")]
    [InlineData("""{"__metadata__":[1]}""", "__metadata__ is not an object")]
    [InlineData("""{"a":""", "not valid JSON")]
    public void Malformed_headers_are_refused(string json, string expected)
    {
        Assert.Contains(expected, Refused(File(json, 8)).Message);
    }

    [Fact]
    public void Integer_dtypes_are_checked_for_layout_then_refused_as_not_float()
    {
        var bytes = File("""{"a":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}}""", 8);
        var e = Assert.Throws<CheckpointException>(() => Safetensors.Read(new MemoryStream(bytes), "t.safetensors").Tensors.Dispose());
        Assert.Equal("t.safetensors: tensor 'a' has dtype I64; ByteFormer weights are floating point", e.Message);
    }
}

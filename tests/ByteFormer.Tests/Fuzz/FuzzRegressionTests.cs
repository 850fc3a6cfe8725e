using System.Buffers.Binary;
using System.Diagnostics;
using System.IO.Compression;
using System.Text;
using ByteFormer.Bytes;
using ByteFormer.Data;
using ByteFormer.Fuzz;
using ByteFormer.Inference;
using ByteFormer.Interop;
using ByteFormer.Tests.Cli;
using ByteFormer.Training;

namespace ByteFormer.Tests.Fuzz;

/// <summary>
/// Each input the fuzz targets (or their review) found to break a loader's contract, reduced to what makes it
/// break: every one must now be refused with a <see cref="ByteFormerException"/> of one clear line, quickly.
/// </summary>
public class FuzzRegressionTests
{
    private static T Refused<T>(Action load) where T : ByteFormerException
    {
        var watch = Stopwatch.StartNew();
        var e = Assert.Throws<T>(load);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"refused only after {watch.Elapsed}");
        Assert.False(string.IsNullOrWhiteSpace(e.Message) || e.Message.Contains('\n'), $"not one clear line: '{e.Message}'");
        return e;
    }

    private static byte[] Corpus(string target, string file) => File.ReadAllBytes(Repo.File($"fuzz/corpus/{target}/{file}"));

    // Key files: a repeated name surfaced as ArgumentException from JsonObject; a fingerprint that is not a string as InvalidOperationException.

    [Fact]
    public void A_key_file_that_repeats_a_name_is_refused()
    {
        using var dir = new TempDir();
        var json = Encoding.UTF8.GetString(Corpus("key-file", "key.json")).TrimEnd();
        File.WriteAllText(dir.File("k.json"), json[..^1] + ",\"fingerprint\":\"0\"}");
        Assert.Contains("appears twice", Refused<ByteFormerException>(() => BytePermutation.Load(dir.File("k.json"))).Message);
    }

    [Fact]
    public void A_key_file_whose_fingerprint_is_a_number_is_refused()
    {
        using var dir = new TempDir();
        var key = BytePermutation.Reference;
        File.WriteAllText(dir.File("k.json"),
            $"{{\"format\":\"{BytePermutation.KeyFormat}\",\"fingerprint\":12,\"table\":[{string.Join(',', key.Table)}]}}");
        Assert.Contains("fingerprint", Refused<ByteFormerException>(() => BytePermutation.Load(dir.File("k.json"))).Message);
    }

    [Fact]
    public void A_key_file_with_a_lone_surrogate_in_a_name_is_refused()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("k.json"), "{\"format\":\"x\",\"\\ud800\":1}");  // was InvalidOperationException
        Refused<ByteFormerException>(() => BytePermutation.Load(dir.File("k.json")));
    }

    [Fact]
    public void JSON_configuration_with_a_lone_surrogate_in_a_name_is_refused()
    {
        const string json = """{"corenet_options": {"\ud800": 1}}""";
        Refused<ConfigurationException>(() => CorenetConfig.FromJson(json, "c.json"));
    }

    // CoreNet configurations.

    [Theory]
    [InlineData("yaml-unsupported-event.yaml")]                                 // YamlDotNet: ArgumentException from its loader
    [InlineData("yaml-scanner-state.yaml")]                                     // YamlDotNet: InvalidOperationException from its scanner
    public void YAML_that_trips_the_YAML_library_is_refused(string file)
    {
        var path = Repo.File($"tests/ByteFormer.Tests/Fuzz/Regressions/corenet-config/{file}");
        Assert.Contains("not valid YAML", Refused<ConfigurationException>(() => CorenetConfig.Load(path)).Message);
    }

    [Fact]
    public void JSON_that_repeats_an_option_is_refused()
    {
        const string json = """{"corenet_options": {"model.activation.name": "gelu", "model.activation.name": "gelu"}}""";
        Assert.Contains("repeats a name", Refused<ConfigurationException>(() => CorenetConfig.FromJson(json, "c.json")).Message);
    }

    [Theory]
    [InlineData("window_sizes: [99999999999]")]                                 // was OverflowException in the list conversion
    [InlineData("window_sizes: 99999999999")]
    [InlineData("max_num_tokens: 99999999999")]
    public void An_integer_option_past_the_int_range_is_refused(string option)
    {
        var yaml = $"model:\n  classification:\n    byteformer:\n      mode: tiny\n      {option}\n";
        Assert.Contains("should be", Refused<ConfigurationException>(() => CorenetConfig.FromYaml(yaml, "c.yaml")).Message);
    }

    [Fact]
    public void YAML_nested_far_too_deep_is_refused_not_a_stack_overflow()
    {
        var yaml = "model:\n  a: " + new string('[', 200_000) + "\n";
        Assert.Contains("nested", Refused<ConfigurationException>(() => CorenetConfig.FromYaml(yaml, "deep.yaml")).Message);
    }

    [Fact]
    public void YAML_aliases_that_expand_exponentially_are_refused()
    {
        var yaml = new StringBuilder("model:\n  classification:\n    byteformer:\n      mode: tiny\n  a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for (var i = 1; i < 12; i++)
            yaml.Append($"  a{i}: &a{i} [{string.Join(", ", Enumerable.Repeat($"*a{i - 1}", 10))}]\n");
        Assert.Contains("aliases", Refused<ConfigurationException>(() => CorenetConfig.FromYaml(yaml.ToString(), "laughs.yaml")).Message);
    }

    [Fact]
    public void A_YAML_key_that_is_not_a_name_is_refused()
    {
        const string yaml = "model:\n  ? [a, b]\n  : 1\n";                      // was InvalidCastException
        Refused<ConfigurationException>(() => CorenetConfig.FromYaml(yaml, "c.yaml"));
    }

    [Fact]
    public void A_mode_with_a_line_break_is_named_on_one_line()
    {
        const string yaml = "model:\n  classification:\n    byteformer:\n      mode: \"ti\\nny\"\n";
        Assert.Contains("'ti?ny'", Refused<ConfigurationException>(() => CorenetConfig.FromYaml(yaml, "c.yaml")).Message);
    }

    // IDX: negative or empty dimensions reached new PixelImage[-1] (OverflowException) or PixelImage's ArgumentException.

    [Theory]
    [InlineData(-1, -1, 5)]
    [InlineData(2, 0, 0)]
    [InlineData(2, 67108871, 0)]
    public void IDX_with_negative_or_empty_dimensions_is_refused(int count, int height, int width)
    {
        var bytes = new byte[16 + 5];
        bytes[2] = 0x08;
        bytes[3] = 3;
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), count);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(8), height);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(12), width);
        var size = (long)count * height * width;
        var data = size is >= 0 and <= 5 ? bytes.AsSpan(0, 16 + (int)size).ToArray() : bytes;
        Refused<ByteFormerException>(() =>
        {
            var images = FashionMnist.ParseIdx(data, 3, "x.idx");
            FashionMnist.FromIdx(images, ([images.Dims[0]], new byte[Math.Max(0, images.Dims[0])]), "x", null);
        });
    }

    // Image sniffing: a WebP chunk size of 0xFFFFFFF8 read as -8 stepped back onto the same chunk forever (a hang).

    [Theory]
    [InlineData(0xFFFFFFF8u)]
    [InlineData(0xFFFFFFECu)]                                                   // back to the previous chunk
    [InlineData(0xFFFFFFFFu)]
    public async Task A_WebP_chunk_size_past_the_int_range_ends_the_walk(uint size)
    {
        var file = new byte[40];
        "RIFF"u8.CopyTo(file);
        "WEBP"u8.CopyTo(file.AsSpan(8));
        "JUNK"u8.CopyTo(file.AsSpan(12));
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(16), 4);
        "ICCP"u8.CopyTo(file.AsSpan(24));
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(28), size);
        // A TimeoutException here is the old hang.
        var header = await Task.Run(() => ImageHeaderOf(file)).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(new ByteFormer.Codecs.ImageHeader(ByteFormer.Codecs.ImageFormat.WebP, 0, 0), header);
    }

    private static ByteFormer.Codecs.ImageHeader? ImageHeaderOf(byte[] file) => ByteFormer.Codecs.ImageHeader.TryRead(file);

    // Names from the file inside messages: a line break in a tensor name broke the message's one line.

    [Fact]
    public void A_tensor_name_with_a_line_break_is_named_on_one_line_by_the_torch_reader()
    {
        var pickle = ByteFormer.Fuzz.Seeds.StateDictPickle();
        var at = pickle.AsSpan().IndexOf("a.bias"u8);
        pickle[at + 1] = (byte)'\n';
        using var dir = new TempDir();
        using (var zip = ZipFile.Open(dir.File("m.pt"), ZipArchiveMode.Create))
        {
            void Entry(string name, byte[] data)
            {
                using var s = zip.CreateEntry("archive/" + name, CompressionLevel.NoCompression).Open();
                s.Write(data);
            }
            Entry("data.pkl", pickle);
            Entry("data/0", new byte[48]);
            Entry("data/1", new byte[8]);                                       // the pickle declares 16 bytes
        }
        Assert.Contains("'a?bias'", Refused<CheckpointException>(() => TorchCheckpoint.Read(dir.File("m.pt"))).Message);
    }

    [Fact]
    public void A_tensor_name_with_a_line_break_is_named_on_one_line_by_the_safetensors_reader()
    {
        var header = """{"a\nb":{"dtype":"X9","shape":[1],"data_offsets":[0,4]}}"""u8.ToArray();
        var bytes = new byte[8 + header.Length + 4];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, header.Length);
        header.CopyTo(bytes, 8);
        Assert.Contains("'a?b'", Refused<CheckpointException>(() => Safetensors.Read(new MemoryStream(bytes), "w.safetensors")).Message);
    }

    // Model files and checkpoints: a forged size must be refused before a network of that size is built.

    [Fact]
    public void A_model_file_whose_configuration_is_forged_huge_is_refused_before_building()
    {
        using var dir = new TempDir();
        var bytes = Corpus("model-file", "tiny-noise.safetensors");
        var text = Encoding.Latin1.GetString(bytes);
        var forged = text.Replace("\\u0022embed_dim\\u0022:4,", "\\u0022embed_dim\\u0022:4000000,");
        if (forged == text) forged = text.Replace("\\\"embed_dim\\\":4,", "\\\"embed_dim\\\":4000000,");
        Assert.NotEqual(text, forged);
        File.WriteAllBytes(dir.File("m.safetensors"), Safetensorize(Encoding.Latin1.GetBytes(forged), bytes));
        Assert.Contains("needs at least", Refused<CheckpointException>(() => ModelFile.Load(dir.File("m.safetensors"))).Message);
    }

    /// <summary>The header-size prefix fixed after the header's JSON changed length.</summary>
    private static byte[] Safetensorize(byte[] edited, byte[] original)
    {
        var oldHeader = BinaryPrimitives.ReadInt64LittleEndian(original);
        var delta = edited.Length - original.Length;
        BinaryPrimitives.WriteInt64LittleEndian(edited, oldHeader + delta);
        return edited;
    }

    private static byte[] Rezip(byte[] zip, Func<string, byte[], byte[]?> edit)
    {
        using var input = new ZipArchive(new MemoryStream(zip), ZipArchiveMode.Read);
        using var buffer = new MemoryStream();
        using (var output = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
            foreach (var entry in input.Entries)
            {
                using var from = entry.Open();
                using var copy = new MemoryStream();
                from.CopyTo(copy);
                if (edit(entry.FullName, copy.ToArray()) is not { } data) continue;
                using var to = output.CreateEntry(entry.FullName, CompressionLevel.NoCompression).Open();
                to.Write(data);
            }
        return buffer.ToArray();
    }

    [Fact]
    public void A_checkpoint_whose_configuration_is_forged_huge_is_refused_before_building()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("c.zip"), Rezip(Corpus("checkpoint", "checkpoint.zip"), (name, data) =>
            name == "config.json" ? Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(data).Replace("\"embed_dim\":4,", "\"embed_dim\":4000000,")) : data));
        Assert.Contains("needs at least", Refused<CheckpointException>(() => Checkpoint.ReadHeader(dir.File("c.zip"))).Message);
    }

    [Fact]
    public void A_checkpoint_whose_zip_directory_is_damaged_is_refused()
    {
        // The entry count of the end-of-central-directory record: .NET reads the directory lazily, so this surfaced
        // as InvalidDataException from the first entry lookup, not from opening.
        var bytes = Corpus("checkpoint", "checkpoint.zip");
        var eocd = bytes.AsSpan().LastIndexOf("PK\x05\x06"u8);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(eocd + 10), 3);
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("c.zip"), bytes);
        Refused<CheckpointException>(() => Checkpoint.ReadHeader(dir.File("c.zip")));
        Refused<CheckpointException>(() => Checkpoint.ReadArchitecture(dir.File("c.zip")));
    }

    [Fact]
    public void A_checkpoint_entry_with_an_unknown_compression_method_is_refused()
    {
        var bytes = Corpus("checkpoint", "checkpoint.zip");
        var central = bytes.AsSpan().IndexOf("PK\x01\x02"u8);
        while (!bytes.AsSpan(central + 46).StartsWith("options.json"u8))           // options.json: ReadHeader reads it
            central += 46 + BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(central + 28))
                       + BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(central + 30)) + BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(central + 32));
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(central + 10), 99);
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("c.zip"), bytes);
        Refused<CheckpointException>(() => Checkpoint.ReadHeader(dir.File("c.zip")));
    }

    [Theory]
    [InlineData("state.json")]                                                  // was JsonException from Restore
    [InlineData("optimizer.bin")]                                               // was EndOfStreamException from AdamW.Load
    public void A_checkpoint_with_a_damaged_entry_under_a_valid_CRC_is_refused(string entry)
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("c.zip"), Rezip(Corpus("checkpoint", "checkpoint.zip"), (name, data) =>
            name != entry ? data : entry == "state.json" ? "{\"Step\": J}"u8.ToArray() : data[..(data.Length / 2)]));
        var header = Checkpoint.ReadHeader(dir.File("c.zip"));
        using var model = header.BuildModel();
        using var ema = header.BuildModel();
        using var optimizer = new AdamW([(model.parameters(), 0.0)], 1e-3);
        Refused<CheckpointException>(() => Checkpoint.Restore(dir.File("c.zip"), model, ema, optimizer));
    }

    [Fact]
    public void Every_saved_regression_input_is_refused_or_read_by_its_target()
    {
        // The inputs kept under Fuzz/Regressions/TARGET/ replayed through the fuzz targets: none may escape.
        var root = Repo.File("tests/ByteFormer.Tests/Fuzz/Regressions");
        foreach (var dir in Directory.GetDirectories(root))
        {
            var target = Targets.Create(Path.GetFileName(dir));
            try
            {
                foreach (var file in Directory.GetFiles(dir)) target.Run(File.ReadAllBytes(file));
            }
            finally
            {
                (target as IDisposable)?.Dispose();
            }
        }
    }

    [Fact]
    public void A_multipart_header_line_with_control_characters_is_refused_on_one_line()
    {
        // Found by the multipart target: the parser's message quoted the client's header bytes, line breaks and all.
        var body = System.Text.Encoding.Latin1.GetBytes("--fuzzboundary\r\nContent-Disposition\rno colon\u0001\r\n\r\nx\r\n--fuzzboundary--\r\n");
        var target = ByteFormer.Fuzz.Targets.Create("multipart");
        Assert.Equal(ByteFormer.Fuzz.Outcome.Refused, target.Execute(body));
        Assert.Equal("broken multipart body: a\\x0db\\x0ac", ByteFormer.Service.UploadReader.OneLine("broken multipart body: a\rb\nc"));
    }
}

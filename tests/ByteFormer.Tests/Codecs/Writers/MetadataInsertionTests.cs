using ByteFormer.Codecs;
using ByteFormer.Codecs.Writers;
using static ByteFormer.Tests.Codecs.Writers.WriterTestImages;

namespace ByteFormer.Tests.Codecs.Writers;

/// <summary>Metadata inserted before the pixels: the file still decodes to the same pixels and grew by about k.</summary>
public class MetadataInsertionTests
{
    public static TheoryData<string, int> Cases()
    {
        var data = new TheoryData<string, int>();
        foreach (var writer in ImageWriters.All)
        foreach (var k in new[] { 0, 8, 64, 256, 1024, 4096 })
            data.Add(writer.Name, k);
        return data;
    }

    /// <summary>Exactly k where the format allows it; the fixed overheads (a TIFF IFD entry, a PNG chunk, WebP's VP8X) below that.</summary>
    private static int MinimumGrowth(ImageFormat format, byte[] file) => format switch
    {
        ImageFormat.Tiff => 12,
        ImageFormat.Png or ImageFormat.PngStored => 14,
        ImageFormat.Jpeg => 4,
        ImageFormat.WebP => file.AsSpan(12, 4).SequenceEqual("VP8X"u8) ? 8 : 26,
        _ => 0,
    };

    private static byte[] Decode(ImageFormat format, byte[] file, out int w, out int h) =>
        format == ImageFormat.WebP ? SkiaRgb(file, out w, out h) : ImageSharpRgb(file, out w, out h);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Inserted_metadata_keeps_the_pixels_and_adds_about_k_bytes(string writerName, int k)
    {
        var writer = ImageWriters.Get(writerName);
        foreach (var (image, seed) in new[] { (Gray(), 1), (Rgb(), 2), (Gray(3), 3) })
        {
            var file = writer.Write(image, new Random(seed));
            var inserted = MetadataInsertion.Insert(file, writer.Format, k, new Random(seed + 100));
            var growth = inserted.Length - file.Length;
            var expected = k == 0 ? 0 : Math.Max(k, MinimumGrowth(writer.Format, file));
            Assert.True(growth >= expected && growth <= expected + 1, $"{writerName} k={k}: grew by {growth}, expected {expected}");
            var before = Decode(writer.Format, file, out var w0, out var h0);
            var after = Decode(writer.Format, inserted, out var w1, out var h1);
            Assert.Equal((w0, h0), (w1, h1));
            Assert.True(before.AsSpan().SequenceEqual(after), $"{writerName} k={k} seed {seed}: pixels changed");
            if (writer.Format == ImageFormat.WebP)                                      // ImageSharp reads the extended layout too
                Assert.True(ImageSharpRgb(file, out _, out _).AsSpan().SequenceEqual(ImageSharpRgb(inserted, out _, out _)), $"{writerName} k={k}: ImageSharp pixels changed");
            if (!writer.Format.Equals(ImageFormat.WebP) && !writer.Format.Equals(ImageFormat.Jpeg))
                Assert.True(AsRgb(image).AsSpan().SequenceEqual(after), $"{writerName} k={k}: not the original pixels");
        }
    }

    [Theory]
    [InlineData("tiff-project")]
    [InlineData("tiff-libtiff")]
    [InlineData("tiff-imagesharp")]
    public void Tiff_insertion_also_decodes_with_libtiff_and_puts_the_text_before_the_pixels(string writerName)
    {
        var image = Gray();
        foreach (var seed in new[] { 1, 2, 3, 4 })
        {
            var file = ImageWriters.Get(writerName).Write(image, new Random(seed));
            var inserted = MetadataInsertion.Insert(file, ImageFormat.Tiff, 1024, new Random(seed));
            Assert.Equal(AsRgb(image), LibTiffRgb(inserted, out _, out _));
            // The first strip moved by at least the inserted text: the pixels start later than before.
            int Find(byte[] f) => f.AsSpan().IndexOf(image.Pixels.AsSpan(28 * 3, 84));
            Assert.True(Find(inserted) >= Find(file) + 1000, $"{writerName} seed {seed}: pixels at {Find(file)} then {Find(inserted)}");
        }
    }

    [Fact]
    public void Jpeg_insertion_over_65533_bytes_splits_into_several_comment_segments()
    {
        var file = ImageWriters.Get("jpeg-skia").Write(Gray(), new Random(1));
        var inserted = MetadataInsertion.Insert(file, ImageFormat.Jpeg, 200_000, new Random(1));
        Assert.Equal(file.Length + 200_000, inserted.Length);
        Assert.Equal(Decode(ImageFormat.Jpeg, file, out _, out _), Decode(ImageFormat.Jpeg, inserted, out _, out _));
        int comments = 0;
        for (var i = 0; i + 1 < inserted.Length; i++) if (inserted[i] == 0xFF && inserted[i + 1] == 0xFE) comments++;
        Assert.True(comments >= 4, $"{comments} COM markers");
    }

    [Fact]
    public void Png_insertion_is_a_text_chunk_right_after_ihdr_with_a_valid_crc()
    {
        var file = ImageWriters.Get("png-skia").Write(Gray(), new Random(1));
        var inserted = MetadataInsertion.Insert(file, ImageFormat.Png, 256, new Random(1));
        Assert.True(inserted.AsSpan(37, 4).SequenceEqual("tEXt"u8));
        int length = (inserted[33] << 24) | (inserted[34] << 16) | (inserted[35] << 8) | inserted[36];
        Assert.Equal(256 - 12, length);
        uint crc = PngCrc(inserted.AsSpan(37, 4 + length));
        uint stored = (uint)((inserted[41 + length] << 24) | (inserted[42 + length] << 16) | (inserted[43 + length] << 8) | inserted[44 + length]);
        Assert.Equal(crc, stored);
    }

    [Fact]
    public void Same_seed_same_bytes_and_bad_input_is_a_codec_exception()
    {
        var file = ImageWriters.Get("bmp-project").Write(Gray(), new Random(1));
        Assert.Equal(MetadataInsertion.Insert(file, ImageFormat.Bmp, 64, new Random(5)), MetadataInsertion.Insert(file, ImageFormat.Bmp, 64, new Random(5)));
        Assert.Throws<CodecException>(() => MetadataInsertion.Insert(file, ImageFormat.Png, 64, new Random(1)));
        Assert.Throws<CodecException>(() => MetadataInsertion.Insert(file, ImageFormat.FHwc, 64, new Random(1)));
        Assert.Throws<CodecException>(() => MetadataInsertion.Insert(file, ImageFormat.Bmp, -1, new Random(1)));
        Assert.Throws<CodecException>(() => MetadataInsertion.Insert(file[..20], ImageFormat.Tiff, 8, new Random(1)));
    }

    private static uint PngCrc(ReadOnlySpan<byte> bytes)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in bytes)
        {
            crc ^= b;
            for (var i = 0; i < 8; i++) crc = (crc & 1) != 0 ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
        }
        return crc ^ 0xFFFFFFFFu;
    }
}

/// <summary>The throughput figure the bench verb reports: positive for every writer.</summary>
public class WriterThroughputTests
{
    [Fact]
    public void Every_writer_has_a_positive_files_per_second_figure()
    {
        var figures = WriterThroughput.Measure(files: 3);
        Assert.Equal(ImageWriters.All.Select(w => w.Name), figures.Keys);
        Assert.All(figures.Values, v => Assert.True(v > 0 && double.IsFinite(v)));
    }
}

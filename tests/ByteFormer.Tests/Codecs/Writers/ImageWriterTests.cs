using ByteFormer.Codecs;
using ByteFormer.Codecs.Writers;
using static ByteFormer.Tests.Codecs.Writers.WriterTestImages;

namespace ByteFormer.Tests.Codecs.Writers;

/// <summary>Every writer in the pool: files decode (with another library) to the pixels, options vary with the seed, a seed repeats.</summary>
public class ImageWriterTests
{
    private static readonly int[] Seeds = [1, 2, 3, 4, 5, 6];

    public static TheoryData<string> WriterNames()
    {
        var data = new TheoryData<string>();
        foreach (var w in ImageWriters.All) data.Add(w.Name);
        return data;
    }

    private static bool Lossy(ImageFormat f) => f is ImageFormat.Jpeg or ImageFormat.WebP;

    [Theory]
    [MemberData(nameof(WriterNames))]
    public void Files_decode_to_the_same_pixels_with_an_independent_decoder(string name)
    {
        var writer = ImageWriters.Get(name);
        foreach (var image in new[] { Gray(), Rgb() })
        foreach (var seed in Seeds)
        {
            var file = writer.Write(image, new Random(seed));
            var decoded = Independent(name, writer.Format, file, out var w, out var h);
            Assert.Equal((image.Width, image.Height), (w, h));
            var expected = AsRgb(image);
            if (Lossy(writer.Format))
            {
                var error = MeanAbsError(expected, decoded);
                Assert.True(error < 10, $"{name} seed {seed} {image.Channels}ch: mean abs error {error:F2}");
            }
            else Assert.True(expected.AsSpan().SequenceEqual(decoded), $"{name} seed {seed} {image.Channels}ch: pixels differ");
        }
    }

    [Theory]
    [MemberData(nameof(WriterNames))]
    public void Options_vary_with_the_seed_and_repeat_with_it(string name)
    {
        var writer = ImageWriters.Get(name);
        foreach (var image in new[] { Gray(), Rgb() })
        {
            var files = Seeds.Select(s => writer.Write(image, new Random(s))).ToArray();
            var distinct = files.Select(Convert.ToHexString).Distinct().Count();
            // stb's BMP writer has one choice (24-bit or 32-bit); every other writer draws several options.
            int atLeast = name == "bmp-stb" ? 2 : Seeds.Length / 2;
            Assert.True(distinct >= atLeast, $"{name} {image.Channels}ch: only {distinct} distinct files from {Seeds.Length} seeds");
            Assert.Equal(files[0], writer.Write(image, new Random(Seeds[0])));
            Assert.Equal(files[^1], writer.Write(image, new Random(Seeds[^1])));
        }
    }

    [Fact]
    public void Stored_png_writers_write_only_stored_deflate_blocks_and_png_writers_compress()
    {
        foreach (var writer in ImageWriters.For(ImageFormat.PngStored))
        foreach (var seed in Seeds)
            Assert.True(PngZlib.OnlyStoredBlocks(writer.Write(Gray(), new Random(seed))), $"{writer.Name} seed {seed} compresses");
        foreach (var writer in ImageWriters.For(ImageFormat.Png))
            Assert.False(PngZlib.OnlyStoredBlocks(writer.Write(Gray(), new Random(1))), $"{writer.Name} writes stored blocks");
    }

    [Fact]
    public void The_project_bmp_writer_also_writes_an_indexed_palette_of_the_images_own_grays_as_netpbm_does()
    {
        // Pixel bytes that are palette indices (not the grays) are what netpbm's ppmtobmp writes, a layout the gray ramp
        // never shows: the seeds must reach it, and its files must decode to the same pixels.
        var writer = ImageWriters.Get("bmp-project");
        var image = Gray();
        int indexed = 0, padded = 0, shuffled = 0;
        for (var seed = 0; seed < 60; seed++)
        {
            var file = writer.Write(image, new Random(seed));
            int offset = BitConverter.ToInt32(file, 10), height = Math.Abs(BitConverter.ToInt32(file, 22));
            if (BitConverter.ToInt16(file, 28) != 8) continue;
            int colours = BitConverter.ToInt32(file, 46), header = BitConverter.ToInt32(file, 14);
            var ramp = Enumerable.Range(0, colours == 0 ? 256 : colours).All(i => file[14 + header + 4 * i] == i);
            if (ramp) continue;
            indexed++;
            // As many entries as the image has grays, or 256 (a count of 0 or 256) with black past them.
            int grays = image.Pixels.Distinct().Count(), entries = colours == 0 ? 256 : colours;
            Assert.True(entries == grays || entries == 256, $"seed {seed}: {entries} palette entries for {grays} grays");
            if (entries == 256) padded++;
            var table = Enumerable.Range(0, Math.Min(entries, grays)).Select(i => file[14 + header + 4 * i]).ToArray();
            if (!table.SequenceEqual(table.Order()) && !table.SequenceEqual(FirstAppearance(image))) shuffled++;
            var decoded = Independent(writer.Name, writer.Format, file, out _, out var h);
            Assert.Equal(height, h);
            Assert.True(AsRgb(image).AsSpan().SequenceEqual(decoded), $"seed {seed}: an indexed BMP decodes to other pixels");
            var inserted = MetadataInsertion.Insert(file, writer.Format, 1024, new Random(seed));
            Assert.True(AsRgb(image).AsSpan().SequenceEqual(Independent(writer.Name, writer.Format, inserted, out _, out _)),
                $"seed {seed}: an indexed BMP with 1,024 bytes of metadata decodes to other pixels");
        }
        Assert.True(indexed >= 5, $"only {indexed} of 60 seeds wrote an indexed palette");
        Assert.True(padded >= 1 && padded < indexed, $"{padded} of {indexed} indexed palettes padded to 256 entries");
        Assert.True(shuffled >= 1, "no indexed palette in an order other than sorted or first appearance");
    }

    /// <summary>The image's grays in order of first appearance, top row first.</summary>
    private static byte[] FirstAppearance(PixelImage image) => image.Pixels.Distinct().ToArray();

    [Fact]
    public void Tiff_writers_write_both_byte_orders_across_seeds()
    {
        foreach (var name in new[] { "tiff-project", "tiff-libtiff" })
        {
            var orders = Enumerable.Range(0, 12).Select(s => (char)ImageWriters.Get(name).Write(Gray(), new Random(s))[0]).ToHashSet();
            Assert.Equal(new HashSet<char> { 'I', 'M' }, orders);
        }
    }

    [Fact]
    public void The_pool_covers_every_file_format_with_several_writers()
    {
        foreach (var f in new[] { ImageFormat.Tiff, ImageFormat.Png, ImageFormat.PngStored, ImageFormat.Jpeg, ImageFormat.Bmp })
            Assert.True(ImageWriters.For(f).Count >= 3, $"{f}: {ImageWriters.For(f).Count} writers");
        Assert.True(ImageWriters.For(ImageFormat.WebP).Count >= 2);
        Assert.Equal(ImageWriters.All.Count, ImageWriters.All.Select(w => w.Name).Distinct().Count());
    }

    [Fact]
    public void Names_and_lists_parse()
    {
        Assert.Equal("png-stb", ImageWriters.Get("PNG-STB").Name);
        var e = Assert.Throws<CodecException>(() => ImageWriters.Get("png-gimp"));
        Assert.Contains("tiff-libtiff", e.Message);
        Assert.Equal(ImageWriters.All, ImageWriters.Parse("all"));
        Assert.Equal(ImageWriters.For(ImageFormat.Tiff), ImageWriters.Parse("tiff"));
        Assert.Equal(["jpeg-skia", "png-stored-project", "png-stored-skia", "png-stored-imagesharp"],
            ImageWriters.Parse(" jpeg-skia, png-stored ,jpeg-skia").Select(w => w.Name));
        Assert.Throws<CodecException>(() => ImageWriters.Parse("tiff,nope"));
        Assert.Throws<CodecException>(() => ImageWriters.Parse(" , "));
        Assert.All(ImageWriters.For(ImageFormat.WebP), w => Assert.Equal(ImageFormat.WebP, w.Format));
    }
}

/// <summary>A PNG's chunks, and whether its IDAT zlib stream is made only of stored deflate blocks (BTYPE 00).</summary>
internal static class PngZlib
{
    /// <summary>Each chunk's type and data, in file order.</summary>
    public static IEnumerable<(string Type, byte[] Data)> Chunks(byte[] png)
    {
        for (var at = 8; at + 8 <= png.Length;)
        {
            int length = (png[at] << 24) | (png[at + 1] << 16) | (png[at + 2] << 8) | png[at + 3];
            yield return (System.Text.Encoding.ASCII.GetString(png, at + 4, 4), png.AsSpan(at + 8, length).ToArray());
            at += 12 + length;
        }
    }

    public static bool OnlyStoredBlocks(byte[] png)
    {
        var d = Chunks(png).Where(c => c.Type == "IDAT").SelectMany(c => c.Data).ToArray();
        int pos = 2;                                                                // past the zlib header (no dictionary)
        while (true)
        {
            int header = d[pos] & 7;                                                // a stored block starts byte-aligned
            if (((header >> 1) & 3) != 0) return false;
            int len = d[pos + 1] | (d[pos + 2] << 8);
            pos += 5 + len;
            if ((header & 1) != 0) return true;
        }
    }
}

/// <summary>The options the pool promises show up in the files across seeds.</summary>
public class WriterOptionTests
{
    private static IEnumerable<byte[]> Files(string writer, int count = 40) =>
        Enumerable.Range(0, count).Select(s => ImageWriters.Get(writer).Write(WriterTestImages.Gray(), new Random(s)));

    private static bool Has(byte[] file, ReadOnlySpan<byte> bytes) => file.AsSpan().IndexOf(bytes) >= 0;

    [Theory]
    [InlineData("png-project")]
    [InlineData("png-stored-project")]
    [InlineData("png-imagesharp")]
    public void Png_writers_add_text_and_other_ancillary_chunks_on_some_seeds(string writer)
    {
        var files = Files(writer).ToArray();
        Assert.Contains(files, f => Has(f, "tEXt"u8) || Has(f, "iTXt"u8) || Has(f, "zTXt"u8));
        Assert.Contains(files, f => !Has(f, "tEXt"u8) && !Has(f, "iTXt"u8) && !Has(f, "zTXt"u8));
        Assert.Contains(files, f => Has(f, "pHYs"u8));
        Assert.Contains(files, f => f[25] == 2);                                    // gray pixels in an RGB colour type
    }

    [Theory]
    [InlineData("png-project")]
    [InlineData("png-stored-project")]
    public void Project_png_writes_the_chunks_other_programs_write_and_its_files_decode_to_the_same_pixels(string name)
    {
        // ImageMagick's PNGs carry gAMA, cHRM, bKGD and tIME before IDAT and its dates in tEXt after it; a model that
        // never saw such chunks read them 6.5 points worse than the same files stripped of them (docs/results.md).
        var writer = ImageWriters.Get(name);
        var before = new HashSet<string>();
        var after = 0;
        foreach (var image in new[] { WriterTestImages.Gray(), WriterTestImages.Rgb() })
            for (var seed = 0; seed < 80; seed++)
            {
                var file = writer.Write(image, new Random(seed));
                var chunks = PngZlib.Chunks(file).Select(c => c.Type).ToList();
                var idat = chunks.IndexOf("IDAT");
                before.UnionWith(chunks.Take(idat));
                if (chunks.Skip(idat).Any(c => c == "tEXt")) after++;
                var decoded = WriterTestImages.Independent(name, writer.Format, file, out _, out _);
                Assert.True(WriterTestImages.AsRgb(image).AsSpan().SequenceEqual(decoded), $"{name} seed {seed}: pixels differ");
            }
        Assert.Superset(new HashSet<string> { "gAMA", "cHRM", "bKGD", "sRGB", "sBIT", "pHYs", "tIME", "tEXt" }, before);
        Assert.InRange(after, 10, 150);
    }

    [Fact]
    public void Libjpeg_writes_progressive_and_baseline_files_with_comments_and_exif_on_some_seeds()
    {
        var files = Files("jpeg-libjpeg").ToArray();
        Assert.Contains(files, f => Has(f, [0xFF, 0xC2]));                           // SOF2: progressive
        Assert.Contains(files, f => Has(f, [0xFF, 0xC0]) || Has(f, [0xFF, 0xC1]));   // SOF0/1: sequential
        Assert.Contains(files, f => Has(f, [0xFF, 0xFE]));                           // COM
        Assert.Contains(files, f => Has(f, "Exif\0\0"u8));
    }

    [Fact]
    public void Bmp_project_draws_every_header_version_and_both_depths()
    {
        var files = Files("bmp-project").ToArray();
        Assert.Equal(new HashSet<int> { 40, 108, 124 }, files.Select(f => BitConverter.ToInt32(f, 14)).ToHashSet());
        Assert.Equal(new HashSet<int> { 8, 24 }, files.Select(f => (int)BitConverter.ToInt16(f, 28)).ToHashSet());
        Assert.Contains(files, f => BitConverter.ToInt32(f, 22) < 0);                // top-down rows
    }

    [Fact]
    public void Tiff_project_puts_the_ifd_before_and_after_the_pixels_and_uses_several_strips()
    {
        var files = Files("tiff-project").ToArray();
        uint Ifd(byte[] f) => f[0] == 'I' ? BitConverter.ToUInt32(f, 4) : (uint)((f[4] << 24) | (f[5] << 16) | (f[6] << 8) | f[7]);
        Assert.Contains(files, f => Ifd(f) == 8);
        Assert.Contains(files, f => Ifd(f) > 784);
        Assert.True(files.Select(f => f.Length).Distinct().Count() > 10, "file lengths hardly vary");
    }
}

using ByteFormer.Codecs;
using ByteFormer.Codecs.Writers;
using ByteFormer.Data;
using ByteFormer.Inference;

namespace ByteFormer.Tests.Codecs;

/// <summary>Reading an image's format and size from its header, and the notes a predictor gives from it.</summary>
public class ImageHeaderTests
{
    [Fact]
    public void Every_writer_s_files_give_their_format_and_size_from_the_header_alone()
    {
        var image = FashionMnist.Load("test", limit: 1).Images[0];
        var rgb = new PixelImage(13, 9, 3, Enumerable.Range(0, 13 * 9 * 3).Select(i => (byte)(i * 7)).ToArray());
        foreach (var writer in ImageWriters.All)
            for (var seed = 0; seed < 4; seed++)
                foreach (var (picture, inserted) in new[] { (image, 0), (rgb, 0), (image, 300) })
                {
                    var file = writer.Write(picture, new Random(seed));
                    if (inserted > 0) file = MetadataInsertion.Insert(file, writer.Format, inserted, new Random(seed));
                    var header = ImageHeader.TryRead(file);
                    Assert.NotNull(header);
                    var expected = writer.Format == ImageFormat.PngStored ? ImageFormat.Png : writer.Format;
                    Assert.True(header.Format == expected, $"{writer.Name}: {header.Format}");
                    Assert.True((header.Width, header.Height) == (picture.Width, picture.Height), $"{writer.Name} seed {seed}: {header.Width}×{header.Height}");
                }
    }

    [Fact]
    public void A_cut_or_foreign_header_never_throws()
    {
        var file = ImageEncoding.Parse("jpeg75").Encode(FashionMnist.Load("test", limit: 1).Images[0]);
        for (var n = 0; n < 40; n++) Assert.Equal(ImageFormat.Jpeg, ImageHeader.TryRead(file.AsSpan(0, Math.Max(3, n)))!.Format);
        Assert.Null(ImageHeader.TryRead("GIF89a"u8));
        Assert.Null(ImageHeader.TryRead([]));
        var tiff = ImageEncoding.Parse("tiff").Encode(FashionMnist.Load("test", limit: 1).Images[0]);
        Assert.Equal((0, 0), (ImageHeader.TryRead(tiff.AsSpan(0, 20))!.Width, ImageHeader.TryRead(tiff.AsSpan(0, 20))!.Height));
    }

    [Fact]
    public void A_predictor_notes_a_format_the_model_never_saw_and_an_image_of_another_size()
    {
        var contract = new InputContract("m", TrainedEncodings.Parse("tiff,png-stored"), "", 10_000, 8, (28, 28));
        var image = FashionMnist.Load("test", limit: 1).Images[0];
        Assert.Null(contract.Mismatch(ImageEncoding.Parse("tiff").Encode(image)));
        Assert.Null(contract.Mismatch(ImageEncoding.Parse("png").Encode(image)));          // PNG, compressed or not
        Assert.Contains("a JPEG file, a format the model never saw in training (it was trained on TIFF, PNG)",
            contract.Mismatch(ImageEncoding.Parse("jpeg75").Encode(image)));
        var big = new PixelImage(56, 40, 1, new byte[56 * 40]);
        Assert.Contains("a 56×40 image; the model was trained on 28×28 images", contract.Mismatch(ImageEncoding.Parse("tiff").Encode(big)));
        Assert.Contains("not a file of an image format", contract.Mismatch("hello"u8));
        // A model of raw pixels, or of files as they are, has no format to check.
        Assert.Null((contract with { Encodings = TrainedEncodings.Parse("fhwc") }).Mismatch("hello"u8));
        Assert.Null((contract with { Encodings = TrainedEncodings.None }).Mismatch("hello"u8));
    }

    // An 8-bit BMP of image's grays through a palette of its own grays in the given order, padded with black to 256
    // entries and biClrUsed 0 as netpbm's ppmtobmp writes it when padded is true.
    private static byte[] IndexedBmp(PixelImage image, IReadOnlyList<byte> grays, bool padded)
    {
        var file = BmpEncoder.Encode(image);                                   // 8-bit, the identity palette, pixels at 1,078
        var index = new byte[256];
        for (var i = 0; i < grays.Count; i++) index[grays[i]] = (byte)i;
        for (var i = 0; i < 256; i++)
        {
            var gray = i < grays.Count ? grays[i] : (byte)0;
            file[54 + 4 * i] = file[54 + 4 * i + 1] = file[54 + 4 * i + 2] = gray;
        }
        BitConverter.GetBytes(padded ? 0 : grays.Count).CopyTo(file, 46);
        for (var p = 1078; p < file.Length; p++) file[p] = index[file[p]];
        return file;
    }

    [Fact]
    public void A_predictor_notes_an_indexed_bmp_whose_palette_is_out_of_gray_order()
    {
        var contract = new InputContract("m", TrainedEncodings.Parse("tiff,bmp"), "", 10_000, 8, (28, 28));
        var image = FashionMnist.Load("test", limit: 1).Images[0];
        var sorted = image.Pixels.Distinct().Order().ToList();
        var shuffled = sorted.Take(1).Concat(sorted.Skip(1).OrderBy(g => (g * 37) % 101)).ToList();   // black first, as netpbm's
        Assert.Null(contract.Mismatch(BmpEncoder.Encode(image)));                                     // the identity palette
        Assert.Null(contract.Mismatch(IndexedBmp(image, sorted, padded: true)));
        Assert.Null(contract.Mismatch(IndexedBmp(image, sorted, padded: false)));
        Assert.Null(contract.Mismatch(ImageEncoding.Parse("bmp").Encode(new PixelImage(28, 28, 3, new byte[28 * 28 * 3]))));  // 24-bit
        foreach (var padded in new[] { true, false })
        {
            var file = IndexedBmp(image, shuffled, padded);
            Assert.Contains("an indexed BMP whose palette is not in gray order", contract.Mismatch(file));
            Assert.True(ImageHeader.HasUnorderedPalette(file));
            for (var n = 0; n < 1078; n += 7) ImageHeader.HasUnorderedPalette(file.AsSpan(0, n));           // cut: never throws
        }
        // Every writer of the pool writes gray-ordered palettes except bmp-project's shuffled and first-appearance ones.
        foreach (var writer in ImageWriters.All.Where(w => w.Format == ImageFormat.Bmp && w.Name != "bmp-project"))
            for (var seed = 0; seed < 8; seed++)
                Assert.False(ImageHeader.HasUnorderedPalette(writer.Write(image, new Random(seed))), $"{writer.Name} seed {seed}");
    }
}

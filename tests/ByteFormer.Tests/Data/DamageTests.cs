using System.Text.Json;
using ByteFormer.Codecs;
using ByteFormer.Data;
using ByteFormer.Robustness;
using ByteFormer.Tests.Cli;

namespace ByteFormer.Tests.Data;

/// <summary>Damaged files, the decoder of the decode-first baseline, and mixed-encoding data.</summary>
public class DamageTests
{
    private static readonly byte[] File100 = Enumerable.Range(0, 100).Select(i => (byte)i).ToArray();

    [Fact]
    public void A_cut_keeps_the_first_share_of_the_bytes_and_at_least_one()
    {
        Assert.Equal(File100[..90], new FileDamage(DamageKind.Cut, 0.9).Apply(File100, new Random(0)));
        Assert.Equal(File100, new FileDamage(DamageKind.Cut, 1).Apply(File100, new Random(0)));
        Assert.Single(new FileDamage(DamageKind.Cut, 0.001).Apply(File100, new Random(0)));
    }

    [Fact]
    public void A_flip_changes_exactly_its_share_of_the_bytes_in_place()
    {
        var damaged = new FileDamage(DamageKind.Flip, 0.05).Apply(File100, new Random(3));
        Assert.Equal(100, damaged.Length);
        Assert.Equal(5, damaged.Zip(File100).Count(p => p.First != p.Second));
        Assert.Equal(damaged, new FileDamage(DamageKind.Flip, 0.05).Apply(File100, new Random(3)));
        Assert.Equal(File100, new FileDamage(DamageKind.Flip, 0).Apply(File100, new Random(3)));
    }

    [Theory]
    [InlineData("tiff")]
    [InlineData("png")]
    [InlineData("png-stored")]
    [InlineData("fhwc")]
    public void The_decoder_gives_back_lossless_pixels_and_refuses_a_file_cut_in_half(string name)
    {
        var image = FashionMnist.Load("test", limit: 1).Images[0];
        var encoding = ImageEncoding.Parse(name);
        var file = encoding.Encode(image);
        Assert.Equal(image.Pixels, ImageDecoder.TryDecodeGray(file, encoding, 28, 28)!.Pixels);
        var half = new FileDamage(DamageKind.Cut, 0.5).Apply(file, new Random(0));
        var decoded = ImageDecoder.TryDecodeGray(half, encoding, 28, 28);
        // A lenient decoder may fill what is missing; it must never hand back the intact image.
        Assert.True(decoded is null || !decoded.Pixels.SequenceEqual(image.Pixels));
        Assert.Null(ImageDecoder.TryDecodeGray([1, 2, 3], encoding, 28, 28));
    }

    [Fact]
    public void The_decoder_turns_any_damaged_tiff_into_an_image_or_null_never_an_exception()
    {
        // The damage experiment's own files (seed 0, 2% of the bytes changed, first 10,000 test images): among
        // them are TIFFs whose broken header made ImageSharp divide by zero. A decoder failure means "no image".
        var images = FashionMnist.Load("test");
        var encoding = ImageEncoding.Parse("tiff");
        var damage = new FileDamage(DamageKind.Flip, 0.02);
        var decoded = 0;
        for (var i = 0; i < images.Images.Count; i++)
        {
            var file = damage.Apply(encoding.Encode(images.Images[i]), new Random(Seeds.Mix(0, i, (long)damage.Kind, (long)(damage.Fraction * 1e9))));
            if (ImageDecoder.TryDecodeGray(file, encoding, 28, 28) is not null) decoded++;
        }
        Assert.InRange(decoded, 1, images.Images.Count - 1);
    }

    [Fact]
    public void A_mixture_of_encodings_draws_each_and_is_repeatable()
    {
        var images = FashionMnist.Load("test", limit: 64);
        var ds = new EncodedImageDataset(images, [ImageEncoding.Parse("tiff"), ImageEncoding.Parse("png-stored")], null, 1, "mix");
        var lengths = Enumerable.Range(0, 64).Select(i => ds.Bytes(i, 0).Length).ToArray();
        Assert.Contains(918, lengths);                                  // TIFF
        Assert.Contains(880, lengths);                                  // stored PNG
        Assert.Equal(lengths, Enumerable.Range(0, 64).Select(i => ds.Bytes(i, 0).Length));
        Assert.Contains(Enumerable.Range(0, 64), i => ds.EncodingOf(i, 0) != ds.EncodingOf(i, 1));
    }

}

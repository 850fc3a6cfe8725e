using ByteFormer.Codecs;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SkiaSharp;

namespace ByteFormer.Tests.Codecs;

/// <summary>Encoders decode back with independent decoders (ImageSharp, SkiaSharp): lossless ones exactly.</summary>
public class ImageEncoderTests
{
    private static PixelImage Gradient(int w, int h, int channels, int seed = 1)
    {
        var rng = new Random(seed);
        var pixels = new byte[w * h * channels];
        for (var i = 0; i < pixels.Length; i++) pixels[i] = (byte)((i * 7 + rng.Next(40)) % 256);
        return new PixelImage(w, h, channels, pixels);
    }

    private static byte[] DecodeWithImageSharp(byte[] file, int channels)
    {
        if (channels == 1)
        {
            using var gray = Image.Load<L8>(file);
            var buffer = new byte[gray.Width * gray.Height];
            gray.CopyPixelDataTo(buffer);
            return buffer;
        }
        using var rgb = Image.Load<Rgb24>(file);
        var bytes = new byte[rgb.Width * rgb.Height * 3];
        rgb.CopyPixelDataTo(bytes);
        return bytes;
    }

    public static TheoryData<string, int, int, int> LosslessCases()
    {
        var data = new TheoryData<string, int, int, int>();
        foreach (var enc in new[] { "tiff", "png-stored", "png", "bmp" })
        foreach (var (w, h) in new[] { (1, 1), (7, 5), (28, 28), (47, 8) })
        foreach (var c in new[] { 1, 3 })
            data.Add(enc, w, h, c);
        return data;
    }

    [Theory]
    [MemberData(nameof(LosslessCases))]
    public void Lossless_encodings_decode_to_the_same_pixels(string encoding, int w, int h, int channels)
    {
        var image = Gradient(w, h, channels);
        var file = ImageEncoding.Parse(encoding).Encode(image);
        Assert.Equal(image.Pixels, DecodeWithImageSharp(file, channels));
    }

    [Fact]
    public void Tiff_and_stored_png_lengths_depend_only_on_the_size()
    {
        // byteformer.md §3.2: PIL's uncompressed TIFF of 224×224 RGB is 150,668 bytes (a 140-byte header).
        Assert.Equal(150_668, ImageEncoding.Parse("tiff").Encode(Gradient(224, 224, 3)).Length);
        Assert.Equal(918, ImageEncoding.Parse("tiff").Encode(Gradient(28, 28, 1)).Length);
        var a = ImageEncoding.Parse("png-stored").Encode(Gradient(28, 28, 1, seed: 1)).Length;
        var b = ImageEncoding.Parse("png-stored").Encode(Gradient(28, 28, 1, seed: 2)).Length;
        Assert.Equal(a, b);
        Assert.True(ImageEncoding.Parse("png").Encode(new PixelImage(28, 28, 1, new byte[784])).Length < a / 4);
    }

    [Fact]
    public void Raw_layouts_are_interleaved_and_planar()
    {
        var image = new PixelImage(2, 1, 3, [1, 2, 3, 4, 5, 6]);
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5, 6 }, ImageEncoding.Parse("fhwc").Encode(image));
        Assert.Equal(new byte[] { 1, 4, 2, 5, 3, 6 }, ImageEncoding.Parse("fchw").Encode(image));
    }

    [Theory]
    [InlineData("jpeg75", 1, 12.0)]
    [InlineData("jpeg95", 3, 8.0)]
    [InlineData("webp80", 3, 20.0)]
    public void Lossy_encodings_decode_close_to_the_pixels(string encoding, int channels, double maxMeanError)
    {
        var image = new PixelImage(28, 28, channels, Enumerable.Range(0, 28 * 28 * channels).Select(i => (byte)(i / channels % 28 * 9)).ToArray());
        var file = ImageEncoding.Parse(encoding).Encode(image);
        using var bitmap = SKBitmap.Decode(file);
        Assert.Equal(28, bitmap.Width);
        double error = 0;
        for (var y = 0; y < 28; y++)
        for (var x = 0; x < 28; x++)
        {
            var p = bitmap.GetPixel(x, y);
            var src = (y * 28 + x) * channels;
            error += channels == 1 ? Math.Abs(p.Red - image.Pixels[src]) : Math.Abs(p.Green - image.Pixels[src + 1]);
        }
        Assert.True(error / 784 < maxMeanError, $"mean error {error / 784:F1}");
    }

    [Fact]
    public void Encoding_names_round_trip_and_bad_names_are_refused()
    {
        foreach (var name in new[] { "fhwc", "fchw", "tiff", "png-stored", "png", "jpeg60", "bmp", "webp75" })
            Assert.Equal(name, ImageEncoding.Parse(name).ToString());
        Assert.Equal(100, ImageEncoding.Parse("jpeg", 100).Quality);
        Assert.Contains("unknown image encoding", Assert.Throws<CodecException>(() => ImageEncoding.Parse("gif")).Message);
        Assert.Throws<CodecException>(() => ImageEncoding.Parse("jpeg101"));
    }
}

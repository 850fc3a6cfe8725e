using ByteFormer.Codecs;

namespace ByteFormer.Data;

/// <summary>
/// Pixel-space augmentation applied before encoding (byteformer.md §3.5, fitted to 28×28 gray): random crop
/// after zero padding, horizontal flip, random erasing with value 0 (torchvision's defaults: area 2–33%,
/// aspect 0.3–3.3). Each sample draws from its own seeded generator, so an epoch is reproducible.
/// </summary>
/// <param name="CropPadding">Zero padding p on each side before the crop: the image shifts by up to ±p pixels each way; 0 turns cropping off.</param>
/// <param name="FlipProbability">Chance of a horizontal flip.</param>
/// <param name="EraseProbability">Chance of random erasing (one rectangle set to 0).</param>
public sealed record ImageAugmentation(int CropPadding = 2, double FlipProbability = 0.5, double EraseProbability = 0.25)
{
    /// <summary>No augmentation: <see cref="Apply"/> returns a copy of the image.</summary>
    public static ImageAugmentation None { get; } = new(0, 0, 0);

    /// <summary>Crop and flip without random erasing: for short budgets, where erasing costs more accuracy than it buys.</summary>
    public static ImageAugmentation Light { get; } = new(EraseProbability: 0);

    /// <summary>A new augmented image of the same size; every random choice comes from <paramref name="rng"/>.</summary>
    public PixelImage Apply(PixelImage image, Random rng)
    {
        int w = image.Width, h = image.Height, c = image.Channels;
        var src = image.Pixels;
        var dst = new byte[src.Length];
        int dx = CropPadding > 0 ? rng.Next(-CropPadding, CropPadding + 1) : 0;
        int dy = CropPadding > 0 ? rng.Next(-CropPadding, CropPadding + 1) : 0;
        var flip = rng.NextDouble() < FlipProbability;
        for (var y = 0; y < h; y++)
        {
            var sy = y + dy;
            if (sy < 0 || sy >= h) continue;
            for (var x = 0; x < w; x++)
            {
                var sx = (flip ? w - 1 - x : x) + dx;
                if (sx < 0 || sx >= w) continue;
                Buffer.BlockCopy(src, (sy * w + sx) * c, dst, (y * w + x) * c, c);
            }
        }
        if (rng.NextDouble() < EraseProbability) Erase(dst, w, h, c, rng);
        return new PixelImage(w, h, c, dst);
    }

    private static void Erase(byte[] pixels, int w, int h, int c, Random rng)
    {
        for (var attempt = 0; attempt < 10; attempt++)
        {
            var area = w * h * (0.02 + rng.NextDouble() * (0.33 - 0.02));
            var logRatio = Math.Log(0.3) + rng.NextDouble() * (Math.Log(3.3) - Math.Log(0.3));
            var ratio = Math.Exp(logRatio);
            int eh = (int)Math.Round(Math.Sqrt(area * ratio)), ew = (int)Math.Round(Math.Sqrt(area / ratio));
            if (eh >= h || ew >= w || eh < 1 || ew < 1) continue;
            int y0 = rng.Next(h - eh + 1), x0 = rng.Next(w - ew + 1);
            for (var y = y0; y < y0 + eh; y++) Array.Clear(pixels, (y * w + x0) * c, ew * c);
            return;
        }
    }
}

namespace ByteFormer.Codecs;

/// <summary>An 8-bit image, pixels row-major with channels interleaved (HWC): 1 channel gray, 3 RGB.</summary>
public sealed record PixelImage
{
    /// <summary>An image of <paramref name="width"/> × <paramref name="height"/> pixels of <paramref name="channels"/> channels.</summary>
    /// <param name="width">Pixels per row (positive).</param>
    /// <param name="height">Rows (positive).</param>
    /// <param name="channels">1 (gray) or 3 (RGB).</param>
    /// <param name="pixels">width · height · channels bytes, HWC; kept, not copied.</param>
    /// <exception cref="ArgumentException">A size, channel count or pixel count that does not fit.</exception>
    public PixelImage(int width, int height, int channels, byte[] pixels)
    {
        if (width <= 0 || height <= 0) throw new ArgumentException($"image size {width}x{height} must be positive");
        if (channels is not (1 or 3)) throw new ArgumentException($"{channels} channels; only 1 (gray) and 3 (RGB) are supported");
        if (pixels.Length != width * height * channels)
            throw new ArgumentException($"{pixels.Length} bytes for a {width}x{height}x{channels} image");
        (Width, Height, Channels, Pixels) = (width, height, channels, pixels);
    }

    /// <summary>Pixels per row.</summary>
    public int Width { get; }
    /// <summary>Rows.</summary>
    public int Height { get; }
    /// <summary>1 (gray) or 3 (RGB).</summary>
    public int Channels { get; }

    /// <summary>HWC bytes.</summary>
    public byte[] Pixels { get; }

    /// <summary>The pixels as opaque RGBA, 4 bytes a pixel (gray copied to R, G and B).</summary>
    public byte[] ToRgba()
    {
        var rgba = new byte[Width * Height * 4];
        for (int i = 0, j = 0; j < rgba.Length; i += Channels, j += 4)
        {
            rgba[j] = Pixels[i];
            rgba[j + 1] = Pixels[i + (Channels == 3 ? 1 : 0)];
            rgba[j + 2] = Pixels[i + (Channels == 3 ? 2 : 0)];
            rgba[j + 3] = 255;
        }
        return rgba;
    }
}

namespace ByteFormer.Codecs;

/// <summary>An 8-bit image, pixels row-major with channels interleaved (HWC): 1 channel gray, 3 RGB.</summary>
public sealed record PixelImage
{
    public PixelImage(int width, int height, int channels, byte[] pixels)
    {
        if (width <= 0 || height <= 0) throw new ArgumentException($"image size {width}x{height} must be positive");
        if (channels is not (1 or 3)) throw new ArgumentException($"{channels} channels; only 1 (gray) and 3 (RGB) are supported");
        if (pixels.Length != width * height * channels)
            throw new ArgumentException($"{pixels.Length} bytes for a {width}x{height}x{channels} image");
        (Width, Height, Channels, Pixels) = (width, height, channels, pixels);
    }

    public int Width { get; }
    public int Height { get; }
    public int Channels { get; }

    /// <summary>HWC bytes.</summary>
    public byte[] Pixels { get; }
}

namespace ByteFormer.Codecs;

/// <summary>fCHW: the planar layout of the reference's raw encoding.</summary>
public static class RawEncoder
{
    /// <summary>The pixels of <paramref name="image"/> reordered from HWC to CHW: all of channel 0, then 1, then 2.</summary>
    public static byte[] Planar(PixelImage image)
    {
        int plane = image.Width * image.Height, c = image.Channels;
        var output = new byte[image.Pixels.Length];
        for (var i = 0; i < plane; i++)
            for (var ch = 0; ch < c; ch++)
                output[ch * plane + i] = image.Pixels[i * c + ch];
        return output;
    }
}

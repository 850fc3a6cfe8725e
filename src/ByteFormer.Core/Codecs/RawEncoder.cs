namespace ByteFormer.Codecs;

/// <summary>fCHW: the planar layout of the reference's raw encoding.</summary>
public static class RawEncoder
{
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

using System.Diagnostics;

namespace ByteFormer.Codecs.Writers;

/// <summary>How fast each writer makes files, for the <c>bench</c> verb: one thread, 28×28 gray images.</summary>
public static class WriterThroughput
{
    /// <summary>
    /// Files per second of each writer on the calling thread: a few warm-up files, then <paramref name="files"/>
    /// files of a 28×28 gray Fashion-MNIST-like image, options drawn from one seeded <see cref="Random"/> per writer.
    /// </summary>
    /// <param name="files">Files timed per writer (at least 1).</param>
    /// <param name="writers">The writers to time; all of them when null.</param>
    /// <returns>Writer name to files per second, in the writers' order.</returns>
    public static IReadOnlyDictionary<string, double> Measure(int files = 500, IEnumerable<IImageWriter>? writers = null)
    {
        if (files < 1) throw new ArgumentOutOfRangeException(nameof(files), files, "at least one file");
        var image = SampleImage();
        var result = new Dictionary<string, double>();
        foreach (var writer in writers ?? ImageWriters.All)
        {
            var random = new Random(1);
            for (var i = 0; i < Math.Min(10, files); i++) writer.Write(image, random);
            long sink = 0;
            var clock = Stopwatch.StartNew();
            for (var i = 0; i < files; i++) sink += writer.Write(image, random).Length;
            clock.Stop();
            GC.KeepAlive(sink);
            result[writer.Name] = files / Math.Max(clock.Elapsed.TotalSeconds, 1e-9);
        }
        return result;
    }

    /// <summary>A 28×28 gray image like a Fashion-MNIST item: dark background, a textured bright shape.</summary>
    internal static PixelImage SampleImage()
    {
        var random = new Random(28);
        var pixels = new byte[28 * 28];
        for (var y = 0; y < 28; y++)
        for (var x = 0; x < 28; x++)
            if (Math.Abs(x - 14) < 9 && y is > 2 and < 26) pixels[y * 28 + x] = (byte)(150 + random.Next(100));
        return new PixelImage(28, 28, 1, pixels);
    }
}

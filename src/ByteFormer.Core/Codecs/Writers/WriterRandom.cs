using System.Text;

namespace ByteFormer.Codecs.Writers;

/// <summary>Random metadata values of the kinds real files carry (program names, dates, descriptions).</summary>
internal static class WriterRandom
{
    private static readonly string[] Programs =
        ["GIMP 2.10.34", "Adobe Photoshop 24.1 (Windows)", "ImageMagick 7.1.1-15", "Paint.NET 5.0.9", "darktable 4.4.2",
         "Pillow", "libvips 8.14", "Microsoft Windows Photo Viewer", "Preview", "XnView MP 1.5", "scanimage", "Krita 5.2"];
    private static readonly string[] Words =
        ["image", "scan", "fashion", "sample", "item", "photo", "catalogue", "front", "gray", "copy", "export", "page", "test"];

    public static bool Chance(this Random random, double p) => random.NextDouble() < p;

    public static T Pick<T>(this Random random, IReadOnlyList<T> items) => items[random.Next(items.Count)];

    /// <summary>A plausible ASCII string of exactly <paramref name="length"/> printable characters.</summary>
    public static string Text(this Random random, int length)
    {
        var sb = new StringBuilder(length + 16);
        while (sb.Length < length)
        {
            if (sb.Length > 0) sb.Append(random.Chance(0.1) ? ", " : " ");
            sb.Append(random.Chance(0.15) ? random.Next(0, 100000).ToString() : random.Pick(Words));
        }
        return sb.ToString(0, length);
    }

    /// <summary>A text of a random length, mostly short, sometimes long (a few hundred characters).</summary>
    public static string SomeText(this Random random) => random.Text(random.Chance(0.8) ? random.Next(1, 48) : random.Next(48, 600));

    public static string Program(this Random random) => random.Chance(0.7) ? random.Pick(Programs) : random.Text(random.Next(3, 40));

    public static DateTime Date(this Random random) =>
        new DateTime(2000, 1, 1).AddSeconds(random.NextInt64(0, 26L * 365 * 24 * 3600));

    /// <summary>TIFF/EXIF date, "YYYY:MM:DD HH:MM:SS" (19 characters).</summary>
    public static string ExifDate(this Random random) => random.Date().ToString("yyyy:MM:dd HH:mm:ss");

    /// <summary>A resolution in dots per inch that real files show.</summary>
    public static int Dpi(this Random random) => random.Pick(new[] { 72, 96, 150, 300, 600, 1 + random.Next(1200) });

    /// <summary>The gray image as RGB with three equal channels (for writers drawing an RGB colour type for gray pixels).</summary>
    public static byte[] GrayToRgb(byte[] gray)
    {
        var rgb = new byte[gray.Length * 3];
        for (var i = 0; i < gray.Length; i++) rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = gray[i];
        return rgb;
    }
}

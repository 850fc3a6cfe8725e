using System.Text;
using ByteFormer.Codecs;
using ByteFormer.Codecs.Audio;

namespace ByteFormer.Tests.Newcomer;

/// <summary>
/// A newcomer's first data set: three classes of files that differ in their first bytes (plain text, PNG icons,
/// WAV clips), in <c>train/&lt;class&gt;/</c> and <c>test/&lt;class&gt;/</c>. Every file is different (seeded), and
/// their lengths vary as real files' do.
/// </summary>
internal static class ThreeKindsFolder
{
    private static readonly string[] Words =
        "the a of to and in is it you that he was for on are with as his they be at one have this from or had by word but what some we can out other were all there when up use your how said an each she which do their time if will way about many then them write would like so these her long make thing see him two has look more day could go come did number sound no most people my over know water than call first who may down side been now find".Split(' ');

    /// <summary>Writes the folder: <paramref name="trainPerClass"/> and <paramref name="testPerClass"/> files per class.</summary>
    public static void Create(string root, int trainPerClass = 80, int testPerClass = 20, int seed = 1)
    {
        var random = new Random(seed);
        foreach (var (split, count) in new[] { ("train", trainPerClass), ("test", testPerClass) })
            for (var i = 0; i < count; i++)
            {
                Write(root, split, "text", $"note{i:D3}.txt", Text(random));
                Write(root, split, "icon", $"icon{i:D3}.png", Icon(random));
                Write(root, split, "sound", $"clip{i:D3}.wav", Clip(random));
            }
    }

    private static void Write(string root, string split, string label, string name, byte[] bytes)
    {
        var folder = Path.Combine(root, split, label);
        Directory.CreateDirectory(folder);
        File.WriteAllBytes(Path.Combine(folder, name), bytes);
    }

    private static byte[] Text(Random random)
    {
        var text = new StringBuilder();
        var words = random.Next(20, 200);
        for (var w = 0; w < words; w++)
        {
            text.Append(Words[random.Next(Words.Length)]);
            text.Append(random.Next(12) == 0 ? ".\n" : " ");
        }
        return Encoding.UTF8.GetBytes(text.ToString());
    }

    private static byte[] Icon(Random random)
    {
        // A filled shape on a background, 16 to 32 pixels square, RGB, compressed as PNG.
        var size = random.Next(16, 33);
        var pixels = new byte[size * size * 3];
        var (background, foreground) = (Colour(random), Colour(random));
        int cx = random.Next(size), cy = random.Next(size), r = random.Next(3, size / 2 + 1);
        for (var y = 0; y < size; y++)
            for (var x = 0; x < size; x++)
            {
                var inside = (x - cx) * (x - cx) + (y - cy) * (y - cy) <= r * r;
                (inside ? foreground : background).CopyTo(pixels, (y * size + x) * 3);
            }
        return PngEncoder.Encode(new PixelImage(size, size, 3, pixels), compress: true);
    }

    private static byte[] Colour(Random random) => [(byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256)];

    private static byte[] Clip(Random random)
    {
        // A tone with a little noise, 0.02 to 0.1 s at 8 or 16 kHz, 16-bit (a click, a beep).
        var rate = random.Next(2) == 0 ? 8000 : 16000;
        var samples = new float[(int)(rate * (0.02 + random.NextDouble() * 0.08))];
        var frequency = 200 + random.NextDouble() * 1800;
        for (var i = 0; i < samples.Length; i++)
            samples[i] = (float)(0.5 * Math.Sin(2 * Math.PI * frequency * i / rate) + 0.05 * (random.NextDouble() - 0.5));
        return WavCodec.Encode(new AudioClip(samples, rate), WavSampleFormat.Int16);
    }
}

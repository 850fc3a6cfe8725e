using System.Security.Cryptography;
using System.Text;

namespace ByteFormer.Data.Speech;

/// <summary>One synthetic "speaker": a speech engine and one of its voices (an espeak-ng accent+variant, a flite or festival voice).</summary>
/// <param name="Engine">The speech engine: <see cref="Espeak"/>, <see cref="Flite"/> or <see cref="Festival"/>.</param>
/// <param name="Name">The voice as the engine names it: <c>accent+variant</c> for espeak-ng, e.g. <c>awb</c> for flite, <c>kal_diphone</c> for festival.</param>
public sealed record SynthVoice(string Engine, string Name)
{
    /// <summary><c>engine:name</c>, e.g. <c>flite:awb</c>; the text <see cref="Hash"/> is taken from.</summary>
    public string Id => $"{Engine}:{Name}";

    /// <summary>Eight hex digits standing for the speaker in file names, as Speech Commands' speaker hashes.</summary>
    public string Hash => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Id)))[..8];

    /// <summary>The engine names <see cref="Engine"/> takes: espeak-ng, flite and festival.</summary>
    public const string Espeak = "espeak-ng", Flite = "flite", Festival = "festival";

    private static readonly string[] EspeakAccents =
        ["en-us", "en-gb", "en-gb-scotland", "en-gb-x-gbclan", "en-gb-x-rp", "en-gb-x-gbcwmd", "en-029", "en-us-nyc"];

    // Variants that whisper, croak or sound like a robot: dropped (datasets.md §3).
    private static readonly HashSet<string> OddVariants = new(StringComparer.OrdinalIgnoreCase)
    {
        "whisper", "whisperf", "croak", "Demonic", "UniRobot", "anikaRobot", "robosoft", "robosoft2", "robosoft3", "robosoft4",
        "robosoft5", "robosoft6", "robosoft7", "robosoft8", "Tweaky", "kaukovalta",
    };

    private const string EspeakVariantDir = "/usr/lib/x86_64-linux-gnu/espeak-ng-data/voices/!v";

    /// <summary>Every voice of every installed engine, in a fixed order. Engines that are not installed give none.</summary>
    public static IReadOnlyList<SynthVoice> Installed()
    {
        var voices = new List<SynthVoice>();
        if (Directory.Exists(EspeakVariantDir))
        {
            var variants = Directory.GetFiles(EspeakVariantDir).Select(Path.GetFileName).OfType<string>()
                .Where(v => !OddVariants.Contains(v) && !v.Contains(' ')).Order(StringComparer.Ordinal).ToList();
            foreach (var accent in EspeakAccents)
                foreach (var variant in variants)
                    voices.Add(new SynthVoice(Espeak, $"{accent}+{variant}"));
        }
        if (File.Exists("/usr/bin/flite"))
            voices.AddRange(new[] { "kal16", "awb", "rms", "slt" }.Select(v => new SynthVoice(Flite, v)));
        foreach (var (dir, name) in new[] { ("english/kal_diphone", "kal_diphone"), ("english/ked_diphone", "ked_diphone"), ("us/cmu_us_slt_arctic_hts", "cmu_us_slt_arctic_hts") })
            if (Directory.Exists(Path.Combine("/usr/share/festival/voices", dir))) voices.Add(new SynthVoice(Festival, name));
        return voices;
    }
}

using System.Security.Cryptography;
using ByteFormer.Codecs.Audio;
using ByteFormer.Data.Speech;
using ByteFormer.Tests.Cli;

namespace ByteFormer.Tests.Audio;

public class SpeechSynthTests
{
    private static readonly SpeechSynthOptions Small = new() { PerWord = 4, Words = ["yes", "go"], Seed = 11, Jobs = 2, NoiseSeconds = 2 };

    private static Dictionary<string, string> Digests(string root) =>
        Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(root, f), f => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f))));

    [Fact]
    public void The_same_seed_gives_byte_identical_sets_in_speech_commands_layout()
    {
        using var dir = new TempDir();
        SpeechSynthesizer.Generate(dir.File("a"), Small);
        SpeechSynthesizer.Generate(dir.File("b"), Small);
        var a = Digests(dir.File("a"));
        Assert.Equal(a, Digests(dir.File("b")));
        var clips = a.Keys.Where(k => k.EndsWith(".wav") && !k.StartsWith("_")).ToList();
        Assert.Equal(8, clips.Count);
        Assert.All(clips, c => Assert.Matches(@"^(yes|go)/[0-9a-f]{8}_nohash_\d+\.wav$", c));
        foreach (var clip in clips)
        {
            var audio = WavCodec.Decode(File.ReadAllBytes(dir.File("a/" + clip)));
            Assert.Equal((16000, 16000), (audio.SampleRate, audio.Samples.Length));
            Assert.True(audio.Samples.Max(Math.Abs) > 0.01, $"{clip} is silent");
        }
        Assert.Equal(4, Directory.GetFiles(dir.File($"a/{SpeechCommandsWords.BackgroundNoise}")).Length);
        Assert.False(Directory.Exists(dir.File("a.partial")));

        SpeechSynthesizer.Generate(dir.File("c"), Small with { Seed = 12 });
        Assert.NotEqual(a.Where(kv => kv.Key.EndsWith(".wav")).Select(kv => kv.Value).Order(),
            Digests(dir.File("c")).Where(kv => kv.Key.EndsWith(".wav")).Select(kv => kv.Value).Order());
    }

    [Fact]
    public void Lists_hold_out_whole_voices()
    {
        var options = new SpeechSynthOptions { PerWord = 400, Words = SpeechCommandsWords.All, Seed = 1 };
        var plans = SpeechSynthesizer.Plan(options, SynthVoice.Installed());
        var splitsPerSpeaker = plans.GroupBy(p => p.Voice.Hash).Select(g => g.Select(p => SpeechSynthesizer.SplitOf(p.Voice, options)).Distinct().Count());
        Assert.All(splitsPerSpeaker, n => Assert.Equal(1, n));
        var test = plans.Count(p => SpeechSynthesizer.SplitOf(p.Voice, options) == "test") / (double)plans.Count;
        Assert.InRange(test, 0.05, 0.3);
        Assert.Equal(plans.Count, plans.Select(p => p.RelativePath).Distinct().Count());
        Assert.True(plans.Select(p => p.Voice.Engine).Distinct().Count() >= 3);
        // Two recorded speakers are held out for test; the others train (validation holds espeak-ng voices only).
        var recorded = plans.Where(p => p.Voice.Engine != SynthVoice.Espeak).Select(p => p.Voice).DistinctBy(v => v.Id).ToList();
        Assert.Equal(["festival:ked_diphone", "flite:awb"], recorded.Where(v => SpeechSynthesizer.SplitOf(v, options) == "test").Select(v => v.Id).Order());
        Assert.DoesNotContain(recorded, v => SpeechSynthesizer.SplitOf(v, options) == "validation");
        Assert.Contains(recorded, v => v.Id == "flite:rms" && SpeechSynthesizer.SplitOf(v, options) == "train");
    }

    [Fact]
    public void A_missing_sox_names_the_package_and_an_existing_folder_is_refused()
    {
        using var dir = new TempDir();
        var e = Assert.Throws<ByteFormerException>(() => SpeechSynthesizer.Generate(dir.File("x"), Small with { SearchPath = dir.Path }));
        Assert.Contains("install Debian's 'sox'", e.Message);
        Directory.CreateDirectory(dir.File("exists"));
        Assert.Contains("already exists", Assert.Throws<ByteFormerException>(() => SpeechSynthesizer.Generate(dir.File("exists"), Small)).Message);
        CliRunner.AssertCleanFailure(CliRunner.Run("data", "speech-synth", "--out", dir.File("y"), "--words", "yes,banana"), "not Speech Commands words: banana");
    }
}

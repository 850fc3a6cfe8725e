using ByteFormer.Codecs.Audio;
using ByteFormer.Data.Speech;

namespace ByteFormer.Tests.Cli;

/// <summary><c>byteformer data audio</c>: WAV clips re-encoded as a Speech Commands model reads them.</summary>
public class DataAudioCommandTests
{
    private static byte[] Tone(int rate, int samples) => WavCodec.Encode(
        new AudioClip(Enumerable.Range(0, samples).Select(i => 0.3f * MathF.Sin(i * 0.05f)).ToArray(), rate), WavSampleFormat.Int16);

    [Fact]
    public void Clips_come_out_one_second_long_in_the_model_s_encoding_as_the_data_set_would_encode_them()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("short.wav"), Tone(16000, 7000));
        File.WriteAllBytes(dir.File("long22k.wav"), Tone(22050, 30000));
        var r = CliRunner.Run("data", "audio", dir.File("short.wav"), dir.File("long22k.wav"), "--encoding", "wav-int16@8k", "--out", dir.File("out"));
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("Wrote 2 wav-int16@8k files", r.Out);
        var encoded = File.ReadAllBytes(dir.File("out/short.wav"));
        Assert.Equal(16_044, encoded.Length);
        Assert.Equal(16_044, new FileInfo(dir.File("out/long22k.wav")).Length);
        var expected = AudioEncoding.Parse("wav-int16@8k").Encode(SpeechCommandsDataset.AsTestClip(WavCodec.Decode(Tone(16000, 7000))));
        Assert.Equal(expected, encoded);
    }

    [Fact]
    public void A_broken_clip_stops_it_before_anything_is_written_and_nothing_is_overwritten()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("good.wav"), Tone(16000, 16000));
        File.WriteAllBytes(dir.File("bad.wav"), "RIFF...."u8.ToArray());
        var r = CliRunner.Run("data", "audio", dir.File("good.wav"), dir.File("bad.wav"), "--encoding", "mulaw@8k", "--out", dir.File("out"));
        CliRunner.AssertCleanFailure(r, "bad.wav");
        Assert.False(Directory.Exists(dir.File("out")));

        Assert.Equal(0, CliRunner.Run("data", "audio", dir.File("good.wav"), "--encoding", "mulaw@8k", "--out", dir.File("out")).ExitCode);
        var before = File.ReadAllBytes(dir.File("out/good.wav"));
        r = CliRunner.Run("data", "audio", dir.File("good.wav"), "--encoding", "wav-uint8", "--out", dir.File("out"));
        CliRunner.AssertCleanFailure(r, "already exists");
        Assert.Equal(before, File.ReadAllBytes(dir.File("out/good.wav")));
    }
}

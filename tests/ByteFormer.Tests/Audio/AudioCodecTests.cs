using System.Diagnostics;
using ByteFormer.Codecs;
using ByteFormer.Codecs.Audio;
using ByteFormer.Tests.Cli;

namespace ByteFormer.Tests.Audio;

public class AudioCodecTests
{
    private static AudioClip Sine(double hz, int rate = 16000, int n = 16000, float amplitude = 0.5f) =>
        new(Enumerable.Range(0, n).Select(i => (float)(amplitude * Math.Sin(2 * Math.PI * hz * i / rate))).ToArray(), rate);

    [Theory]
    [InlineData(WavSampleFormat.Float32, 64058, 90)]
    [InlineData(WavSampleFormat.Int32, 64080, 112)]
    [InlineData(WavSampleFormat.Int16, 32044, 60)]
    [InlineData(WavSampleFormat.UInt8, 16044, 52)]
    [InlineData(WavSampleFormat.MuLaw, 16058, 66)]
    public void Wav_files_have_the_reference_layouts_and_decode_back(WavSampleFormat format, int bytesFor16000, int bytesFor8)
    {
        // Lengths of byteformer.md §3.3 (16,000 samples; the reference's test vector of 8 samples).
        var clip = Sine(440);
        var file = WavCodec.Encode(clip, format);
        Assert.Equal(bytesFor16000, file.Length);
        Assert.Equal(bytesFor8, WavCodec.Encode(clip with { Samples = clip.Samples[..8] }, format).Length);
        var back = WavCodec.Decode(file);
        Assert.Equal(16000, back.SampleRate);
        Assert.Equal(clip.Samples.Length, back.Samples.Length);
        var tolerance = format switch { WavSampleFormat.UInt8 => 1.0 / 64, WavSampleFormat.MuLaw => 0.02, _ => 1e-4 };
        Assert.All(clip.Samples.Zip(back.Samples), p => Assert.InRange(p.Second - p.First, -tolerance, tolerance));
    }

    [Theory]
    [InlineData(WavSampleFormat.Float32, "-e floating-point -b 32")]
    [InlineData(WavSampleFormat.Int32, "-e signed-integer -b 32")]
    [InlineData(WavSampleFormat.Int16, "-e signed-integer -b 16")]
    [InlineData(WavSampleFormat.UInt8, "-e unsigned-integer -b 8")]
    [InlineData(WavSampleFormat.MuLaw, "-e mu-law -b 8")]
    public void Sox_reads_our_wav_files_as_we_meant_them(WavSampleFormat format, string expected)
    {
        using var dir = new TempDir();
        var path = dir.File("a.wav");
        File.WriteAllBytes(path, WavCodec.Encode(Sine(300), format));
        var info = Run("soxi", $"-e {path}") + Run("soxi", $"-b {path}") + Run("soxi", $"-s {path}") + Run("soxi", $"-r {path}");
        var (encoding, bits) = (expected.Split(' ')[1], expected.Split(' ')[3]);
        var lines = info.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(encoding.Replace("-", " ").Replace("mu law", "u-law"), lines[0].ToLowerInvariant().Replace("-", " ").Replace("u law", "u-law"));
        Assert.Equal(bits, lines[1].Trim());
        Assert.Equal("16000", lines[2].Trim());
        Assert.Equal("16000", lines[3].Trim());
    }

    [Fact]
    public void Mu_law_matches_sox_within_one_code()
    {
        using var dir = new TempDir();
        var clip = Sine(217, amplitude: 0.9f);
        File.WriteAllBytes(dir.File("in.wav"), WavCodec.Encode(clip, WavSampleFormat.Int16));
        Run("sox", $"-D {dir.File("in.wav")} -t ul {dir.File("out.ul")}");
        var sox = File.ReadAllBytes(dir.File("out.ul"));
        var ours = WavCodec.Encode(clip, WavSampleFormat.MuLaw)[58..];
        Assert.Equal(sox.Length, ours.Length);
        // Both are μ-law codes; compare on the decoded curve, where ±1 code is the rounding convention.
        Assert.All(sox.Zip(ours), p => Assert.InRange(Math.Abs(MuLaw.Decode(p.First) - MuLaw.Decode(p.Second)), 0, 1100));
        Assert.True(sox.Zip(ours).Count(p => p.First == p.Second) > 0.8 * sox.Length);
    }

    [Fact]
    public void Resampling_to_8k_keeps_speech_band_and_removes_what_cannot_be_represented()
    {
        static double Rms(float[] x) => Math.Sqrt(x.Skip(200).SkipLast(200).Average(v => (double)v * v));
        var low = Resampler.To(Sine(1000), 8000);
        Assert.Equal(8000, low.Samples.Length);
        Assert.InRange(Rms(low.Samples) / Rms(Sine(1000).Samples), 0.97, 1.03);
        var high = Resampler.To(Sine(6000), 8000);
        Assert.True(Rms(high.Samples) < 0.01 * Rms(Sine(6000).Samples), $"6 kHz leaked: rms {Rms(high.Samples)}");
        Assert.Same(low, Resampler.To(low, 8000));
    }

    [Theory]
    [InlineData("mp3", 4320)]
    [InlineData("mp3@8k", 2304)]
    public void Mp3_through_lame_has_constant_length_and_frame_sync(string encoding, int length)
    {
        var bytes = AudioEncoding.Parse(encoding).Encode(Sine(500));
        Assert.Equal(length, bytes.Length);                                             // datasets.md §4
        Assert.Equal(0xFF, bytes[0]);
        Assert.Equal(0xE0, bytes[1] & 0xE0);
        Assert.Equal(bytes, AudioEncoding.Parse(encoding).Encode(Sine(500)));          // deterministic
    }

    [Theory]
    [InlineData(16000)]
    [InlineData(8000)]
    public void In_process_libmp3lame_gives_the_lame_command_s_bytes(int rate)
    {
        var clip = Resampler.To(Sine(440), rate);
        Assert.Equal(Mp3Encoder.EncodeWithCommand(clip), Mp3Encoder.Encode(clip));
    }

    [Fact]
    public void Encoding_names_parse_and_print_back()
    {
        foreach (var name in new[] { "wav-float32", "wav-int32", "wav-int16", "wav-uint8", "mulaw", "mp3", "wav-int16@8k", "mulaw@8k", "mp3@8k" })
            Assert.Equal(name, AudioEncoding.Parse(name).ToString());
        Assert.Equal(new AudioEncoding(AudioFormat.WavInt16, 8000), AudioEncoding.Parse("int16@8000"));
        Assert.Throws<CodecException>(() => AudioEncoding.Parse("ogg"));
        Assert.Throws<CodecException>(() => AudioEncoding.Parse("mulaw@fast"));
        Assert.Equal(8058, AudioEncoding.Parse("mulaw@8k").Encode(Sine(300)).Length);
    }

    [Fact]
    public void Broken_wav_files_are_clear_errors()
    {
        Assert.Contains("not a WAV file", Assert.Throws<CodecException>(() => WavCodec.Decode(new byte[30])).Message);
        var good = WavCodec.Encode(Sine(300, n: 100), WavSampleFormat.Int16);
        Assert.Contains("no samples", Assert.Throws<CodecException>(() => WavCodec.Decode(WavCodec.Encode(Sine(300, n: 0), WavSampleFormat.Int16))).Message);
        Assert.Contains("data chunk", Assert.Throws<CodecException>(() => WavCodec.Decode(good.AsSpan(0, 36))).Message);
    }

    internal static string Run(string tool, string args)
    {
        using var p = Process.Start(new ProcessStartInfo(tool, args) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"{tool} {args}: {p.StandardError.ReadToEnd()}");
        return output;
    }
}

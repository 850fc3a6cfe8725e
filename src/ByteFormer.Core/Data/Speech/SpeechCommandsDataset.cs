using ByteFormer.Codecs.Audio;

namespace ByteFormer.Data.Speech;

/// <summary>The two Speech Commands tasks: 10 commands + unknown + silence, or all 35 words.</summary>
public enum SpeechTask
{
    /// <summary>The ten command words, <c>_unknown_</c> (the other words) and <c>_silence_</c>: 12 classes.</summary>
    Twelve,
    /// <summary>Every word folder its own class, in ordinal order (35 in the real set).</summary>
    ThirtyFive,
}

/// <summary>
/// Waveform augmentation before encoding (byteformer.md §3.5, Speech Commands v2 train): background noise
/// from <c>_background_noise_</c> mixed in at a random gain, and a random circular shift of up to
/// <see cref="ShiftFraction"/> of the clip. Each (clip, epoch) draws from its own seeded generator.
/// </summary>
/// <param name="NoiseProbability">Share of clips that get noise.</param>
/// <param name="NoiseMaxGain">Noise is scaled by U(0, this) relative to the noise file's level (about −20 dBFS).</param>
/// <param name="ShiftFraction">Roll by U(−f·N, f·N) samples, circularly.</param>
/// <param name="Mixup">Mix each clip with a random other one, λ ~ U(0, 1), and train on the soft target (as the reference).</param>
/// <param name="SpeedRange">Play each clip at a speed s ~ U(1 − r, 1 + r) about its centre, which scales pitch and
/// formants by s (a longer or shorter vocal tract) and the length by 1/s; 0 turns it off. Not in the reference's
/// recipe: a synthesized set has few speakers, and this makes more of them.</param>
public sealed record AudioAugmentation(double NoiseProbability = 0.8, double NoiseMaxGain = 0.5, double ShiftFraction = 0.1, bool Mixup = true,
    double SpeedRange = 0);

/// <summary>
/// Speech Commands v2's layout (<c>word/SPEAKER_nohash_N.wav</c>, <c>validation_list.txt</c>,
/// <c>testing_list.txt</c>, <c>_background_noise_/</c>), as the real set or <c>byteformer data speech-synth</c>
/// makes it. Train is every clip in neither list. In the 12-class task the 25 other words form
/// <c>_unknown_</c>, kept at the size of an average command class (a seeded choice), and <c>_silence_</c> is as
/// many one-second cuts of the background noise at random gains. Clips are kept as 16-bit samples in memory
/// and encoded on each access, after augmentation when training.
/// </summary>
public sealed class SpeechCommandsDataset : IByteDataset
{
    private readonly List<short[]?> clips = new();                      // null: a silence item, cut from noise
    private readonly List<string?> speakers = new();
    private readonly List<int> labels = new();
    private readonly List<float[]> noise;
    private readonly AudioEncoding encoding;
    private readonly AudioAugmentation? augmentation;
    private readonly int seed;
    private readonly string name;

    /// <summary>Samples per clip: one second at 16 kHz. Shorter files are padded with silence, longer ones cut.</summary>
    public const int ClipSamples = 16000;

    /// <summary>True when <paramref name="root"/> looks like Speech Commands (both lists present).</summary>
    public static bool IsSpeechCommands(string root) =>
        File.Exists(Path.Combine(root, "testing_list.txt")) && File.Exists(Path.Combine(root, "validation_list.txt"));

    /// <summary>Reads the <paramref name="split"/> clips of <paramref name="root"/> into memory (resampled to 16 kHz if needed).</summary>
    /// <param name="root">The data set's folder (word folders, the two lists, <c>_background_noise_</c>).</param>
    /// <param name="split">"train", "validation" or "test"; any other throws <see cref="ArgumentException"/>.</param>
    /// <param name="task">12 or 35 classes.</param>
    /// <param name="encoding">The file format each access encodes the clip in.</param>
    /// <param name="augmentation">Waveform augmentation for training; null for none (evaluation).</param>
    /// <param name="seed">Fixes the <c>_unknown_</c> choice, the silence cuts and every augmentation draw.</param>
    /// <exception cref="ByteFormerException">The folder is not in Speech Commands layout, lacks command words or
    /// background noise the task needs, has a WAV it cannot read, or has no clips in the split.</exception>
    public SpeechCommandsDataset(string root, string split, SpeechTask task, AudioEncoding encoding, AudioAugmentation? augmentation, int seed)
    {
        if (split is not ("train" or "validation" or "test")) throw new ArgumentException($"split must be train, validation or test, got '{split}'");
        if (!IsSpeechCommands(root))
            throw new ByteFormerException($"{root} is not in Speech Commands layout (no testing_list.txt and validation_list.txt)");
        this.encoding = encoding;
        this.augmentation = augmentation;
        this.seed = seed;
        name = $"speech commands {split} ({(task == SpeechTask.Twelve ? 12 : 35)} classes) in {root}";
        var test = new HashSet<string>(File.ReadAllLines(Path.Combine(root, "testing_list.txt")).Select(Normalize));
        var validation = new HashSet<string>(File.ReadAllLines(Path.Combine(root, "validation_list.txt")).Select(Normalize));
        var words = Directory.GetDirectories(root).Select(Path.GetFileName).OfType<string>()
            .Where(d => !d.StartsWith('_') && !d.StartsWith('.')).Order(StringComparer.Ordinal).ToList();
        if (words.Count == 0) throw new ByteFormerException($"{root} has no word folders");
        ClassNames = task == SpeechTask.Twelve
            ? [.. SpeechCommandsWords.Commands, SpeechCommandsWords.Unknown, SpeechCommandsWords.Silence]
            : words;
        var files = new List<(string Path, int Label)>();
        var unknown = new List<string>();
        foreach (var word in words)
        {
            var index = ClassNames.ToList().IndexOf(word);
            foreach (var file in Directory.EnumerateFiles(Path.Combine(root, word), "*.wav").Order(StringComparer.Ordinal))
            {
                var rel = Normalize(Path.GetRelativePath(root, file));
                var inSplit = split switch { "test" => test.Contains(rel), "validation" => validation.Contains(rel), _ => !test.Contains(rel) && !validation.Contains(rel) };
                if (!inSplit) continue;
                if (index >= 0) files.Add((file, index));
                else if (task == SpeechTask.Twelve) unknown.Add(file);
            }
        }
        if (task == SpeechTask.Twelve)
        {
            var missing = SpeechCommandsWords.Commands.Where(c => !words.Contains(c)).ToList();
            if (missing.Count > 0) throw new ByteFormerException($"{root} lacks the command words {string.Join(", ", missing)} for the 12-class task");
            var perClass = Math.Max(1, files.Count / SpeechCommandsWords.Commands.Count);
            var rng = new Random(Seeds.Mix(seed, 0x0C1A55));
            foreach (var file in unknown.OrderBy(_ => rng.Next()).Take(perClass)) files.Add((file, ClassNames.Count - 2));
            SilenceCount = perClass;
        }
        foreach (var (path, label) in files)
        {
            clips.Add(ReadClip(path));
            labels.Add(label);
            speakers.Add(SpeakerOf(path));
        }
        noise = LoadNoise(Path.Combine(root, SpeechCommandsWords.BackgroundNoise));
        if (SilenceCount > 0 && noise.Count == 0)
            throw new ByteFormerException($"{root}/{SpeechCommandsWords.BackgroundNoise} holds no noise files: the 12-class task needs them for '_silence_'");
        for (var i = 0; i < SilenceCount; i++)
        {
            clips.Add(null);
            speakers.Add(null);
            labels.Add(ClassNames.Count - 1);
        }
        if (clips.Count == 0) throw new ByteFormerException($"{root}: no clips in the {split} split");
    }

    /// <summary>Items in the split, silence items included.</summary>
    public int Count => clips.Count;
    /// <summary>Class names in label order: the commands, <c>_unknown_</c>, <c>_silence_</c> (12 classes), or the word folders (35).</summary>
    public IReadOnlyList<string> ClassNames { get; }
    /// <summary>Number of <c>_silence_</c> items (the last ones); 0 in the 35-class task.</summary>
    public int SilenceCount { get; }
    /// <summary>The file format <see cref="Bytes"/> encodes clips in.</summary>
    public AudioEncoding Encoding => encoding;
    /// <summary>The split, task, folder and encoding, for logs and model metadata.</summary>
    public string Describe => $"{name} as {encoding}" + (augmentation is null ? "" : ", augmented");
    /// <summary>Class index of item <paramref name="index"/>, into <see cref="ClassNames"/>.</summary>
    public int Label(int index) => labels[index];

    /// <summary>The speaker of an item: the file name's part before <c>_nohash_</c> (Speech Commands' speaker
    /// hash); null for a <c>_silence_</c> item, which is cut from background noise.</summary>
    public string? Speaker(int index) => speakers[index];

    private static string SpeakerOf(string path)
    {
        var name = Path.GetFileNameWithoutExtension(path);
        var cut = name.IndexOf("_nohash_", StringComparison.Ordinal);
        return cut < 0 ? name : name[..cut];
    }

    /// <summary>The clip as it is before encoding (augmented for <paramref name="epoch"/> when training), 16 kHz.</summary>
    public AudioClip Clip(int index, int epoch) => Clip(index, epoch, augment: true);

    private AudioClip Clip(int index, int epoch, bool augment)
    {
        var samples = new float[ClipSamples];
        var rng = new Random(Seeds.Mix(seed, epoch, index));
        if (clips[index] is { } pcm)
            for (var i = 0; i < ClipSamples; i++) samples[i] = pcm[i] / 32768f;
        else
        {
            // Silence: a fixed cut of the noise per item (not per epoch), at a gain from 0 to 1.
            var cut = new Random(Seeds.Mix(seed, 0x511E, index));
            AddNoise(samples, cut, (float)cut.NextDouble());
        }
        if (augmentation is not null && augment)
        {
            if (augmentation.SpeedRange > 0)
                samples = ChangeSpeed(samples, 1 + augmentation.SpeedRange * (2 * rng.NextDouble() - 1));
            if (noise.Count > 0 && rng.NextDouble() < augmentation.NoiseProbability)
                AddNoise(samples, rng, (float)(rng.NextDouble() * augmentation.NoiseMaxGain));
            var maxShift = (int)(augmentation.ShiftFraction * ClipSamples);
            var shift = rng.Next(-maxShift, maxShift + 1);
            if (shift != 0)
            {
                var rolled = new float[ClipSamples];
                for (var i = 0; i < ClipSamples; i++) rolled[((i + shift) % ClipSamples + ClipSamples) % ClipSamples] = samples[i];
                samples = rolled;
            }
        }
        return new AudioClip(samples, 16000);
    }

    /// <summary>The encoded file of item <paramref name="index"/> in <paramref name="epoch"/>: the clip of <see cref="Clip(int, int)"/>, mixed with
    /// its mixup partner (not augmented) when <see cref="AudioAugmentation.Mixup"/> is on.</summary>
    public byte[] Bytes(int index, int epoch)
    {
        var clip = Clip(index, epoch);
        if (Mixing(index, epoch) is { } mix)
        {
            // λ·a + (1−λ)·b, b the partner as it is (not augmented again).
            var partner = Clip(mix.Partner, -1 - epoch, augment: false).Samples;
            var own = clip.Samples;
            for (var i = 0; i < own.Length; i++) own[i] = mix.Lambda * own[i] + (1 - mix.Lambda) * partner[i];
        }
        return encoding.Encode(clip);
    }

    /// <summary>The mixup partner's label and λ that <see cref="Bytes"/> used; <see cref="MixedTarget.None"/> without mixup.</summary>
    public MixedTarget MixOf(int index, int epoch) =>
        Mixing(index, epoch) is { } mix ? new MixedTarget(labels[mix.Partner], mix.Lambda) : MixedTarget.None;

    private (int Partner, float Lambda)? Mixing(int index, int epoch)
    {
        if (augmentation is not { Mixup: true }) return null;
        var rng = new Random(Seeds.Mix(seed, epoch, index, 0x313));
        return (rng.Next(Count), (float)rng.NextDouble());
    }

    /// <summary>
    /// The clip played at <paramref name="speed"/> times its speed, about its centre (linear interpolation, the
    /// same length, silence where the faster clip ends): out[i] = x[c + (i − c)·speed].
    /// </summary>
    public static float[] ChangeSpeed(float[] samples, double speed)
    {
        var result = new float[samples.Length];
        var centre = samples.Length / 2.0;
        for (var i = 0; i < result.Length; i++)
        {
            var t = centre + (i - centre) * speed;
            var j = (int)Math.Floor(t);
            if (j < 0 || j >= samples.Length) continue;
            var f = (float)(t - j);
            result[i] = (1 - f) * samples[j] + (j + 1 < samples.Length ? f * samples[j + 1] : 0);
        }
        return result;
    }

    private void AddNoise(float[] samples, Random rng, float gain)
    {
        var source = noise[rng.Next(noise.Count)];
        var start = rng.Next(Math.Max(1, source.Length - ClipSamples));
        for (var i = 0; i < ClipSamples && start + i < source.Length; i++) samples[i] += gain * source[start + i];
    }

    private static string Normalize(string path) => path.Trim().Replace('\\', '/');

    private static short[] ReadClip(string path)
    {
        AudioClip clip;
        try
        {
            clip = WavCodec.Decode(File.ReadAllBytes(path), path);
        }
        catch (Codecs.CodecException e)
        {
            throw new ByteFormerException($"{e.Message} (remove the file, or fix it, to train on this set)");
        }
        return Quantize(clip);
    }

    private static short[] Quantize(AudioClip clip)
    {
        if (clip.SampleRate != 16000) clip = Resampler.To(clip, 16000);
        clip = clip.WithLength(ClipSamples);
        return clip.Samples.Select(s => (short)Math.Clamp(s * 32768f, short.MinValue, short.MaxValue)).ToArray();
    }

    /// <summary>
    /// Any clip as this data set holds a test clip: 16 kHz, <see cref="ClipSamples"/> long, 16-bit. Encoding the
    /// result gives the bytes an evaluation of a file in the set would see.
    /// </summary>
    public static AudioClip AsTestClip(AudioClip clip) => new(Quantize(clip).Select(s => s / 32768f).ToArray(), 16000);

    private static List<float[]> LoadNoise(string dir) =>
        !Directory.Exists(dir) ? [] : Directory.EnumerateFiles(dir, "*.wav").Order(StringComparer.Ordinal)
            .Select(f => Resampler.To(WavCodec.Decode(File.ReadAllBytes(f), f), 16000).Samples).ToList();
}

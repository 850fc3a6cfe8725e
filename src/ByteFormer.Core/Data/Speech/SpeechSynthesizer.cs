using System.Buffers.Binary;
using System.Globalization;
using ByteFormer.Codecs.Audio;

namespace ByteFormer.Data.Speech;

/// <summary>Settings of <see cref="SpeechSynthesizer.Generate"/>.</summary>
public sealed record SpeechSynthOptions
{
    /// <summary>Clips per word.</summary>
    public int PerWord { get; init; } = 100;

    /// <summary>Decides voices, settings, positions, the split and the noise: same seed, same bytes.</summary>
    public int Seed { get; init; }

    /// <summary>Synthesizer processes at once.</summary>
    public int Jobs { get; init; } = Environment.ProcessorCount;

    /// <summary>The words to render, one folder each (default: Speech Commands v2's 35).</summary>
    public IReadOnlyList<string> Words { get; init; } = SpeechCommandsWords.All;

    /// <summary>Share of voices held out for testing_list.txt.</summary>
    public double TestFraction { get; init; } = 0.15;

    /// <summary>Share of voices held out for validation_list.txt.</summary>
    public double ValidationFraction { get; init; } = 0.1;

    /// <summary>Length of each background-noise file.</summary>
    public int NoiseSeconds { get; init; } = 60;

    /// <summary>Where to look for sox (default: PATH).</summary>
    public string? SearchPath { get; init; }
}

/// <summary>One clip to render: the word, the voice and every random choice, fixed before any process runs.</summary>
/// <param name="Word">The word spoken (and its folder).</param>
/// <param name="Voice">The engine and voice that speak it.</param>
/// <param name="RelativePath">Where the clip goes in the set: <c>word/SPEAKER_nohash_N.wav</c>.</param>
/// <param name="WordsPerMinute">espeak-ng's speaking rate (<c>-s</c>).</param>
/// <param name="EspeakPitch">espeak-ng's pitch, 0–99 (<c>-p</c>).</param>
/// <param name="Stretch">flite's and festival's duration stretch: above 1 speaks slower.</param>
/// <param name="GainDb">sox gain in dB (0 or less).</param>
/// <param name="PitchCents">sox pitch shift in cents; 0 for none.</param>
/// <param name="Tempo">sox tempo factor: above 1 is faster, pitch unchanged.</param>
/// <param name="Position">Where the trimmed word sits in its second: 0 at the start, 1 at the end.</param>
public sealed record ClipPlan(string Word, SynthVoice Voice, string RelativePath, int WordsPerMinute, int EspeakPitch,
    double Stretch, double GainDb, int PitchCents, double Tempo, double Position);

/// <summary>
/// Makes a Speech-Commands-v2-style keyword set with Debian's speech synthesizers (datasets.md §3): for each
/// word, 1.000 s mono 16-bit 16 kHz clips in <c>word/SPEAKER_nohash_N.wav</c>, with voice, rate, pitch, gain,
/// tempo and position in the second drawn from the seed; <c>_background_noise_/</c> (white, pink, brown noise
/// and mains hum); <c>validation_list.txt</c> and <c>testing_list.txt</c> that split by voice, never by clip;
/// and <c>voices.tsv</c> naming each speaker hash. Rendering is deterministic (sox without dither), so the
/// same seed gives byte-identical files.
/// </summary>
public static class SpeechSynthesizer
{
    /// <summary>Sample rate of every clip and noise file, in Hz.</summary>
    public const int SampleRate = 16000;

    /// <summary>All clips, in order, for <paramref name="options"/> and the installed voices.</summary>
    public static IReadOnlyList<ClipPlan> Plan(SpeechSynthOptions options, IReadOnlyList<SynthVoice> voices)
    {
        var byEngine = voices.GroupBy(v => v.Engine).ToDictionary(g => g.Key, g => g.ToList());
        if (byEngine.Count == 0)
            throw new ByteFormerException("no speech synthesizer is installed: install Debian's espeak-ng, flite and festival packages (scripts/setup.sh does)");
        // espeak-ng has hundreds of voices, the others a few each: pick the engine first so each gets a fair share.
        var engines = new (string Engine, double Weight)[] { (SynthVoice.Espeak, 0.6), (SynthVoice.Flite, 0.2), (SynthVoice.Festival, 0.2) }
            .Where(e => byEngine.ContainsKey(e.Engine)).ToArray();
        var totalWeight = engines.Sum(e => e.Weight);
        var plans = new List<ClipPlan>();
        for (var w = 0; w < options.Words.Count; w++)
        {
            var word = options.Words[w];
            var perSpeaker = new Dictionary<string, int>();
            for (var i = 0; i < options.PerWord; i++)
            {
                var rng = new Random(Seeds.Mix(options.Seed, w, i));
                var pick = rng.NextDouble() * totalWeight;
                var engine = engines.First(e => (pick -= e.Weight) < 0 || e == engines[^1]).Engine;
                var pool = byEngine[engine];
                var voice = pool[rng.Next(pool.Count)];
                var n = perSpeaker.GetValueOrDefault(voice.Hash);
                perSpeaker[voice.Hash] = n + 1;
                plans.Add(new ClipPlan(word, voice, $"{word}/{voice.Hash}_nohash_{n}.wav",
                    WordsPerMinute: rng.Next(110, 221), EspeakPitch: rng.Next(20, 81), Stretch: 0.8 + 0.5 * rng.NextDouble(),
                    GainDb: -12 * rng.NextDouble(), PitchCents: rng.Next(3) == 0 ? rng.Next(-300, 301) : 0,
                    Tempo: 0.85 + 0.3 * rng.NextDouble(), Position: rng.NextDouble()));
            }
        }
        return plans;
    }

    /// <summary>
    /// "test", "validation" or "train" for a voice, so whole voices are held out. flite and festival have a few
    /// voices that each carry many clips: flite awb and festival ked (a Scottish and a US male) are held out for
    /// test, and the other three recorded speakers (kal, slt, rms; festival's kal and slt are the same people) train,
    /// since a model that hears only two people generalizes poorly to a third (docs/results.md).
    /// espeak-ng voices go by a hash of the voice and the seed, in the given fractions; validation is espeak-ng only.
    /// </summary>
    public static string SplitOf(SynthVoice voice, SpeechSynthOptions options)
    {
        if (voice.Id is "flite:awb" or "festival:ked_diphone") return "test";
        if (voice.Engine != SynthVoice.Espeak) return "train";
        var u = (uint)Seeds.Mix(options.Seed, Convert.ToInt64(voice.Hash, 16), 0x5EED) / (double)uint.MaxValue;
        return u < options.TestFraction ? "test" : u < options.TestFraction + options.ValidationFraction ? "validation" : "train";
    }

    /// <summary>
    /// Renders the set into <paramref name="output"/> (which must not exist), through <c>output.partial</c> renamed
    /// at the end, so an interrupted run leaves no half-made set under the final name.
    /// </summary>
    public static void Generate(string output, SpeechSynthOptions options, Action<int, int>? progress = null, CancellationToken cancel = default)
    {
        if (options.PerWord < 1 || options.Jobs < 1) throw new ByteFormerException("clips per word and jobs must be at least 1");
        var unknownWords = options.Words.Except(SpeechCommandsWords.All).ToList();
        if (unknownWords.Count > 0) throw new ByteFormerException($"not Speech Commands words: {string.Join(", ", unknownWords)}");
        if (Directory.Exists(output) || File.Exists(output)) throw new ByteFormerException($"{output} already exists; choose another folder or remove it");
        RequireTool("sox", "sox", options.SearchPath);
        var voices = SynthVoice.Installed();
        var plans = Plan(options, voices);
        var full = Path.GetFullPath(output);
        var partial = full + ".partial";
        if (Directory.Exists(partial)) Directory.Delete(partial, recursive: true);
        foreach (var word in options.Words) Directory.CreateDirectory(Path.Combine(partial, word));
        var scratch = Directory.CreateTempSubdirectory("byteformer-synth-");
        try
        {
            // Festival starts slowly (~0.5 s): its clips go in batches of one process; the others one process each.
            var units = new List<ClipPlan[]>();
            units.AddRange(plans.Where(p => p.Voice.Engine != SynthVoice.Festival).Select(p => new[] { p }));
            units.AddRange(plans.Where(p => p.Voice.Engine == SynthVoice.Festival).GroupBy(p => p.Voice.Name)
                .SelectMany(g => g.Chunk(48)));
            var done = 0;
            Parallel.ForEach(units, new ParallelOptions { MaxDegreeOfParallelism = options.Jobs, CancellationToken = cancel }, (unit, _, index) =>
            {
                var dir = Path.Combine(scratch.FullName, index.ToString(CultureInfo.InvariantCulture));
                Directory.CreateDirectory(dir);
                var raw = Synthesize(unit, dir);
                for (var i = 0; i < unit.Length; i++)
                {
                    var clip = Finish(raw[i], unit[i]);
                    File.WriteAllBytes(Path.Combine(partial, unit[i].RelativePath), WavCodec.Encode(clip, WavSampleFormat.Int16));
                }
                Directory.Delete(dir, recursive: true);
                progress?.Invoke(Interlocked.Add(ref done, unit.Length), plans.Count);
            });
            WriteNoise(Path.Combine(partial, SpeechCommandsWords.BackgroundNoise), options);
            var speakers = plans.Select(p => p.Voice).Distinct().OrderBy(v => v.Hash, StringComparer.Ordinal).ToList();
            File.WriteAllLines(Path.Combine(partial, "testing_list.txt"),
                plans.Where(p => SplitOf(p.Voice, options) == "test").Select(p => p.RelativePath).Order(StringComparer.Ordinal));
            File.WriteAllLines(Path.Combine(partial, "validation_list.txt"),
                plans.Where(p => SplitOf(p.Voice, options) == "validation").Select(p => p.RelativePath).Order(StringComparer.Ordinal));
            File.WriteAllLines(Path.Combine(partial, "voices.tsv"),
                new[] { "speaker\tengine\tvoice\tsplit" }.Concat(speakers.Select(v => $"{v.Hash}\t{v.Engine}\t{v.Name}\t{SplitOf(v, options)}")));
            File.WriteAllText(Path.Combine(partial, "README.txt"),
                $"Synthetic keyword set in Speech Commands v2's layout, made by 'byteformer data speech-synth' " +
                $"(seed {options.Seed}, {options.PerWord} clips per word, {options.Words.Count} words). Speakers are synthesizer " +
                "voices (voices.tsv); the validation and testing lists hold out whole voices. Not real speech: do not compare " +
                "accuracies with Speech Commands results.\n");
            Directory.Move(partial, full);
        }
        finally
        {
            scratch.Delete(recursive: true);
        }
    }

    /// <summary>Runs the engine for each clip of <paramref name="unit"/>; returns the rendered WAV file of each.</summary>
    private static string[] Synthesize(ClipPlan[] unit, string dir)
    {
        var files = unit.Select((_, i) => Path.Combine(dir, $"{i}.wav")).ToArray();
        var first = unit[0];
        var inv = CultureInfo.InvariantCulture;
        switch (first.Voice.Engine)
        {
            case SynthVoice.Espeak:
                ExternalTool.Run("espeak-ng", "espeak-ng",
                    $"-v {first.Voice.Name} -s {first.WordsPerMinute} -p {first.EspeakPitch} -w {files[0]} {first.Word}");
                break;
            case SynthVoice.Flite:
                ExternalTool.Run("flite", "flite",
                    string.Create(inv, $"-voice {first.Voice.Name} --setf duration_stretch={first.Stretch:F3} -t {first.Word} -o {files[0]}"));
                break;
            default:
                var script = new System.Text.StringBuilder($"(voice_{first.Voice.Name})\n");
                for (var i = 0; i < unit.Length; i++)
                    script.Append(inv, $"(Parameter.set 'Duration_Stretch {unit[i].Stretch:F3})\n(utt.save.wave (SynthText \"{unit[i].Word}\") \"{files[i]}\" 'riff)\n");
                var path = Path.Combine(dir, "batch.scm");
                File.WriteAllText(path, script.ToString());
                ExternalTool.Run("festival", "festival", $"-b {path}", timeoutMs: 600_000);
                break;
        }
        foreach (var f in files)
            if (!File.Exists(f)) throw new ByteFormerException($"{first.Voice.Engine} ({first.Voice.Name}) wrote no audio");
        return files;
    }

    /// <summary>sox (gain, pitch, tempo, 16 kHz; no dither), then trim the silence and place the word in one second.</summary>
    private static AudioClip Finish(string wav, ClipPlan plan)
    {
        var inv = CultureInfo.InvariantCulture;
        var effects = string.Create(inv, $"gain {plan.GainDb:F2}") +
                      (plan.PitchCents != 0 ? string.Create(inv, $" pitch {plan.PitchCents}") : "") +
                      string.Create(inv, $" tempo -s {plan.Tempo:F3}");
        var raw = ExternalTool.Run("sox", "sox", $"-D -R {wav} -t raw -e signed-integer -b 16 -c 1 -r {SampleRate} - {effects}");
        var samples = new float[raw.Length / 2];
        for (var i = 0; i < samples.Length; i++) samples[i] = BinaryPrimitives.ReadInt16LittleEndian(raw.AsSpan(2 * i)) / 32768f;
        // Trim: first and last sample above 2% of the peak, with 50 ms kept on each side.
        var peak = samples.Length == 0 ? 0 : samples.Max(Math.Abs);
        int start = 0, end = samples.Length;
        if (peak > 0)
        {
            var threshold = 0.02f * peak;
            while (start < samples.Length && Math.Abs(samples[start]) < threshold) start++;
            while (end > start && Math.Abs(samples[end - 1]) < threshold) end--;
            start = Math.Max(0, start - SampleRate / 20);
            end = Math.Min(samples.Length, end + SampleRate / 20);
        }
        var length = end - start;
        if (length > SampleRate)                                                   // keep the centre second
        {
            start += (length - SampleRate) / 2;
            length = SampleRate;
        }
        var clip = new float[SampleRate];
        var offset = (int)(plan.Position * (SampleRate - length));
        Array.Copy(samples, start, clip, offset, length);
        return new AudioClip(clip, SampleRate);
    }

    /// <summary>White, pink and brown noise and 50 Hz hum with harmonics, each about −20 dBFS RMS.</summary>
    private static void WriteNoise(string dir, SpeechSynthOptions options)
    {
        Directory.CreateDirectory(dir);
        var n = options.NoiseSeconds * SampleRate;
        var rng = new Random(Seeds.Mix(options.Seed, 0x401));
        double Gauss() => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
        float[] Normalised(double[] x)
        {
            var rms = Math.Sqrt(x.Average(v => v * v));
            return x.Select(v => (float)Math.Clamp(v / rms * 0.1, -1, 1)).ToArray();
        }
        var white = Enumerable.Range(0, n).Select(_ => Gauss()).ToArray();
        // Pink: Paul Kellet's filter of white noise. Brown: leaky integral of white noise.
        double b0 = 0, b1 = 0, b2 = 0, b3 = 0, b4 = 0, b5 = 0, b6 = 0, brownState = 0;
        var pink = new double[n];
        var brown = new double[n];
        var hum = new double[n];
        var phase = rng.NextDouble() * 2 * Math.PI;
        for (var i = 0; i < n; i++)
        {
            var w = Gauss();
            b0 = 0.99886 * b0 + w * 0.0555179; b1 = 0.99332 * b1 + w * 0.0750759; b2 = 0.96900 * b2 + w * 0.1538520;
            b3 = 0.86650 * b3 + w * 0.3104856; b4 = 0.55000 * b4 + w * 0.5329522; b5 = -0.7616 * b5 - w * 0.0168980;
            pink[i] = b0 + b1 + b2 + b3 + b4 + b5 + b6 + w * 0.5362;
            b6 = w * 0.115926;
            brownState = 0.998 * brownState + 0.05 * w;
            brown[i] = brownState;
            var t = 2 * Math.PI * 50 * i / SampleRate + phase;
            hum[i] = Math.Sin(t) + 0.5 * Math.Sin(3 * t) + 0.25 * Math.Sin(5 * t) + 0.05 * w;
        }
        foreach (var (name, signal) in new[] { ("white_noise", white), ("pink_noise", pink), ("brown_noise", brown), ("mains_hum", hum) })
            File.WriteAllBytes(Path.Combine(dir, name + ".wav"), WavCodec.Encode(new AudioClip(Normalised(signal), SampleRate), WavSampleFormat.Int16));
    }

    private static void RequireTool(string tool, string package, string? searchPath)
    {
        var found = (searchPath ?? Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(d => d.Length > 0 && File.Exists(Path.Combine(d, tool)));
        if (!found) throw new ByteFormerException($"{tool} is not installed: install Debian's '{package}' package (scripts/setup.sh does)");
    }
}

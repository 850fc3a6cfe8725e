using System.CommandLine;
using ByteFormer.Cli.Output;
using ByteFormer.Codecs;
using ByteFormer.Data;
using ByteFormer.Data.Speech;

namespace ByteFormer.Cli.Commands;

/// <summary><c>byteformer data fashion-mnist --encoding ENC --out DIR</c>: real files in ImageNet's folder layout.</summary>
internal static class DataCommand
{
    public static Command Create(CliIO io)
    {
        var command = new Command("data", "Make data sets of real files");
        var encoding = new Option<string>("--encoding") { Description = "fhwc, fchw, tiff, png-stored, png, jpeg[Q], bmp, webp[Q]", Required = true };
        var quality = new Option<int?>("--quality") { Description = "JPEG/WebP quality (default 75)" };
        var output = new Option<string>("--out") { Description = "Folder to create (must not exist)", Required = true };
        var root = new Option<string>("--source") { Description = "Where Debian's dataset-fashion-mnist is", DefaultValueFactory = _ => FashionMnist.DefaultRoot };
        var limit = new Option<int?>("--limit") { Description = "Only the first N images of each split" };
        var fashion = new Command("fashion-mnist", "Fashion-MNIST (Debian's dataset-fashion-mnist) as DIR/{train,test}/<class>/*") { encoding, quality, output, root, limit };
        fashion.SetAction(parse => ErrorReporter.Guard(io, () => FashionMnistFiles(io,
            ImageEncoding.Parse(parse.GetValue(encoding)!, parse.GetValue(quality)), parse.GetValue(output)!, parse.GetValue(root)!, parse.GetValue(limit))));
        command.Add(fashion);

        var synthOut = new Option<string>("--out") { Description = "Folder to create (must not exist)", Required = true };
        var perWord = new Option<int>("--per-word") { Description = "Clips per word", DefaultValueFactory = _ => 100 };
        var seed = new Option<int>("--seed") { Description = "Same seed, byte-identical files", DefaultValueFactory = _ => 0 };
        var jobs = new Option<int>("--jobs") { Description = "Synthesizer processes at once (default: one per core)", DefaultValueFactory = _ => Environment.ProcessorCount };
        var words = new Option<string?>("--words") { Description = "Comma-separated subset of the 35 words (default: all)" };
        var synth = new Command("speech-synth", "A Speech-Commands-v2-style keyword set from Debian's speech synthesizers (split by voice)")
        {
            synthOut, perWord, seed, jobs, words,
        };
        synth.SetAction(parse => ErrorReporter.Guard(io, () => SpeechSynth(io, parse.GetValue(synthOut)!, new SpeechSynthOptions
        {
            PerWord = parse.GetValue(perWord), Seed = parse.GetValue(seed), Jobs = parse.GetValue(jobs),
            Words = parse.GetValue(words) is { } list ? list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) : SpeechCommandsWords.All,
        })));
        command.Add(synth);

        var audioFiles = new Argument<string[]>("files") { Description = "WAV files (any sample format, any rate), or folders of them", Arity = ArgumentArity.OneOrMore };
        var audioEncoding = new Option<string>("--encoding") { Description = "wav-float32, wav-int32, wav-int16, wav-uint8, mulaw or mp3, optionally @8k", Required = true };
        var audioOut = new Option<string>("--out") { Description = "Folder for the encoded files (created; existing files are never overwritten)", Required = true };
        var audio = new Command("audio", "Encode WAV clips as a Speech Commands model reads them (1 s, mono, resampled): sample files, or a client's files")
        {
            audioFiles, audioEncoding, audioOut,
        };
        audio.SetAction(parse => ErrorReporter.Guard(io, () => EncodeAudio(io, parse.GetValue(audioFiles)!,
            Codecs.Audio.AudioEncoding.Parse(parse.GetValue(audioEncoding)!), parse.GetValue(audioOut)!)));
        command.Add(audio);
        return command;
    }

    private static int EncodeAudio(CliIO io, string[] inputs, Codecs.Audio.AudioEncoding encoding, string output)
    {
        var files = new List<string>();
        foreach (var input in inputs)
        {
            if (Directory.Exists(input)) files.AddRange(Directory.EnumerateFiles(input, "*.wav", SearchOption.AllDirectories).Order(StringComparer.Ordinal));
            else if (File.Exists(input)) files.Add(input);
            else throw new ByteFormerException($"{input}: no such file or folder");
        }
        if (files.Count == 0) throw new ByteFormerException("no .wav files found");
        // Decode everything first, so a bad file stops the command before anything is written.
        var clips = files.Select(f => (File: f, Clip: Codecs.Audio.WavCodec.Decode(File.ReadAllBytes(f), f))).ToList();
        var targets = clips.Select(c => Path.Combine(output, Path.GetFileNameWithoutExtension(c.File) + encoding.Extension)).ToList();
        if (targets.Distinct(StringComparer.Ordinal).Count() != targets.Count)
            throw new ByteFormerException("two inputs have the same file name; encode them into different folders");
        if (targets.FirstOrDefault(File.Exists) is { } existing)
            throw new ByteFormerException($"{existing} already exists; choose another --out or remove it");
        Directory.CreateDirectory(output);
        for (var i = 0; i < clips.Count; i++)
        {
            var data = encoding.Encode(SpeechCommandsDataset.AsTestClip(clips[i].Clip));
            AtomicFile.Write(targets[i], s => s.Write(data));
        }
        io.Out.WriteLine($"Wrote {clips.Count:N0} {encoding} files to {output}");
        return 0;
    }

    private static int FashionMnistFiles(CliIO io, ImageEncoding encoding, string output, string root, int? limit)
    {
        if (Directory.Exists(output) || File.Exists(output))
            throw new ByteFormerException($"{output} already exists; choose another --out or remove it");
        var full = Path.GetFullPath(output);
        var partial = full + ".partial";
        if (Directory.Exists(partial)) Directory.Delete(partial, recursive: true);
        long files = 0, bytes = 0;
        foreach (var split in new[] { "train", "test" })
        {
            var set = FashionMnist.Load(split, root, limit);
            foreach (var name in set.ClassNames) Directory.CreateDirectory(Path.Combine(partial, split, name));
            for (var i = 0; i < set.Images.Count; i++)
            {
                var data = encoding.Encode(set.Images[i]);
                File.WriteAllBytes(Path.Combine(partial, split, set.ClassNames[set.Labels[i]], $"{split}_{i:D5}{encoding.Extension}"), data);
                files++;
                bytes += data.Length;
            }
            io.Err.WriteLine($"  {split}: {set.Images.Count:N0} files");
        }
        Directory.Move(partial, full);                                              // the set appears whole or not at all
        io.Out.WriteLine($"Wrote {files:N0} {encoding} files ({bytes / (double)files:F0} bytes on average) to {output}");
        return 0;
    }

    private static int SpeechSynth(CliIO io, string output, SpeechSynthOptions options)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var lastReport = TimeSpan.Zero;
        var gate = new object();
        SpeechSynthesizer.Generate(output, options, (done, total) =>
        {
            lock (gate)
            {
                if (done < total && clock.Elapsed - lastReport < TimeSpan.FromSeconds(5)) return;
                lastReport = clock.Elapsed;
                var rate = done / Math.Max(1e-3, clock.Elapsed.TotalSeconds);
                var eta = TimeSpan.FromSeconds((total - done) / Math.Max(1e-3, rate));
                io.Err.WriteLine($"synthesized {done:N0}/{total:N0} clips ({100.0 * done / total:F0}%) | {rate:F0} clips/s | ETA {eta:hh\\:mm\\:ss}");
            }
        });
        var lists = new[] { "validation_list.txt", "testing_list.txt" }.Select(f => File.ReadAllLines(Path.Combine(output, f)).Length).ToArray();
        io.Out.WriteLine($"Wrote {options.Words.Count * options.PerWord:N0} clips of {options.Words.Count} words to {output} in {clock.Elapsed.TotalSeconds:F0} s " +
                         $"({lists[0]:N0} validation and {lists[1]:N0} test clips, held out by voice)");
        return 0;
    }
}

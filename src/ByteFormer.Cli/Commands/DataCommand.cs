using System.CommandLine;
using ByteFormer.Cli.Output;
using ByteFormer.Codecs;
using ByteFormer.Codecs.Writers;
using ByteFormer.Data;
using ByteFormer.Data.Speech;
using ByteFormer.Inference;

namespace ByteFormer.Cli.Commands;

/// <summary><c>byteformer data fashion-mnist --encoding ENC --out DIR</c>: real files in ImageNet's folder layout.</summary>
internal static class DataCommand
{
    public static Command Create(CliIO io)
    {
        var command = new Command("data", "Make data sets of real files");
        var encoding = new Option<string?>("--encoding") { Description = "fhwc, fchw, tiff, png-stored, png, jpeg[Q], bmp, webp[Q] (this or --writer is required)" };
        var writer = new Option<string?>("--writer") { Description = "Write every image with this writer of the training pool (e.g. tiff-libtiff, png-skia; an unknown name lists them all), its options drawn per image (this or --encoding is required)" };
        var quality = new Option<int?>("--quality") { Description = "JPEG/WebP quality (default 75)" };
        var output = new Option<string>("--out") { Description = "Folder to create (must not exist)", Required = true };
        var root = new Option<string>("--source") { Description = "Where Debian's dataset-fashion-mnist is", DefaultValueFactory = _ => FashionMnist.DefaultRoot };
        var limit = new Option<int?>("--limit") { Description = "Only the first N images of each split (default: all)" };
        var fashion = new Command("fashion-mnist", "Fashion-MNIST (Debian's dataset-fashion-mnist) as DIR/{train,test}/<class>/*") { encoding, writer, quality, output, root, limit };
        fashion.SetAction(parse => ErrorReporter.Guard(io, () =>
        {
            var (encodingName, writerName) = (parse.GetValue(encoding), parse.GetValue(writer));
            if ((encodingName is null) == (writerName is null)) throw new ByteFormerException("give --encoding or --writer (one of them)");
            if (writerName is not null && parse.GetValue(quality) is not null) throw new ByteFormerException("--quality goes with --encoding; a writer draws its own");
            var format = writerName is null ? new FileFormat(ImageEncoding.Parse(encodingName!, parse.GetValue(quality)))
                : new FileFormat(ImageWriters.Get(writerName));
            return FashionMnistFiles(io, format, parse.GetValue(output)!, parse.GetValue(root)!, parse.GetValue(limit));
        }));
        command.Add(fashion);

        var synthOut = new Option<string>("--out") { Description = "Folder to create (must not exist)", Required = true };
        var perWord = new Option<int>("--per-word") { Description = "Clips per word", DefaultValueFactory = _ => 100 };
        var seed = new Option<int>("--seed") { Description = "Same seed, byte-identical files", DefaultValueFactory = _ => 0 };
        var jobs = new Option<int?>("--jobs") { Description = "Synthesizer processes at once (default: one per core)" };
        var words = new Option<string?>("--words") { Description = "Comma-separated subset of the 35 words (default: all)" };
        var synth = new Command("speech-synth", "A Speech-Commands-v2-style keyword set from Debian's speech synthesizers (split by voice)")
        {
            synthOut, perWord, seed, jobs, words,
        };
        synth.SetAction(parse => ErrorReporter.Guard(io, () => SpeechSynth(io, parse.GetValue(synthOut)!, new SpeechSynthOptions
        {
            PerWord = parse.GetValue(perWord), Seed = parse.GetValue(seed), Jobs = parse.GetValue(jobs) ?? Environment.ProcessorCount,
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

        var imageFiles = new Argument<string[]>("files") { Description = "Pictures (PNG, JPEG, GIF, BMP, TIFF, WebP, TGA, PBM), or folders of them (searched recursively)", Arity = ArgumentArity.OneOrMore };
        var like = new Option<string>("--like") { Description = "The model whose training files to imitate: its image size and encoding (from the model file)", Required = true };
        var imageEncoding = new Option<string?>("--encoding") { Description = "The encoding to write, for a model trained on several (default: the model's one encoding)" };
        var imageOut = new Option<string>("--out") { Description = "Folder for the converted files, with the inputs' folder layout (created; existing files are never overwritten)", Required = true };
        var images = new Command("images", "Convert any picture to a model's training format (size, gray, encoding), as 'data audio' does for sound")
        {
            imageFiles, like, imageEncoding, imageOut,
        };
        images.SetAction(parse => ErrorReporter.Guard(io, () => ConvertImages(io, parse.GetValue(imageFiles)!, parse.GetValue(like)!,
            parse.GetValue(imageEncoding), parse.GetValue(imageOut)!)));
        command.Add(images);
        return command;
    }

    private static readonly string[] PictureExtensions = [".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".webp", ".tga", ".pbm", ".pgm", ".ppm"];

    private static int ConvertImages(CliIO io, string[] inputs, string modelPath, string? encodingName, string output)
    {
        ImageEncoding encoding;
        (int Width, int Height) size;
        using (var model = ModelFile.Load(modelPath))
        {
            size = model.Contract.ImageSize
                   ?? throw new ByteFormerException($"{modelPath} records no image size: it was not trained on images made by this program");
            var trained = model.Contract.Encodings.All.OfType<ImageEncoding>().ToList();
            if (encodingName is not null)
            {
                encoding = FileEncodings.Parse<ImageEncoding>(encodingName, EncodingKind.Image);
                if (trained.Count > 0 && !trained.Any(e => e.Name == encoding.Name))
                    throw new ByteFormerException($"{modelPath} was trained on {model.Contract.Encodings}, not {encoding}");
            }
            else if (trained.Count == 1) encoding = trained[0];
            else if (trained.Count == 0) throw new ByteFormerException($"{modelPath} records no image encoding: name one with --encoding");
            else throw new ByteFormerException($"{modelPath} was trained on several encodings ({model.Contract.Encodings}): choose one with --encoding");
        }
        // (input file, path under --out without extension)
        var files = new List<(string File, string Relative)>();
        foreach (var input in inputs)
        {
            if (Directory.Exists(input))
            {
                var root = Path.GetFullPath(input);
                foreach (var f in FileWalker.Files(input, note => io.Err.WriteLine($"byteformer: {note}")).Order(StringComparer.Ordinal))
                    if (PictureExtensions.Contains(Path.GetExtension(f).ToLowerInvariant()))
                        files.Add((f, Path.ChangeExtension(Path.GetRelativePath(root, Path.GetFullPath(f)), null)));
            }
            else if (File.Exists(input)) files.Add((input, Path.GetFileNameWithoutExtension(input)));
            else throw new ByteFormerException($"{input}: no such file or folder");
        }
        if (files.Count == 0) throw new ByteFormerException("no pictures found (by extension: " + string.Join(" ", PictureExtensions) + ")");
        // Decode everything first, so a bad picture stops the command before anything is written.
        var pictures = files.Select(f => Codecs.ImageDecoder.DecodeToGray(ReadBounded(f.File), size.Width, size.Height, f.File)).ToList();
        var targets = files.Select(f => Path.Combine(output, f.Relative + encoding.Extension)).ToList();
        if (targets.GroupBy(t => t, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } twice)
            throw new ByteFormerException($"two inputs would both become {twice.Key}; convert them into different folders");
        if (targets.FirstOrDefault(File.Exists) is { } existing)
            throw new ByteFormerException($"{existing} already exists; choose another --out or remove it");
        for (var i = 0; i < files.Count; i++)
        {
            var data = encoding.Encode(pictures[i]);
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(targets[i]))!);
            AtomicFile.Write(targets[i], s => s.Write(data));
        }
        io.Out.WriteLine($"Wrote {files.Count:N0} {encoding} files of {size.Width}x{size.Height} gray pixels to {output}");
        return 0;
    }

    /// <summary>A picture's bytes, refusing one too large to be a picture worth converting (a decoder would need its pixels in memory).</summary>
    private static byte[] ReadBounded(string path)
    {
        const long MostBytes = 256L << 20;
        var length = new FileInfo(path).Length;
        if (length > MostBytes) throw new ByteFormerException($"{path}: {length:N0} bytes is larger than the {MostBytes >> 20} MB a picture may have here");
        return File.ReadAllBytes(path);
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

    /// <summary>What writes the files: an encoding (the same bytes for the same image), or a pool writer whose options are drawn per image (seeded by split and index).</summary>
    private sealed class FileFormat
    {
        private readonly ImageEncoding? encoding;
        private readonly IImageWriter? writer;
        public FileFormat(ImageEncoding encoding) => this.encoding = encoding;
        public FileFormat(IImageWriter writer) => this.writer = writer;
        public string Extension => (encoding ?? new ImageEncoding(writer!.Format)).Extension;
        public byte[] Write(PixelImage image, int split, int index) =>
            encoding?.Encode(image) ?? writer!.Write(image, new Random(Seeds.Mix(split, index, 0xDA7A)));
        public override string ToString() => encoding?.ToString() ?? writer!.Name;
    }

    private static int FashionMnistFiles(CliIO io, FileFormat encoding, string output, string root, int? limit)
    {
        if (Directory.Exists(output) || File.Exists(output))
            throw new ByteFormerException($"{output} already exists; choose another --out or remove it");
        var full = Path.GetFullPath(output);
        var partial = full + ".partial";
        if (Directory.Exists(partial)) Directory.Delete(partial, recursive: true);
        long files = 0, bytes = 0;
        foreach (var (split, splitIndex) in new[] { ("train", 0), ("test", 1) })
        {
            var set = FashionMnist.Load(split, root, limit);
            foreach (var name in set.ClassNames) Directory.CreateDirectory(Path.Combine(partial, split, name));
            for (var i = 0; i < set.Images.Count; i++)
            {
                var data = encoding.Write(set.Images[i], splitIndex, i);
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

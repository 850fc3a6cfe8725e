using System.CommandLine;
using ByteFormer.Bytes;
using ByteFormer.Cli.Output;

namespace ByteFormer.Cli.Commands;

/// <summary>
/// <c>byteformer keygen --out KEY</c> makes a secret byte permutation; <c>byteformer permute</c> applies it to
/// files, so the key holder can send a server files it never sees in plain bytes.
/// </summary>
internal static class KeyCommands
{
    public static Command Keygen(CliIO io)
    {
        var output = new Option<string>("--out") { Description = "Key file to create (never overwritten)", Required = true };
        var command = new Command("keygen", "Make a secret byte permutation (a key file) for training and predicting on obfuscated bytes") { output };
        command.SetAction(parse => ErrorReporter.Guard(io, () =>
        {
            var path = parse.GetValue(output)!;
            var key = BytePermutation.Generate();
            key.Save(path);
            io.Out.WriteLine($"Wrote {path} (fingerprint {key.Fingerprint}); keep it secret, and keep a copy: models trained with it need it to predict");
            return 0;
        }));
        return command;
    }

    public static Command Permute(CliIO io)
    {
        var key = new Option<string>("--byte-permutation") { Description = "Key file (or 'reference')", Required = true };
        var inputs = new Argument<string[]>("inputs") { Description = "Files or folders (folders are copied whole, with their layout)", Arity = ArgumentArity.OneOrMore };
        var output = new Option<string>("--out") { Description = "Folder to write the permuted files to (existing files are not replaced)", Required = true };
        var command = new Command("permute", "Permute the bytes of files with a key, for a model trained on permuted bytes") { inputs, key, output };
        command.SetAction(parse => ErrorReporter.Guard(io, () =>
            Run(io, BytePermutation.Load(parse.GetValue(key)!), parse.GetValue(inputs)!, parse.GetValue(output)!)));
        return command;
    }

    private static int Run(CliIO io, BytePermutation key, string[] inputs, string outDir)
    {
        var jobs = new List<(string Source, string Target)>();
        foreach (var input in inputs)
        {
            if (Directory.Exists(input))
            {
                var name = Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(input)));
                foreach (var file in Directory.EnumerateFiles(input, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
                    jobs.Add((file, Path.Combine(outDir, name, Path.GetRelativePath(input, file))));
            }
            else if (File.Exists(input)) jobs.Add((input, Path.Combine(outDir, Path.GetFileName(input))));
            else throw new ByteFormerException($"{input}: no such file or folder");
        }
        if (jobs.FirstOrDefault(j => File.Exists(j.Target)) is { Target: not null } clash)
            throw new ByteFormerException($"{clash.Target} already exists: choose an empty --out folder");
        foreach (var (source, target) in jobs)
        {
            byte[] bytes;
            try
            {
                bytes = File.ReadAllBytes(source);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new ByteFormerException($"{source}: cannot read ({e.Message})");
            }
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(target))!);
            var permuted = key.Permute(bytes);
            AtomicFile.Write(target, s => s.Write(permuted), overwrite: false);            // never a file that appeared meanwhile
        }
        io.Out.WriteLine($"Permuted {jobs.Count:N0} files into {outDir} with key {key.Fingerprint}");
        return 0;
    }
}

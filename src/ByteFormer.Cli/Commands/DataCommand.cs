using System.CommandLine;
using ByteFormer.Cli.Output;
using ByteFormer.Codecs;
using ByteFormer.Data;

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
        return command;
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
}

using System.Globalization;
using ByteFormer.Fuzz;

// Exit codes: 0 clean, 1 a defect (an escaped exception or a hang, each named on one line), 2 a usage error.
const string Usage = """
    usage: ByteFormer.Fuzz list
           ByteFormer.Fuzz seed [--out DIR] [--fixtures DIR]
           ByteFormer.Fuzz mutate TARGET|all [--execs N] [--seconds S] [--seed S] [--timeout-s T] [--corpus DIR] [--findings DIR]
           ByteFormer.Fuzz replay TARGET FILE...
           ByteFormer.Fuzz afl TARGET          (under afl-fuzz, with ByteFormer.Core.dll instrumented by sharpfuzz)
           ByteFormer.Fuzz libfuzzer TARGET    (under SharpFuzz's libfuzzer-dotnet driver)
    """;

try
{
    return args switch
    {
        ["list"] => List(),
        ["seed", .. var rest] => Seed(Options(rest)),
        ["mutate", var target, .. var rest] => Mutate(target, Options(rest)),
        ["replay", var target, .. var files] when files.Length > 0 => Replay(target, files),
        ["afl", var target] => Afl(target),
        ["libfuzzer", var target] => LibFuzzer(target),
        _ => UsageError(null),
    };
}
catch (ArgumentException e)
{
    return UsageError(e.Message);
}

static int UsageError(string? why)
{
    if (why is not null) Console.Error.WriteLine($"fuzz: {why}");
    Console.Error.WriteLine(Usage);
    return 2;
}

static Dictionary<string, string> Options(string[] rest)
{
    var options = new Dictionary<string, string>();
    for (var i = 0; i < rest.Length; i += 2)
    {
        if (!rest[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= rest.Length)
            throw new ArgumentException($"expected --NAME VALUE, got '{rest[i]}'");
        options[rest[i][2..]] = rest[i + 1];
    }
    return options;
}

static int List()
{
    foreach (var name in Targets.Names)
    {
        var target = Targets.Create(name);
        Console.WriteLine($"{name,-16} {target.Description}");
        (target as IDisposable)?.Dispose();
    }
    return 0;
}

static int Seed(Dictionary<string, string> options)
{
    var root = options.GetValueOrDefault("out") ?? Corpus.DefaultRoot();
    var fixtures = options.GetValueOrDefault("fixtures") ?? Corpus.FindUp(Path.Combine("shared", "fixtures", "corenet-byteformer"));
    Seeds.Write(root, fixtures);
    foreach (var dir in Directory.GetDirectories(root).Order())
        Console.WriteLine($"{Path.GetFileName(dir),-16} {string.Join(", ", Directory.GetFiles(dir).Order().Select(f => $"{Path.GetFileName(f)} ({new FileInfo(f).Length:N0} B)"))}");
    return 0;
}

static int Mutate(string name, Dictionary<string, string> options)
{
    long Long(string key, long fallback) => options.TryGetValue(key, out var v) ? long.Parse(v, CultureInfo.InvariantCulture) : fallback;
    var known = new[] { "execs", "seconds", "seed", "timeout-s", "corpus", "findings" };
    if (options.Keys.FirstOrDefault(k => !known.Contains(k)) is { } unknown) throw new ArgumentException($"unknown option --{unknown}");
    var root = options.GetValueOrDefault("corpus") ?? Corpus.DefaultRoot();
    // One thread for libtorch: the inputs are tiny, and a fuzzer should take one core, not all of them.
    TorchSharp.torch.set_num_threads(1);
    var names = name == "all" ? Targets.Names : [name];
    var failed = false;
    foreach (var targetName in names)
    {
        var target = Targets.Create(targetName);
        try
        {
            var run = new MutationRun
            {
                MaxExecs = Long("execs", 10_000),
                MaxSeconds = options.TryGetValue("seconds", out var s) ? double.Parse(s, CultureInfo.InvariantCulture) : null,
                Seed = (int)Long("seed", 1),
                Timeout = TimeSpan.FromSeconds(Long("timeout-s", 10)),
                FindingsDir = options.GetValueOrDefault("findings") ?? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(root))!, "findings"),
                Progress = Console.Error,
            };
            if (target is FileFuzzTarget file)
                Console.Error.WriteLine($"{targetName}: inputs go through {file.ScratchPath} (if this process dies, the input that killed it is there)");
            var report = run.Run(target, Corpus.Load(root, targetName));
            Console.WriteLine(report.Summary);
            foreach (var d in report.Defects)
                Console.WriteLine($"  DEFECT {d.Kind} ×{d.Count}: {d.Message}{(d.SavedAs is null ? "" : $" (first input: {d.SavedAs})")}");
            failed |= report.Defects.Count > 0;
        }
        finally
        {
            (target as IDisposable)?.Dispose();
        }
    }
    return failed ? 1 : 0;
}

static int Replay(string name, string[] files)
{
    var target = Targets.Create(name);
    var failed = false;
    try
    {
        foreach (var file in files)
        {
            try
            {
                Console.WriteLine($"{file}: {target.Execute(File.ReadAllBytes(file)).ToString().ToLowerInvariant()}");
            }
            catch (Exception e)
            {
                failed = true;
                Console.WriteLine($"{file}: DEFECT {MutationRun.Describe(e)}: {e.Message.Split('\n')[0]}");
                Console.Error.WriteLine(e);
            }
        }
    }
    finally
    {
        (target as IDisposable)?.Dispose();
    }
    return failed ? 1 : 0;
}

static int Afl(string name)
{
    var target = Targets.Create(name);
    // Persistent mode: afl-fuzz feeds input after input to this one process; an escaping exception is a crash.
    SharpFuzz.Fuzzer.Run(stream =>
    {
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        target.Run(copy.GetBuffer().AsSpan(0, (int)copy.Length));
    });
    return 0;
}

static int LibFuzzer(string name)
{
    var target = Targets.Create(name);
    SharpFuzz.Fuzzer.LibFuzzer.Run(span => target.Run(span));
    return 0;
}

using ByteFormer.Fuzz;

namespace ByteFormer.Tests.Fuzz;

/// <summary>
/// The fuzz targets in CI: each runs a bounded, seeded mutation campaign over its seed corpus (fuzz/corpus) and
/// must end with no defect (no exception but the documented refusal of one clear line, no input over 10 s).
/// Long runs are scripts/fuzz.sh; docs/fuzzing.md has their figures.
/// </summary>
public class FuzzTargetsTests
{
    public static TheoryData<string, int> Campaigns => new()
    {
        // Inputs per target: a few seconds each on a loaded 2-core machine (the ones that build networks are slower).
        { "safetensors", 3000 }, { "torch-zip", 1500 }, { "torch-pickle", 1500 }, { "model-file", 600 },
        { "corenet-config", 1500 }, { "key-file", 1500 }, { "wav", 5000 }, { "image-header", 5000 }, { "idx", 5000 },
        { "checkpoint", 600 }, { "multipart", 3000 },
    };

    [Theory]
    [MemberData(nameof(Campaigns))]
    public void A_seeded_campaign_finds_no_defect(string name, int execs)
    {
        var target = Targets.Create(name);
        try
        {
            var report = new MutationRun { MaxExecs = execs, Seed = 20261201, Timeout = TimeSpan.FromSeconds(10) }
                .Run(target, Corpus.Load(Repo.File("fuzz/corpus"), name));
            Assert.True(report.Defects.Count == 0,
                $"{report.Summary}\n" + string.Join("\n", report.Defects.Select(d => $"{d.Kind} ×{d.Count}: {d.Message}")));
            Assert.Equal(execs, report.Execs);
            Assert.True(report.Accepted > 0, $"{name}: no mutated input was read at all; the corpus or target is broken ({report.Summary})");
            if (name != "image-header")
                Assert.True(report.Refused > 0, $"{name}: nothing was refused; the mutations do not reach the loader ({report.Summary})");
        }
        finally
        {
            (target as IDisposable)?.Dispose();
        }
    }

    [Fact]
    public void Every_target_has_a_seed_its_loader_reads()
    {
        foreach (var name in Targets.Names)
        {
            var target = Targets.Create(name);
            try
            {
                var outcomes = Corpus.Load(Repo.File("fuzz/corpus"), name).Select(seed => target.Execute(seed)).ToList();
                Assert.Contains(Outcome.Accepted, outcomes);
            }
            finally
            {
                (target as IDisposable)?.Dispose();
            }
        }
    }

    [Fact]
    public void The_same_seed_gives_the_same_inputs()
    {
        var corpus = Corpus.Load(Repo.File("fuzz/corpus"), "wav");
        var a = new Mutator(corpus, [], 5);
        var b = new Mutator(corpus, [], 5);
        for (var i = 0; i < 200; i++) Assert.True(a.Next().SequenceEqual(b.Next()), $"input {i} differs");
    }

    [Fact]
    public void An_escaping_exception_is_reported_as_a_defect_with_its_input()
    {
        using var dir = new ByteFormer.Tests.Cli.TempDir();
        var report = new MutationRun { MaxExecs = 50, FindingsDir = dir.Path }.Run(new Throwing(), [[1, 2, 3]]);
        var defect = Assert.Single(report.Defects);
        Assert.StartsWith("KeyNotFoundException", defect.Kind);
        Assert.Equal(50, defect.Count);
        Assert.True(File.Exists(defect.SavedAs), defect.SavedAs);
    }

    [Fact]
    public void A_refusal_of_more_than_one_line_is_a_defect()
    {
        var target = new Refusing("first line\nsecond line");
        Assert.Throws<UnclearRefusalException>(() => target.Run([0]));
        Assert.Equal(Outcome.Refused, new Refusing("one clear line").Execute([0]));
    }

    private sealed class Throwing : FuzzTarget
    {
        public override string Name => "throwing";
        public override string Description => "throws KeyNotFoundException";
        protected override void Load(ReadOnlySpan<byte> input) => throw new KeyNotFoundException("no such key");
    }

    private sealed class Refusing(string message) : FuzzTarget
    {
        public override string Name => "refusing";
        public override string Description => "refuses";
        protected override void Load(ReadOnlySpan<byte> input) => throw new ByteFormerException(message);
    }
}

using System.Diagnostics;
using System.Security.Cryptography;

namespace ByteFormer.Fuzz;

/// <summary>An input that broke a target's contract: an exception other than the refusal, or a hang.</summary>
/// <param name="Kind">The exception's type and the frame it came from, or "hang".</param>
/// <param name="Message">The first line of its message.</param>
/// <param name="Count">How many inputs broke it this way.</param>
/// <param name="SavedAs">Where the first such input was written, or null when no findings folder was given.</param>
public sealed record Defect(string Kind, string Message, int Count, string? SavedAs);

/// <summary>What a bounded run of a target did.</summary>
public sealed record FuzzReport(string Target, long Execs, double Seconds, long Accepted, long Refused, double SlowestSeconds,
    IReadOnlyDictionary<string, long> RefusalTypes, IReadOnlyList<Defect> Defects)
{
    /// <summary>Inputs a second.</summary>
    public double ExecsPerSecond => Seconds > 0 ? Execs / Seconds : 0;

    /// <summary>The report's one line (the figure scripts/fuzz.sh and docs/fuzzing.md quote).</summary>
    public string Summary =>
        $"{Target}: {Execs:N0} execs in {Seconds:N1} s ({ExecsPerSecond:N0}/s), {Accepted:N0} read, {Refused:N0} refused " +
        $"({string.Join(", ", RefusalTypes.OrderByDescending(kv => kv.Value).Select(kv => $"{kv.Key} {kv.Value:N0}"))}), " +
        $"slowest {SlowestSeconds * 1000:N0} ms, {(Defects.Count == 0 ? "no defects" : $"{Defects.Count} DEFECT(S)")}";
}

/// <summary>
/// Runs a target over mutated corpus inputs in this process, with a watchdog: an input running past the
/// timeout is a hang (saved, reported, and the process exits 1 if it never returns). Every exception that
/// escapes <see cref="FuzzTarget.Execute"/> is a defect: its first input is saved, the run goes on.
/// </summary>
public sealed class MutationRun
{
    /// <summary>Most inputs; the run stops at this or <see cref="MaxSeconds"/>, whichever comes first.</summary>
    public long MaxExecs { get; init; } = 10_000;
    /// <summary>Most seconds of fuzzing; null for no limit.</summary>
    public double? MaxSeconds { get; init; }
    /// <summary>The mutator's seed: the same seed and corpus give the same inputs.</summary>
    public int Seed { get; init; } = 1;
    /// <summary>An input running longer than this is a hang.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>Where inputs that break a target are written (TARGET/KIND-HASH.bin); null writes nothing.</summary>
    public string? FindingsDir { get; init; }
    /// <summary>Progress lines (every 30 s), or null for none.</summary>
    public TextWriter? Progress { get; init; }

    private byte[] current = [];
    private int currentLength;
    private long currentStart;                                                   // Stopwatch ticks; 0 when idle
    private volatile bool hung;

    /// <summary>Runs <paramref name="target"/> over mutations of <paramref name="corpus"/>.</summary>
    public FuzzReport Run(FuzzTarget target, IReadOnlyList<byte[]> corpus)
    {
        if (corpus.Count == 0) throw new ArgumentException($"no seed inputs for {target.Name}");
        var mutator = new Mutator(corpus, target.Dictionary, Seed);
        var refusals = new Dictionary<string, long>();
        var defects = new Dictionary<string, (string Message, int Count, string? SavedAs)>();
        long execs = 0, accepted = 0, refused = 0;
        double slowest = 0;
        var clock = Stopwatch.StartNew();
        var lastProgress = 0.0;
        using var stop = new CancellationTokenSource();
        var watchdog = new Thread(() => Watch(target, stop.Token)) { IsBackground = true, Name = "fuzz watchdog" };
        watchdog.Start();
        try
        {
            while (execs < MaxExecs && (MaxSeconds is not { } limit || clock.Elapsed.TotalSeconds < limit))
            {
                var input = mutator.Next();
                Hold(input);
                var started = Stopwatch.GetTimestamp();
                Volatile.Write(ref currentStart, started);
                try
                {
                    if (target.Execute(input) == Outcome.Accepted) accepted++;
                    else
                    {
                        refused++;
                        Count(refusals, target.LastRefusal ?? "?");
                    }
                }
                catch (Exception e)
                {
                    if (e is UnclearRefusalException { InnerException: { } refusal }) Count(refusals, refusal.GetType().Name);
                    Record(defects, target, Describe(e), FirstLine(e.Message));
                }
                Volatile.Write(ref currentStart, 0);
                var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
                slowest = Math.Max(slowest, seconds);
                if (hung || seconds > Timeout.TotalSeconds)
                {
                    hung = false;
                    Record(defects, target, "hang", $"ran {seconds:N1} s (limit {Timeout.TotalSeconds:N0} s)");
                }
                execs++;
                if (Progress is not null && clock.Elapsed.TotalSeconds - lastProgress >= 30)
                {
                    lastProgress = clock.Elapsed.TotalSeconds;
                    Progress.WriteLine($"{target.Name}: {execs:N0} execs, {lastProgress:N0} s, {execs / lastProgress:N0}/s, {defects.Count} defect(s)");
                }
            }
        }
        finally
        {
            stop.Cancel();
        }
        return new FuzzReport(target.Name, execs, clock.Elapsed.TotalSeconds, accepted, refused, slowest, refusals,
            defects.Select(kv => new Defect(kv.Key, kv.Value.Message, kv.Value.Count, kv.Value.SavedAs)).ToList());

        void Count(Dictionary<string, long> counts, string key) => counts[key] = counts.GetValueOrDefault(key) + 1;
    }

    /// <summary>Keeps a copy of the input in progress for the watchdog (the mutator reuses its buffer).</summary>
    private void Hold(ReadOnlySpan<byte> input)
    {
        if (current.Length < input.Length) current = new byte[Math.Max(input.Length, current.Length * 2)];
        input.CopyTo(current);
        currentLength = input.Length;
    }

    private void Watch(FuzzTarget target, CancellationToken stop)
    {
        while (!stop.WaitHandle.WaitOne(250))
        {
            var started = Volatile.Read(ref currentStart);
            if (started == 0) continue;
            var running = Stopwatch.GetElapsedTime(started);
            if (running <= Timeout) continue;
            hung = true;
            if (running <= 2 * Timeout + TimeSpan.FromSeconds(5)) continue;
            // Still running at twice the limit: it may never return, so say so and end the process.
            var saved = Save(target, "hang", current.AsSpan(0, currentLength));
            Console.Error.WriteLine($"fuzz: HANG in {target.Name}: an input has run {running.TotalSeconds:N0} s (limit {Timeout.TotalSeconds:N0} s)" +
                                    (saved is null ? "" : $"; saved as {saved}"));
            Environment.Exit(1);
        }
    }

    private void Record(Dictionary<string, (string Message, int Count, string? SavedAs)> defects, FuzzTarget target, string kind, string message)
    {
        if (defects.TryGetValue(kind, out var known))
        {
            defects[kind] = known with { Count = known.Count + 1 };
            return;
        }
        var saved = Save(target, kind, current.AsSpan(0, currentLength));
        defects[kind] = (message, 1, saved);
        Progress?.WriteLine($"{target.Name}: DEFECT {kind}: {message}{(saved is null ? "" : $" (input saved as {saved})")}");
    }

    private string? Save(FuzzTarget target, string kind, ReadOnlySpan<byte> input)
    {
        if (FindingsDir is null) return null;
        var dir = Path.Combine(FindingsDir, target.Name);
        Directory.CreateDirectory(dir);
        var safe = new string(kind.Select(c => char.IsLetterOrDigit(c) || c is '.' or '-' ? c : '_').ToArray());
        if (safe.Length > 80) safe = safe[..80];
        var path = Path.Combine(dir, $"{safe}-{Convert.ToHexStringLower(SHA256.HashData(input))[..12]}.bin");
        File.WriteAllBytes(path, input.ToArray());
        return path;
    }

    /// <summary>The exception's type and the first frame of this project it passed through: what tells two defects apart.</summary>
    public static string Describe(Exception e)
    {
        var frame = new StackTrace(e, false).GetFrames()
            .Select(f => f.GetMethod())
            .FirstOrDefault(m => m?.DeclaringType?.Namespace?.StartsWith("ByteFormer", StringComparison.Ordinal) == true
                                 && m.DeclaringType.Namespace != "ByteFormer.Fuzz");
        var where = frame is null ? "" : $" at {frame.DeclaringType!.Name}.{frame.Name}";
        return e.GetType().Name + where;
    }

    private static string FirstLine(string message)
    {
        var line = message.Split('\n')[0].Trim();
        return line.Length > 300 ? line[..300] + "…" : line;
    }
}

using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;

namespace ByteFormer.Service;

/// <summary>What <see cref="LoadTest.RunAsync"/> sends: C clients, each posting one file per request, back to back.</summary>
public sealed record LoadTestOptions
{
    /// <summary>The service, e.g. http://127.0.0.1:8080/. Loopback only: this is a tool for one's own machine.</summary>
    public required Uri Service { get; init; }

    /// <summary>The model's name in the service.</summary>
    public required string Model { get; init; }

    /// <summary>The files sent, in turn (read into memory once).</summary>
    public required IReadOnlyList<string> Files { get; init; }

    /// <summary>Clients, each with one request in flight at a time.</summary>
    public int Concurrency { get; init; } = 16;

    /// <summary>How long the measured part runs, at most.</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The most requests in the measured part; null: as many as fit in <see cref="Duration"/>.</summary>
    public long? MaxRequests { get; init; }

    /// <summary>Load sent before measuring, so that JIT and first-call costs are not counted.</summary>
    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>A client gives up on a request after this long (it counts as "timeout").</summary>
    public TimeSpan ClientTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The server's process id, to read its memory from /proc; null to skip.</summary>
    public int? ServerPid { get; init; }

    /// <summary>The limits that keep a load test a bounded thing.</summary>
    public const int MaxConcurrency = 2000, MaxFiles = 10_000;

    /// <summary>The longest measured part.</summary>
    public static readonly TimeSpan MaxDuration = TimeSpan.FromHours(1);
}

/// <summary>The figures of one load test.</summary>
/// <param name="Concurrency">Clients.</param>
/// <param name="Seconds">Length of the measured part.</param>
/// <param name="Requests">Requests answered (or failed) in it.</param>
/// <param name="Classified">Files answered with a class (status 200).</param>
/// <param name="FilesPerSecond">Classified files per second.</param>
/// <param name="P50Ms">Median latency of the answered (200) requests.</param>
/// <param name="P95Ms">95th percentile.</param>
/// <param name="P99Ms">99th percentile.</param>
/// <param name="MaxMs">The slowest request of any status.</param>
/// <param name="Statuses">Requests by outcome: the HTTP status ("200", "429"), "timeout" or "connection".</param>
/// <param name="ServerStart">The server's memory before the measured part.</param>
/// <param name="ServerEnd">Its memory after it.</param>
/// <param name="ServerMaxRssBytes">The most resident memory sampled during it (every 200 ms).</param>
public sealed record LoadTestReport(int Concurrency, double Seconds, long Requests, long Classified, double FilesPerSecond,
    double P50Ms, double P95Ms, double P99Ms, double MaxMs, IReadOnlyDictionary<string, long> Statuses,
    ProcessMemory? ServerStart, ProcessMemory? ServerEnd, long? ServerMaxRssBytes)
{
    /// <summary>Requests that did not get a 200.</summary>
    public long Errors => Statuses.Where(kv => kv.Key != "200").Sum(kv => kv.Value);
}

/// <summary>
/// <c>byteformer loadtest</c>: C concurrent clients posting files to a service on this machine for S seconds (or N
/// requests), with files/s, latency percentiles, outcomes by status, and the server's memory from /proc.
/// </summary>
public static class LoadTest
{
    /// <summary>Runs the warm-up, then the measured part.</summary>
    /// <exception cref="ByteFormerException">A service that is not on loopback, bad bounds, or unreadable files.</exception>
    public static async Task<LoadTestReport> RunAsync(LoadTestOptions options, CancellationToken cancel = default)
    {
        Validate(options);
        var bodies = options.Files.Select(f =>
        {
            try
            {
                return File.ReadAllBytes(f);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new ByteFormerException($"{f}: cannot read ({e.Message})", e);
            }
        }).ToArray();
        var url = new Uri(options.Service, $"v1/models/{Uri.EscapeDataString(options.Model)}/classify?top_k=1");
        using var client = new HttpClient(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = options.Concurrency,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            UseProxy = false,
            AutomaticDecompression = DecompressionMethods.None,
        })
        { Timeout = options.ClientTimeout };

        if (options.Warmup > TimeSpan.Zero)
            await RunClientsAsync(client, url, bodies, options.Concurrency, options.Warmup, null, cancel);
        var start = options.ServerPid is { } pid ? ProcessMemory.Read(pid) : null;
        using var sampling = new CancellationTokenSource();
        var sampler = options.ServerPid is { } p ? SampleRssAsync(p, sampling.Token) : Task.FromResult<long?>(null);
        var watch = Stopwatch.StartNew();
        var clients = await RunClientsAsync(client, url, bodies, options.Concurrency, options.Duration, options.MaxRequests, cancel);
        var seconds = watch.Elapsed.TotalSeconds;
        sampling.Cancel();
        var maxRss = await sampler;
        var end = options.ServerPid is { } q ? ProcessMemory.Read(q) : null;

        var ok = clients.SelectMany(c => c.OkMs).ToArray();
        Array.Sort(ok);
        var statuses = clients.SelectMany(c => c.Statuses).GroupBy(kv => kv.Key).ToDictionary(g => g.Key, g => g.Sum(kv => kv.Value));
        var requests = statuses.Values.Sum();
        return new LoadTestReport(options.Concurrency, seconds, requests, ok.Length, ok.Length / seconds,
            Percentile(ok, 0.50), Percentile(ok, 0.95), Percentile(ok, 0.99), clients.Max(c => c.MaxMs), statuses, start, end,
            maxRss is { } m && end is { } e ? Math.Max(m, e.ResidentBytes) : maxRss);
    }

    private static void Validate(LoadTestOptions o)
    {
        var host = o.Service.IdnHost;
        var loopback = host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
                       || (IPAddress.TryParse(host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address));
        if (!loopback) throw new ByteFormerException($"{o.Service}: the load test only sends to this machine (127.0.0.1, ::1 or localhost)");
        if (o.Service.Scheme != Uri.UriSchemeHttp) throw new ByteFormerException($"{o.Service}: the service speaks plain http");
        if (o.Concurrency is < 1 or > LoadTestOptions.MaxConcurrency)
            throw new ByteFormerException($"--concurrency must be 1 to {LoadTestOptions.MaxConcurrency}, got {o.Concurrency}");
        if (o.Duration <= TimeSpan.Zero || o.Duration > LoadTestOptions.MaxDuration)
            throw new ByteFormerException($"--seconds must be more than 0 and at most {LoadTestOptions.MaxDuration.TotalSeconds:0}, got {o.Duration.TotalSeconds}");
        if (o.MaxRequests is < 1) throw new ByteFormerException($"--requests must be at least 1, got {o.MaxRequests}");
        if (o.Warmup < TimeSpan.Zero || o.Warmup > TimeSpan.FromMinutes(5)) throw new ByteFormerException("--warmup-s must be 0 to 300");
        if (o.Files.Count is 0 or > LoadTestOptions.MaxFiles)
            throw new ByteFormerException($"the load test needs 1 to {LoadTestOptions.MaxFiles} files, got {o.Files.Count}");
    }

    private sealed class ClientTally
    {
        public readonly List<double> OkMs = new(4096);
        public readonly Dictionary<string, long> Statuses = new();
        public double MaxMs;

        public void Add(string status, double ms)
        {
            Statuses[status] = Statuses.GetValueOrDefault(status) + 1;
            if (status == "200") OkMs.Add(ms);
            MaxMs = Math.Max(MaxMs, ms);
        }
    }

    private static async Task<ClientTally[]> RunClientsAsync(HttpClient client, Uri url, byte[][] bodies, int concurrency, TimeSpan duration,
        long? maxRequests, CancellationToken cancel)
    {
        var until = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        long issued = 0;
        var contentType = new MediaTypeHeaderValue("application/octet-stream");
        async Task<ClientTally> OneClient()
        {
            var tally = new ClientTally();
            await Task.Yield();
            while (!cancel.IsCancellationRequested && Stopwatch.GetTimestamp() < until)
            {
                var n = Interlocked.Increment(ref issued);
                if (n > maxRequests) break;
                var content = new ByteArrayContent(bodies[n % bodies.Length]);
                content.Headers.ContentType = contentType;
                var started = Stopwatch.GetTimestamp();
                string status;
                try
                {
                    using var response = await client.PostAsync(url, content, cancel);
                    var body = await response.Content.ReadAsByteArrayAsync(cancel);
                    status = ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture);
                    // A 200 must carry a class; anything else is the service's fault, not a success.
                    if (status == "200" && body.AsSpan().IndexOf("\"label\""u8) < 0) status = "200-without-label";
                }
                catch (TaskCanceledException) when (!cancel.IsCancellationRequested)
                {
                    status = "timeout";
                }
                catch (HttpRequestException)
                {
                    status = "connection";
                }
                tally.Add(status, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
            return tally;
        }
        return await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => OneClient()));
    }

    private static async Task<long?> SampleRssAsync(int pid, CancellationToken stop)
    {
        long? max = null;
        while (true)
        {
            if (ProcessMemory.Read(pid) is { } m) max = Math.Max(max ?? 0, m.ResidentBytes);
            try
            {
                await Task.Delay(200, stop);
            }
            catch (OperationCanceledException)
            {
                return max;
            }
        }
    }

    private static double Percentile(double[] sorted, double q) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(q * sorted.Length) - 1)];
}

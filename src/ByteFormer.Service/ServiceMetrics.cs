using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace ByteFormer.Service;

/// <summary>
/// The service's counters, written as Prometheus text (exposition format 0.0.4) at <c>/metrics</c>: requests by route
/// and status, their latency, files by model and outcome, forward passes by batch size and time, and queue depth.
/// Lock-free (Interlocked) so that counting costs the request path almost nothing.
/// </summary>
public sealed class ServiceMetrics
{
    private static readonly double[] LatencyBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
    private static readonly double[] BatchBuckets = [1, 2, 4, 8, 16, 32, 64, 128, 256];

    private readonly ConcurrentDictionary<(string Route, int Status), Counter> requests = new();
    private readonly ConcurrentDictionary<string, Histogram> latency = new();
    private readonly ConcurrentDictionary<(string Model, string Outcome), Counter> files = new();
    private readonly ConcurrentDictionary<string, Histogram> batchSize = new();
    private readonly ConcurrentDictionary<string, Histogram> forwardSeconds = new();

    /// <summary>One answered request: its route pattern (low cardinality), status and time taken.</summary>
    public void ObserveRequest(string route, int status, double seconds)
    {
        requests.GetOrAdd((route, status), _ => new Counter()).Add(1);
        latency.GetOrAdd(route, _ => new Histogram(LatencyBuckets)).Observe(seconds);
    }

    /// <summary>Files of one request for <paramref name="model"/>: "classified", "rejected" (no room), "error", "timeout".</summary>
    public void CountFiles(string model, string outcome, int count) =>
        files.GetOrAdd((model, outcome), _ => new Counter()).Add(count);

    /// <summary>One forward pass of <paramref name="size"/> files.</summary>
    public void ObserveBatch(string model, int size, double seconds)
    {
        batchSize.GetOrAdd(model, _ => new Histogram(BatchBuckets)).Observe(size);
        forwardSeconds.GetOrAdd(model, _ => new Histogram(LatencyBuckets)).Observe(seconds);
    }

    /// <summary>The requests answered so far with <paramref name="status"/>, on every route.</summary>
    public long RequestsWithStatus(int status) => requests.Where(kv => kv.Key.Status == status).Sum(kv => kv.Value.Value);

    /// <summary>Everything, as Prometheus text; <paramref name="models"/> gives the queue gauges.</summary>
    public string ToPrometheusText(ModelRegistry models, long? residentBytes)
    {
        var text = new StringBuilder();
        Header(text, "byteformer_http_requests_total", "counter", "HTTP requests answered, by route and status.");
        foreach (var ((route, status), c) in requests.OrderBy(kv => kv.Key.Route).ThenBy(kv => kv.Key.Status))
            text.Append($"byteformer_http_requests_total{{route=\"{Escape(route)}\",status=\"{status}\"}} {c.Value}\n");
        Header(text, "byteformer_http_request_duration_seconds", "histogram", "Time from a request's arrival to its answer.");
        foreach (var (route, h) in latency.OrderBy(kv => kv.Key))
            h.Write(text, "byteformer_http_request_duration_seconds", $"route=\"{Escape(route)}\"");
        Header(text, "byteformer_files_total", "counter", "Files by model and outcome (classified, error, rejected, timeout).");
        foreach (var ((model, outcome), c) in files.OrderBy(kv => kv.Key.Model).ThenBy(kv => kv.Key.Outcome))
            text.Append($"byteformer_files_total{{model=\"{Escape(model)}\",outcome=\"{outcome}\"}} {c.Value}\n");
        Header(text, "byteformer_batch_size", "histogram", "Files per forward pass.");
        foreach (var (model, h) in batchSize.OrderBy(kv => kv.Key))
            h.Write(text, "byteformer_batch_size", $"model=\"{Escape(model)}\"");
        Header(text, "byteformer_forward_seconds", "histogram", "Time of one forward pass.");
        foreach (var (model, h) in forwardSeconds.OrderBy(kv => kv.Key))
            h.Write(text, "byteformer_forward_seconds", $"model=\"{Escape(model)}\"");
        Header(text, "byteformer_queue_depth", "gauge", "Files waiting for a forward pass.");
        foreach (var m in models.Models) text.Append($"byteformer_queue_depth{{model=\"{Escape(m.Name)}\"}} {m.Queue.Depth}\n");
        Header(text, "byteformer_queue_capacity", "gauge", "The most files that may wait (--queue).");
        foreach (var m in models.Models) text.Append($"byteformer_queue_capacity{{model=\"{Escape(m.Name)}\"}} {m.Queue.Capacity}\n");
        if (residentBytes is { } rss)
        {
            Header(text, "process_resident_memory_bytes", "gauge", "Resident memory of the service process.");
            text.Append($"process_resident_memory_bytes {rss}\n");
        }
        return text.ToString();
    }

    private static void Header(StringBuilder text, string name, string type, string help) =>
        text.Append($"# HELP {name} {help}\n# TYPE {name} {type}\n");

    private static string Escape(string label) => label.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n");

    private static string Number(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    private sealed class Counter
    {
        private long value;
        public long Value => Interlocked.Read(ref value);
        public void Add(long n) => Interlocked.Add(ref value, n);
    }

    /// <summary>A cumulative histogram as Prometheus keeps it: counts per upper bound, their sum and count.</summary>
    private sealed class Histogram(double[] bounds)
    {
        private readonly long[] counts = new long[bounds.Length + 1];
        private long sumMicros, count;

        public void Observe(double value)
        {
            var i = Array.BinarySearch(bounds, value);
            Interlocked.Increment(ref counts[i >= 0 ? i : ~i]);
            Interlocked.Add(ref sumMicros, (long)(value * 1e6));
            Interlocked.Increment(ref count);
        }

        public void Write(StringBuilder text, string name, string labels)
        {
            long cumulative = 0;
            for (var i = 0; i < bounds.Length; i++)
            {
                cumulative += Interlocked.Read(ref counts[i]);
                text.Append($"{name}_bucket{{{labels},le=\"{Number(bounds[i])}\"}} {cumulative}\n");
            }
            cumulative += Interlocked.Read(ref counts[^1]);
            text.Append($"{name}_bucket{{{labels},le=\"+Inf\"}} {cumulative}\n");
            text.Append($"{name}_sum{{{labels}}} {Number(Interlocked.Read(ref sumMicros) / 1e6)}\n");
            text.Append($"{name}_count{{{labels}}} {Interlocked.Read(ref count)}\n");
        }
    }
}

using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using ByteFormer.Cli.Output;
using ByteFormer.Data;
using ByteFormer.Service;

namespace ByteFormer.Cli.Commands;

/// <summary><c>byteformer loadtest URL --model NAME --files PATH... [-c C] [--seconds S] [--requests N] [--server-pid PID] [--json]</c>.</summary>
internal static class LoadTestCommand
{
    public static Command Create(CliIO io)
    {
        var url = new Argument<string>("url") { Description = "The service, e.g. http://127.0.0.1:8080 (this machine only)" };
        var model = new Option<string>("--model") { Description = "The model's name in the service", Required = true };
        var files = new Option<string[]>("--files")
        {
            Description = "Files (or folders of files) to send in turn", Required = true, Arity = ArgumentArity.OneOrMore, AllowMultipleArgumentsPerToken = true,
        };
        var concurrency = new Option<int>("--concurrency", "-c") { Description = "Clients, each with one request in flight", DefaultValueFactory = _ => 16 };
        var seconds = new Option<double>("--seconds") { Description = "Length of the measured part, at most", DefaultValueFactory = _ => 10 };
        var requests = new Option<long?>("--requests") { Description = "Requests in the measured part, at most (default: as many as fit)" };
        var warmup = new Option<double>("--warmup-s") { Description = "Unmeasured load first", DefaultValueFactory = _ => 2 };
        var timeout = new Option<double>("--client-timeout-s") { Description = "A client gives up on a request after this long", DefaultValueFactory = _ => 60 };
        var serverPid = new Option<int?>("--server-pid") { Description = "The server's process id, to read its memory (VmRSS, VmHWM) from /proc (default: none, no memory figures)" };
        var json = new Option<bool>("--json") { Description = "Print one JSON object" };
        var command = new Command("loadtest", "Load a byteformer service on this machine: files/s, latency percentiles, errors by status, server memory")
        {
            url, model, files, concurrency, seconds, requests, warmup, timeout, serverPid, json,
        };
        command.SetAction(parse => ErrorReporter.Guard(io, () =>
        {
            var address = parse.GetValue(url)!;
            if (!Uri.TryCreate(address.EndsWith('/') ? address : address + "/", UriKind.Absolute, out var service))
                throw new ByteFormerException($"'{address}' is not a URL (e.g. http://127.0.0.1:8080)");
            var paths = parse.GetValue(files)!.SelectMany(f => Directory.Exists(f)
                ? FileWalker.Files(f, note => io.Err.WriteLine($"byteformer: {note}")).Order(StringComparer.Ordinal)
                : File.Exists(f) ? (IEnumerable<string>)[f] : throw new ByteFormerException($"{f}: no such file or folder")).ToList();
            var options = new LoadTestOptions
            {
                Service = service,
                Model = parse.GetValue(model)!,
                Files = paths,
                Concurrency = parse.GetValue(concurrency),
                Duration = Seconds(parse.GetValue(seconds), "--seconds"),
                MaxRequests = parse.GetValue(requests),
                Warmup = TimeSpan.FromSeconds(parse.GetValue(warmup)),
                ClientTimeout = Seconds(parse.GetValue(timeout), "--client-timeout-s"),
                ServerPid = parse.GetValue(serverPid),
            };
            if (options.ServerPid is { } pid && ProcessMemory.Read(pid) is null)
                throw new ByteFormerException($"--server-pid {pid}: no such process (or no /proc to read it from)");
            var report = LoadTest.RunAsync(options).GetAwaiter().GetResult();
            if (parse.GetValue(json)) io.Out.WriteLine(ToJson(report).ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            else Print(io, report);
            return 0;
        }));
        return command;
    }

    private static TimeSpan Seconds(double value, string option) =>
        value > 0 && value <= LoadTestOptions.MaxDuration.TotalSeconds ? TimeSpan.FromSeconds(value)
            : throw new ByteFormerException($"{option} must be more than 0 and at most {LoadTestOptions.MaxDuration.TotalSeconds:0}, got {value}");

    private static string Mb(long bytes) => $"{bytes / 1048576.0:F1} MB";

    private static void Print(CliIO io, LoadTestReport r)
    {
        io.Out.WriteLine($"clients {r.Concurrency}, {r.Seconds:F1} s, {r.Requests:N0} requests, {r.Classified:N0} files classified");
        io.Out.WriteLine($"files/s {r.FilesPerSecond:F1}");
        io.Out.WriteLine($"latency ms p50 {r.P50Ms:F2}  p95 {r.P95Ms:F2}  p99 {r.P99Ms:F2}  max {r.MaxMs:F1} (any status)");
        io.Out.WriteLine("status " + string.Join("  ", r.Statuses.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}: {kv.Value:N0}")));
        io.Out.WriteLine($"errors {r.Errors:N0}");
        if (r.ServerStart is { } s && r.ServerEnd is { } e)
            io.Out.WriteLine($"server RSS start {Mb(s.ResidentBytes)}  end {Mb(e.ResidentBytes)}  max sampled {Mb(r.ServerMaxRssBytes ?? e.ResidentBytes)}  peak (VmHWM) {Mb(e.PeakResidentBytes)}");
    }

    private static JsonObject ToJson(LoadTestReport r) => new()
    {
        ["concurrency"] = r.Concurrency,
        ["seconds"] = r.Seconds,
        ["requests"] = r.Requests,
        ["classified"] = r.Classified,
        ["files_per_s"] = r.FilesPerSecond,
        ["latency_ms"] = new JsonObject { ["p50"] = r.P50Ms, ["p95"] = r.P95Ms, ["p99"] = r.P99Ms, ["max_any_status"] = r.MaxMs },
        ["statuses"] = new JsonObject(r.Statuses.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))),
        ["errors"] = r.Errors,
        ["server_rss_bytes"] = r.ServerStart is { } s && r.ServerEnd is { } e
            ? new JsonObject { ["start"] = s.ResidentBytes, ["end"] = e.ResidentBytes, ["max_sampled"] = r.ServerMaxRssBytes, ["peak_vmhwm"] = e.PeakResidentBytes }
            : null,
    };
}

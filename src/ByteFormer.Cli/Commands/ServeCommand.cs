using System.CommandLine;
using System.Net;
using ByteFormer.Cli.Output;
using ByteFormer.Service;

namespace ByteFormer.Cli.Commands;

/// <summary><c>byteformer serve MODEL... [--host H] [--port P] [--max-upload-bytes N] [--max-batch B] [--max-delay-ms D] [--queue Q] [--api-key-file F]</c>.</summary>
internal static class ServeCommand
{
    public static Command Create(CliIO io)
    {
        var defaults = new ServiceOptions();
        var models = new Argument<string[]>("models")
        {
            Description = "Model files to serve, each named after its file (without the extension) or given as NAME=PATH",
            Arity = ArgumentArity.OneOrMore,
        };
        var host = new Option<string>("--host") { Description = "Address to listen on (loopback unless told; the service has no TLS)", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--port") { Description = "TCP port (0: any free one)", DefaultValueFactory = _ => defaults.Port };
        var maxUpload = new Option<long>("--max-upload-bytes") { Description = "Largest request body; larger ones get 413", DefaultValueFactory = _ => defaults.MaxUploadBytes };
        var maxBatch = new Option<int>("--max-batch") { Description = "Most files in one forward pass", DefaultValueFactory = _ => defaults.MaxBatch };
        var maxDelay = new Option<int>("--max-delay-ms") { Description = "How long a file waits for others to join its forward pass", DefaultValueFactory = _ => (int)defaults.MaxDelay.TotalMilliseconds };
        var queue = new Option<int>("--queue") { Description = "Files that may wait per model; a request that does not fit gets 429", DefaultValueFactory = _ => defaults.QueueCapacity };
        var timeout = new Option<double>("--timeout-s") { Description = "Time a request may take: body (else 408) and answer (else 503)", DefaultValueFactory = _ => defaults.RequestTimeout.TotalSeconds };
        var apiKeyFile = new Option<string?>("--api-key-file") { Description = "File holding the key that /v1/* and /metrics require (Authorization: Bearer KEY or X-API-Key: KEY); default: no key, loopback only unless --host" };
        var threads = CommonOptions.ThreadsOption("1: the HTTP server and its clients need the other cores");
        var command = new Command("serve", "Classify uploaded files over HTTP: a JSON API, metrics and a page at /")
        {
            models, host, port, maxUpload, maxBatch, maxDelay, queue, timeout, apiKeyFile, threads,
        };
        command.SetAction(parse => ErrorReporter.Guard(io, () =>
        {
            var delayMs = parse.GetValue(maxDelay);
            var timeoutS = parse.GetValue(timeout);
            if (delayMs < 0) throw new ByteFormerException($"--max-delay-ms must not be negative, got {delayMs}");
            if (!(timeoutS > 0)) throw new ByteFormerException($"--timeout-s must be positive, got {timeoutS}");
            var options = new ServiceOptions
            {
                Host = ParseHost(parse.GetValue(host)!),
                Port = parse.GetValue(port),
                MaxUploadBytes = parse.GetValue(maxUpload),
                MaxBatch = parse.GetValue(maxBatch),
                MaxDelay = TimeSpan.FromMilliseconds(delayMs),
                QueueCapacity = parse.GetValue(queue),
                RequestTimeout = TimeSpan.FromSeconds(timeoutS),
                ApiKey = parse.GetValue(apiKeyFile) is { } file ? ApiKey.FromFile(file) : null,
                Threads = parse.GetValue(threads),
            };
            return Run(io, parse.GetValue(models)!, options);
        }));
        return command;
    }

    private static IPAddress ParseHost(string host)
    {
        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase)) return IPAddress.Loopback;
        return IPAddress.TryParse(host, out var address) ? address
            : throw new ByteFormerException($"--host must be an IP address (127.0.0.1, ::1, 0.0.0.0) or localhost, got '{host}'");
    }

    private static int Run(CliIO io, string[] models, ServiceOptions options)
    {
        var service = ClassifierService.StartAsync(models, options, logWarnings: true).GetAwaiter().GetResult();
        try
        {
            var names = string.Join(", ", service.Models.Models.Select(m => m.Name));
            io.Err.WriteLine($"byteformer: serving {names} on {service.Address} (page: {service.Address}, API: {service.Address}v1/models); Ctrl+C stops");
            if (!IPAddress.IsLoopback(options.Host))
                io.Err.WriteLine($"byteformer: note: {options.Host} is reachable from other machines, without TLS{(options.ApiKey is null ? " and without a key" : "")}");
            service.WaitForShutdownAsync().GetAwaiter().GetResult();
        }
        finally
        {
            service.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
        return 0;
    }
}

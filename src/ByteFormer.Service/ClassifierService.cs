using System.Diagnostics;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ByteFormer.Service;

/// <summary>
/// <c>byteformer serve</c>: classifies uploaded files over HTTP (Kestrel, minimal APIs). Routes: <c>POST
/// /v1/models/{name}/classify</c>, <c>GET /v1/models</c>, <c>/healthz</c>, <c>/readyz</c>, <c>/metrics</c>,
/// <c>/openapi.json</c>, and the page at <c>/</c>. Files from all clients meet in each model's
/// <see cref="BatchingQueue"/>, whose one thread runs the forward passes.
/// </summary>
public sealed class ClassifierService : IAsyncDisposable
{
    /// <summary>Classes per file when a request gives no top_k.</summary>
    public const int DefaultTopK = 5;

    private readonly WebApplication app;
    private int disposed;

    private ClassifierService(WebApplication app, ModelRegistry models, ServiceMetrics metrics, ServiceOptions options)
    {
        this.app = app;
        Models = models;
        Metrics = metrics;
        Options = options;
    }

    /// <summary>The models served.</summary>
    public ModelRegistry Models { get; }

    /// <summary>The counters behind <c>/metrics</c>.</summary>
    public ServiceMetrics Metrics { get; }

    /// <summary>The options it runs with.</summary>
    public ServiceOptions Options { get; }

    /// <summary>Where it listens, e.g. <c>http://127.0.0.1:8080/</c> (the real port when <see cref="ServiceOptions.Port"/> is 0).</summary>
    public Uri Address { get; private set; } = null!;

    /// <summary>
    /// Loads the models, starts their batching threads and listens. Returns once requests are answered.
    /// </summary>
    /// <param name="modelSpecs">Model files, each a path or NAME=PATH.</param>
    /// <param name="options">Address, limits and batching.</param>
    /// <param name="logWarnings">Write ASP.NET's warnings and errors to the console (the CLI does; tests do not).</param>
    /// <exception cref="ByteFormerException">A bad option, a model that cannot be loaded, or an address that cannot be bound.</exception>
    public static async Task<ClassifierService> StartAsync(IReadOnlyList<string> modelSpecs, ServiceOptions options, bool logWarnings = false)
    {
        options.Validate();
        var metrics = new ServiceMetrics();
        var models = ModelRegistry.Open(modelSpecs, options, metrics);
        WebApplication? app = null;
        try
        {
            app = Build(options, logWarnings);
            var service = new ClassifierService(app, models, metrics, options);
            service.Map(app);
            try
            {
                await app.StartAsync();
            }
            catch (IOException e)
            {
                var why = e.InnerException is SocketException or IOException ? e.InnerException.Message : e.Message;
                var hint = e.InnerException?.GetType().Name == "AddressInUseException" ? " (another program holds it; choose another with --port)" : "";
                throw new ByteFormerException($"cannot listen on {Endpoint(options)}: {why.TrimEnd('.')}{hint}", e);
            }
            service.Address = new Uri(app.Urls.First().Replace("[::]", "localhost") + "/");
            return service;
        }
        catch
        {
            if (app is not null) await app.DisposeAsync();
            models.Dispose();
            throw;
        }
    }

    private static string Endpoint(ServiceOptions o) => o.Host.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{o.Host}]:{o.Port}" : $"{o.Host}:{o.Port}";

    private static WebApplication Build(ServiceOptions options, bool logWarnings)
    {
        // Slim: Kestrel and routing only. The content root is the program's folder, so no appsettings.json of the
        // caller's working folder changes the service.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory, Args = [] });
        builder.Logging.ClearProviders();
        if (logWarnings)
            builder.Logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning)
                // A failed start (port in use) is reported by StartAsync as one line; the host's own report is a stack trace.
                .AddFilter("Microsoft.Extensions.Hosting", LogLevel.None);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(5));
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(options.Host, options.Port);
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = options.MaxUploadBytes;
            // A client that sends its headers too slowly is dropped within the request timeout too.
            kestrel.Limits.RequestHeadersTimeout = options.RequestTimeout < TimeSpan.FromSeconds(30) ? options.RequestTimeout : TimeSpan.FromSeconds(30);
        });
        return builder.Build();
    }

    private void Map(WebApplication web)
    {
        var assets = new PageAssets();
        web.UseRouting();
        web.Use(ObserveAsync);
        if (Options.ApiKey is { } key) web.Use((context, next) => RequireKeyAsync(context, next, key));
        web.UseStatusCodePages(context => StatusWithoutBodyAsync(context.HttpContext));

        web.MapGet("/", context => assets.WriteAsync(context, "index.html"));
        foreach (var asset in PageAssets.Names.Where(n => n != "index.html" && n != "openapi.json"))
            web.MapGet("/" + asset, context => assets.WriteAsync(context, asset));
        web.MapGet("/openapi.json", context => assets.WriteAsync(context, "openapi.json"));
        web.MapGet("/healthz", context => ApiJson.WriteAsync(context, w =>
        {
            w.WriteStartObject();
            w.WriteString("status", "ok");
            w.WriteEndObject();
        }));
        web.MapGet("/readyz", ReadyAsync);
        web.MapGet("/metrics", async context =>
        {
            context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
            await context.Response.WriteAsync(Metrics.ToPrometheusText(Models, ProcessMemory.OfThisProcess()?.ResidentBytes));
        });
        web.MapGet("/v1/models", context => ApiJson.WriteAsync(context, w =>
        {
            w.WriteStartObject();
            w.WriteStartArray("models");
            foreach (var m in Models.Models) WriteModel(w, m);
            w.WriteEndArray();
            w.WriteEndObject();
        }));
        web.MapGet("/v1/models/{name}", (HttpContext context, string name) => Models.Find(name) is { } m
            ? ApiJson.WriteAsync(context, w => WriteModel(w, m))
            : UnknownModelAsync(context, name));
        web.MapPost("/v1/models/{name}/classify", ClassifyAsync);
    }

    private void WriteModel(System.Text.Json.Utf8JsonWriter w, ServedModel m)
    {
        w.WriteStartObject();
        w.WriteString("name", m.Name);
        w.WriteString("file", Path.GetFileName(m.Path));
        w.WriteStartArray("classes");
        foreach (var label in m.Labels) w.WriteStringValue(label);
        w.WriteEndArray();
        w.WriteString("encodings", m.Encodings);
        w.WriteNumber("byte_budget", m.ByteBudget);
        w.WriteNumber("max_batch", Options.MaxBatch);
        w.WriteNumber("queue_capacity", m.Queue.Capacity);
        w.WriteNumber("queue_depth", m.Queue.Depth);
        w.WriteNumber("torch_threads", m.Queue.TorchThreads);
        w.WriteEndObject();
    }

    private Task ReadyAsync(HttpContext context)
    {
        var stopping = context.RequestServices.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping.IsCancellationRequested;
        var ready = !stopping && Models.AllRunning;
        context.Response.StatusCode = ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable;
        return ApiJson.WriteAsync(context, w =>
        {
            w.WriteStartObject();
            w.WriteString("status", ready ? "ready" : stopping ? "stopping" : "a model's batching thread has stopped");
            w.WriteStartArray("models");
            foreach (var m in Models.Models) w.WriteStringValue(m.Name);
            w.WriteEndArray();
            w.WriteEndObject();
        });
    }

    private Task UnknownModelAsync(HttpContext context, string name) => ApiJson.WriteErrorAsync(context, StatusCodes.Status404NotFound,
        $"no model named '{name}'; this service has {string.Join(", ", Models.Models.Select(m => m.Name))}");

    private async Task ClassifyAsync(HttpContext context, string name)
    {
        if (Models.Find(name) is not { } model)
        {
            await UnknownModelAsync(context, name);
            return;
        }
        var topK = DefaultTopK;
        if (context.Request.Query["top_k"].FirstOrDefault() is { } text && (!int.TryParse(text, out topK) || topK < 1))
        {
            await ApiJson.WriteErrorAsync(context, StatusCodes.Status400BadRequest, $"top_k must be a whole number of at least 1, got '{text}'");
            return;
        }
        topK = Math.Min(topK, model.Labels.Count);

        // One clock for the whole request: its body must arrive, and its answer be ready, within the timeout.
        using var deadline = new CancellationTokenSource(Options.RequestTimeout);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, context.RequestAborted);
        IReadOnlyList<UploadedFile> uploads;
        try
        {
            uploads = await UploadReader.ReadAsync(context.Request, model.ByteBudget, Options.MaxUploadBytes, Options.QueueCapacity, cancel.Token);
        }
        catch (ApiError e)
        {
            await ApiJson.WriteErrorAsync(context, e.Status, e.Message, e.RetryAfterSeconds);
            return;
        }
        catch (BadHttpRequestException e)
        {
            // Kestrel's own limits: the body-size limit (413) and its minimum data rate (408).
            var message = e.StatusCode switch
            {
                StatusCodes.Status413PayloadTooLarge => $"the upload is over {Options.MaxUploadBytes:N0} bytes, the most this service takes (--max-upload-bytes)",
                StatusCodes.Status408RequestTimeout => "the request body arrived too slowly",
                _ => e.Message,
            };
            context.Response.Headers.Connection = "close";
            await ApiJson.WriteErrorAsync(context, e.StatusCode, message);
            return;
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !context.RequestAborted.IsCancellationRequested)
        {
            // The rest of the body is not waited for: the connection is closed after this answer.
            context.Response.Headers.Connection = "close";
            await ApiJson.WriteErrorAsync(context, StatusCodes.Status408RequestTimeout,
                $"the request body did not arrive within {Options.RequestTimeout.TotalSeconds:0.###} s");
            return;
        }
        catch (Exception e) when ((e is OperationCanceledException or IOException) && context.RequestAborted.IsCancellationRequested)
        {
            return;                                                                 // the client went away
        }

        var pending = uploads.Where(u => u.Error is null)
            .Select(u => new PendingFile(new Inference.ByteInput(u.Name, u.Kept!, u.Length), topK)).ToList();
        var errors = uploads.Count - pending.Count;
        if (errors > 0) Metrics.CountFiles(model.Name, "error", errors);
        if (pending.Count > 0 && !model.Queue.TryEnqueue(pending))
        {
            Metrics.CountFiles(model.Name, "rejected", pending.Count);
            await ApiJson.WriteErrorAsync(context, StatusCodes.Status429TooManyRequests,
                $"model {model.Name} has {model.Queue.Depth} of at most {model.Queue.Capacity} files waiting (--queue); try again shortly",
                retryAfterSeconds: 1);
            return;
        }
        try
        {
            await Task.WhenAll(pending.Select(p => p.Answer.Task)).WaitAsync(cancel.Token);
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            foreach (var p in pending) p.Abandoned = true;
            if (context.RequestAborted.IsCancellationRequested) return;
            Metrics.CountFiles(model.Name, "timeout", pending.Count);
            await ApiJson.WriteErrorAsync(context, StatusCodes.Status503ServiceUnavailable,
                $"no answer within {Options.RequestTimeout.TotalSeconds:0.###} s: model {model.Name} is busy", retryAfterSeconds: 1);
            return;
        }
        catch (OperationCanceledException)
        {
            await ApiJson.WriteErrorAsync(context, StatusCodes.Status503ServiceUnavailable, "the service is stopping", retryAfterSeconds: 1);
            return;
        }
        catch (Exception e)
        {
            Metrics.CountFiles(model.Name, "error", pending.Count);
            await ApiJson.WriteErrorAsync(context, StatusCodes.Status500InternalServerError, $"the model failed: {e.Message.Split('\n')[0]}");
            return;
        }
        Metrics.CountFiles(model.Name, "classified", pending.Count);
        var next = 0;
        var answers = uploads.Select(u => u.Error is null
            ? new ApiJson.FileAnswer(u.Name, pending[next++].Answer.Task.Result, null)
            : new ApiJson.FileAnswer(u.Name, null, u.Error)).ToList();
        await ApiJson.WriteAnswersAsync(context, model.Name, answers);
    }

    /// <summary>Times and counts every request, and turns an unexpected exception into a JSON 500.</summary>
    private async Task ObserveAsync(HttpContext context, RequestDelegate next)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            await next(context);
        }
        catch (Exception) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client is gone; nothing to answer.
        }
        catch (Exception e)
        {
            context.RequestServices.GetService<ILoggerFactory>()?.CreateLogger("ByteFormer.Service").LogError(e, "unhandled error");
            await ApiJson.WriteErrorAsync(context, StatusCodes.Status500InternalServerError, $"internal error ({e.GetType().Name})");
        }
        finally
        {
            var route = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "unmatched";
            Metrics.ObserveRequest(route, context.Response.StatusCode, Stopwatch.GetElapsedTime(started).TotalSeconds);
        }
    }

    /// <summary>The API and the metrics need the key; the page, its files, the health checks and the OpenAPI document do not.</summary>
    private static Task RequireKeyAsync(HttpContext context, RequestDelegate next, ApiKey key)
    {
        var path = context.Request.Path;
        if (!path.StartsWithSegments("/v1") && !path.StartsWithSegments("/metrics")) return next(context);
        string? presented = context.Request.Headers["X-API-Key"].FirstOrDefault();
        if (presented is null && context.Request.Headers.Authorization.FirstOrDefault() is { } auth
            && auth.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            presented = auth["Bearer ".Length..];
        if (key.Matches(presented)) return next(context);
        context.Response.Headers.WWWAuthenticate = "Bearer";
        return ApiJson.WriteErrorAsync(context, StatusCodes.Status401Unauthorized, presented is null
            ? "this service needs an API key: send 'Authorization: Bearer KEY' or 'X-API-Key: KEY'"
            : "wrong API key");
    }

    /// <summary>A JSON body for the answers routing gives without one (no such route, wrong method).</summary>
    private static Task StatusWithoutBodyAsync(HttpContext context)
    {
        var status = context.Response.StatusCode;
        var request = $"{context.Request.Method} {context.Request.Path}";
        var message = status switch
        {
            StatusCodes.Status404NotFound => $"no such route: {request} (the routes are in /openapi.json)",
            StatusCodes.Status405MethodNotAllowed => $"method not allowed: {request}",
            _ => $"{ReasonPhrase(status)}: {request}",
        };
        return ApiJson.WriteErrorAsync(context, status, message);
    }

    private static string ReasonPhrase(int status) => Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status) is { Length: > 0 } p ? p : $"status {status}";

    /// <summary>The routes mapped, as "METHOD pattern" (for the test that holds the OpenAPI document to them).</summary>
    internal IReadOnlyList<string> Routes => app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
        .SelectMany(e => (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["*"]).Select(m => $"{m} {e.RoutePattern.RawText}"))
        .ToList();

    /// <summary>Runs until the process is asked to stop (Ctrl+C, SIGTERM) or <paramref name="cancel"/> fires.</summary>
    public Task WaitForShutdownAsync(CancellationToken cancel = default) => app.WaitForShutdownAsync(cancel);

    /// <summary>Stops listening (requests in flight get their answers, for up to 5 s), then stops the batching threads and frees the models.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) == 1) return;
        try
        {
            await app.StopAsync();
        }
        finally
        {
            await app.DisposeAsync();
            Models.Dispose();
        }
    }
}

using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ByteFormer.Service;

namespace ByteFormer.Tests.Serve;

/// <summary>Paths in the checkout: the bundled models and samples.</summary>
public static class Repo
{
    public static string File(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (System.IO.File.Exists(Path.Combine(dir.FullName, "ByteFormer.slnx"))) return Path.Combine(dir.FullName, relative);
        throw new DirectoryNotFoundException("the checkout (ByteFormer.slnx) is not above the test binaries");
    }

    public static string TiffModel => File("models/fashion-mnist-tiff.safetensors");
    public static string KeywordModel => File("models/keywords-wav-int16-8k.safetensors");
    public static string Sample(string relative) => File(Path.Combine("samples", relative));
}

/// <summary>
/// One real service (Kestrel on a free loopback port) with the bundled image and keyword models, shared by the serve
/// tests: small limits so that the error paths are quick to reach, and the default request timeout (30 s), which a busy
/// CI machine needs for the largest input (ServeTimeoutTests has a service of its own with a short one).
/// </summary>
public sealed class ServeFixture : IAsyncLifetime
{
    public const long UploadLimit = 300_000;
    public const int Queue = 32;

    public ClassifierService Service { get; private set; } = null!;
    public HttpClient Http { get; private set; } = null!;

    public ServiceOptions Options { get; } = new()
    {
        Port = 0, MaxUploadBytes = UploadLimit, QueueCapacity = Queue, MaxBatch = 16,
        MaxDelay = TimeSpan.FromMilliseconds(2), Threads = 1,
    };

    public async Task InitializeAsync()
    {
        Service = await ClassifierService.StartAsync([Repo.TiffModel, Repo.KeywordModel], Options);
        Http = new HttpClient { BaseAddress = Service.Address, Timeout = TimeSpan.FromSeconds(30) };
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        await Service.DisposeAsync();
    }

    public ServedModel Tiff => Service.Models.Find("fashion-mnist-tiff")!;

    /// <summary>POSTs <paramref name="bytes"/> as the raw body.</summary>
    public Task<HttpResponseMessage> PostRawAsync(string model, byte[] bytes, string query = "", string contentType = "application/octet-stream")
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse(contentType);
        return Http.PostAsync($"v1/models/{model}/classify{query}", content);
    }

    public static async Task<JsonObject> JsonAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(expected == response.StatusCode, $"expected {(int)expected}, got {(int)response.StatusCode}: {text}");
        Assert.StartsWith("application/json", response.Content.Headers.ContentType?.ToString());
        return JsonNode.Parse(text)!.AsObject();
    }

    /// <summary>Forward passes of <paramref name="model"/> so far, and the files in them, from the metrics.</summary>
    public static (long Count, long Sum) Batches(ClassifierService service, string model)
    {
        var text = service.Metrics.ToPrometheusText(service.Models, null);
        long Read(string name) => Regex.Match(text, $@"byteformer_batch_size_{name}\{{model=""{model}""\}} (\d+)") is { Success: true } m
            ? long.Parse(m.Groups[1].Value) : 0;
        return (Read("count"), Read("sum"));
    }

    public static async Task WaitUntil(Func<bool> condition)
    {
        for (var i = 0; i < 400 && !condition(); i++) await Task.Delay(25);
        Assert.True(condition(), "timed out waiting for the queue");
    }

    /// <summary>The JSON error of a refused request: its status in the body too, and a message.</summary>
    public static async Task<string> ErrorAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        var body = await JsonAsync(response, expected);
        Assert.Equal((int)expected, body["status"]!.GetValue<int>());
        var message = body["error"]!.GetValue<string>();
        Assert.False(string.IsNullOrWhiteSpace(message));
        return message;
    }
}

[CollectionDefinition(Name)]
public sealed class ServeCollection : ICollectionFixture<ServeFixture>
{
    public const string Name = "serve";
}

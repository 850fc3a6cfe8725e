using System.Net;

namespace ByteFormer.Tests.Serve;

/// <summary>A service of its own with a 1 s request timeout: a stalled body gets 408, a file not answered in time 503.</summary>
public sealed class ServeTimeoutTests : IAsyncLifetime
{
    private const string Classify = "/v1/models/fashion-mnist-tiff/classify";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(1);
    private ByteFormer.Service.ClassifierService service = null!;
    private HttpClient http = null!;

    public async Task InitializeAsync()
    {
        service = await ByteFormer.Service.ClassifierService.StartAsync([Repo.TiffModel],
            new ByteFormer.Service.ServiceOptions { Port = 0, RequestTimeout = Timeout, Threads = 1 });
        http = new HttpClient { BaseAddress = service.Address };
    }

    public async Task DisposeAsync()
    {
        http.Dispose();
        await service.DisposeAsync();
    }

    private Task<HttpResponseMessage> PostAsync() =>
        http.PostAsync(Classify, new ByteArrayContent(File.ReadAllBytes(Repo.Sample("images/tiff/bag.tiff"))));

    [Fact]
    public async Task A_body_that_stalls_is_a_408_within_the_request_timeout()
    {
        var answer = await RawHttp.SendAsync(service.Address.Port,
            $"POST {Classify} HTTP/1.1\r\nHost: t\r\nContent-Type: application/octet-stream\r\nContent-Length: 1000",
            [new byte[10], new byte[10]], pause: Timeout * 4);
        Assert.Equal(408, answer.Status);
        Assert.Contains("did not arrive within 1 s", answer.Json!["error"]!.GetValue<string>());
        Assert.Contains("Connection: close", answer.Head, StringComparison.OrdinalIgnoreCase);
        Assert.InRange(answer.Elapsed, Timeout * 0.9, Timeout + TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task A_file_not_answered_within_the_timeout_is_a_503_and_is_then_dropped_unrun()
    {
        var queue = service.Models.Find("fashion-mnist-tiff")!.Queue;
        var before = ServeFixture.Batches(service, "fashion-mnist-tiff");
        queue.Gate.Reset();
        HttpResponseMessage late;
        try
        {
            late = await PostAsync();
        }
        finally
        {
            queue.Gate.Set();
        }
        var message = await ServeFixture.ErrorAsync(late, HttpStatusCode.ServiceUnavailable);
        Assert.Contains("no answer within 1 s", message);
        Assert.NotNull(late.Headers.RetryAfter);
        await ServeFixture.WaitUntil(() => queue.Depth == 0);
        Assert.Equal(before, ServeFixture.Batches(service, "fashion-mnist-tiff"));      // the abandoned file never ran
        Assert.Equal(HttpStatusCode.OK, (await PostAsync()).StatusCode);
    }
}

using System.Net;
using ByteFormer.Service;
using ByteFormer.Tests.Cli;

namespace ByteFormer.Tests.Serve;

/// <summary>A service started with an API key: the API and the metrics need it, the page and health checks do not.</summary>
public sealed class ServeApiKeyTests : IAsyncLifetime
{
    private const string Key = "k3y-for-tests-0123456789";
    private ClassifierService service = null!;
    private HttpClient http = null!;

    public async Task InitializeAsync()
    {
        service = await ClassifierService.StartAsync([Repo.TiffModel], new ServiceOptions { Port = 0, ApiKey = new ApiKey(Key) });
        http = new HttpClient { BaseAddress = service.Address };
    }

    public async Task DisposeAsync()
    {
        http.Dispose();
        await service.DisposeAsync();
    }

    private Task<HttpResponseMessage> Classify(Action<HttpRequestMessage> withKey)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "v1/models/fashion-mnist-tiff/classify")
        {
            Content = new ByteArrayContent(File.ReadAllBytes(Repo.Sample("images/tiff/bag.tiff"))),
        };
        withKey(request);
        return http.SendAsync(request);
    }

    [Fact]
    public async Task A_request_without_the_key_is_a_401_that_says_how_to_send_it()
    {
        var response = await Classify(_ => { });
        var message = await ServeFixture.ErrorAsync(response, HttpStatusCode.Unauthorized);
        Assert.Contains("Authorization: Bearer", message);
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
        await ServeFixture.ErrorAsync(await http.GetAsync("v1/models"), HttpStatusCode.Unauthorized);
        await ServeFixture.ErrorAsync(await http.GetAsync("metrics"), HttpStatusCode.Unauthorized);
    }

    [Theory]
    [InlineData("Bearer wrong")]
    [InlineData("Bearer k3y-for-tests-012345678")]      // a prefix of the key
    [InlineData("Bearer k3y-for-tests-01234567890")]    // the key and more
    [InlineData("Basic k3y-for-tests-0123456789")]
    public async Task A_wrong_key_is_a_401(string authorization)
    {
        var message = await ServeFixture.ErrorAsync(await Classify(r => r.Headers.TryAddWithoutValidation("Authorization", authorization)),
            HttpStatusCode.Unauthorized);
        Assert.Contains("key", message);
    }

    [Fact]
    public async Task The_key_works_as_a_bearer_token_or_an_x_api_key_header()
    {
        await ServeFixture.JsonAsync(await Classify(r => r.Headers.Add("Authorization", $"Bearer {Key}")), HttpStatusCode.OK);
        await ServeFixture.JsonAsync(await Classify(r => r.Headers.Add("X-API-Key", Key)), HttpStatusCode.OK);
    }

    [Fact]
    public async Task The_page_and_the_health_checks_need_no_key()
    {
        foreach (var path in new[] { "/", "app.js", "healthz", "readyz", "openapi.json" })
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(path)).StatusCode);
    }
}

/// <summary>Overload and the load-test tool, against the shared service (queue of 32).</summary>
[Collection(ServeCollection.Name)]
public class ServeLoadTests(ServeFixture fx)
{
    [Fact]
    public async Task Two_hundred_clients_against_a_queue_of_32_get_429s_no_timeouts_and_leave_the_service_healthy()
    {
        var report = await LoadTest.RunAsync(new LoadTestOptions
        {
            Service = fx.Service.Address, Model = "fashion-mnist-tiff", Files = Directory.GetFiles(Repo.Sample("images/tiff")),
            Concurrency = 200, Duration = TimeSpan.FromSeconds(3), Warmup = TimeSpan.Zero,
        });
        Assert.True(report.Statuses.GetValueOrDefault("429") > 0, $"no 429 in {Describe(report)}");
        Assert.True(report.Classified > 0, Describe(report));
        // Nothing but answers and refusals: no 503 (a request past its timeout), no 5xx, no broken connection.
        Assert.True(report.Statuses.Keys.All(k => k is "200" or "429"), Describe(report));
        Assert.Equal(HttpStatusCode.OK, (await fx.Http.GetAsync("healthz")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await fx.Http.GetAsync("readyz")).StatusCode);
        Assert.Equal(0, fx.Tiff.Queue.Depth);
        Assert.Equal(HttpStatusCode.OK, (await fx.PostRawAsync("fashion-mnist-tiff", File.ReadAllBytes(Repo.Sample("images/tiff/bag.tiff")))).StatusCode);
    }

    private static string Describe(LoadTestReport r) =>
        string.Join(", ", r.Statuses.Select(kv => $"{kv.Key}: {kv.Value}")) + $"; max {r.MaxMs:F0} ms";

    [Fact]
    public void The_loadtest_verb_prints_throughput_latency_statuses_and_the_servers_memory()
    {
        var r = CliRunner.Run("loadtest", fx.Service.Address.ToString(), "--model", "fashion-mnist-tiff", "--files", Repo.Sample("images/tiff"),
            "-c", "4", "--seconds", "1", "--warmup-s", "0", "--server-pid", Environment.ProcessId.ToString());
        Assert.True(r.ExitCode == 0, r.Err);
        Assert.Matches(@"files/s \d+", r.Out);
        Assert.Matches(@"latency ms p50 [\d.]+  p95 [\d.]+  p99 [\d.]+", r.Out);
        Assert.Matches(@"status 200: [\d,]+", r.Out);
        Assert.Contains("errors 0", r.Out);
        Assert.Matches(@"server RSS start [\d.]+ MB  end [\d.]+ MB", r.Out);
    }

    [Fact]
    public void The_loadtest_verb_sends_to_this_machine_only()
    {
        CliRunner.AssertCleanFailure(CliRunner.Run("loadtest", "http://192.0.2.1:8080", "--model", "m", "--files", Repo.Sample("images/tiff")),
            "only sends to this machine");
    }
}

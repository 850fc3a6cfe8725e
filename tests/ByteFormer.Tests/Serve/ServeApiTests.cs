using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using ByteFormer.Inference;

namespace ByteFormer.Tests.Serve;

/// <summary>Every route of the service, answered as documented.</summary>
[Collection(ServeCollection.Name)]
public class ServeApiTests(ServeFixture fx)
{
    private static byte[] Sample(string relative) => File.ReadAllBytes(Repo.Sample(relative));

    [Fact]
    public async Task Classify_a_raw_body_answers_the_class_the_predictor_gives()
    {
        var body = await ServeFixture.JsonAsync(await fx.PostRawAsync("fashion-mnist-tiff", Sample("images/tiff/bag.tiff"), "?filename=bag.tiff"),
            HttpStatusCode.OK);
        Assert.Equal("fashion-mnist-tiff", body["model"]!.GetValue<string>());
        var file = body["files"]!.AsArray().Single()!.AsObject();
        Assert.Equal("bag.tiff", file["file"]!.GetValue<string>());
        Assert.Equal("fashion-mnist-tiff", file["model"]!.GetValue<string>());
        Assert.Equal("bag", file["label"]!.GetValue<string>());
        Assert.Equal(ByteFormer.Service.ClassifierService.DefaultTopK, file["top"]!.AsArray().Count);
        Assert.Null(file["note"]);
        Assert.Equal(918, file["bytes_read"]!.GetValue<int>());

        // The same file through the library alone: the service adds nothing and loses nothing.
        using var loaded = ModelFile.Load(Repo.TiffModel);
        var alone = loaded.CreatePredictor().Predict([loaded.CreatePredictor().ReadFile(Repo.Sample("images/tiff/bag.tiff"))], 5)[0];
        Assert.Equal(alone.Best.Probability, file["score"]!.GetValue<float>(), 5);
        Assert.Equal(alone.Top.Select(t => t.Label), file["top"]!.AsArray().Select(t => t!["label"]!.GetValue<string>()));
    }

    [Fact]
    public async Task A_raw_body_without_a_content_type_is_taken_as_the_file()
    {
        var content = new ByteArrayContent(Sample("images/tiff/coat.tiff"));
        var body = await ServeFixture.JsonAsync(await fx.Http.PostAsync("v1/models/fashion-mnist-tiff/classify", content), HttpStatusCode.OK);
        Assert.Equal("coat", body["files"]![0]!["label"]!.GetValue<string>());
        Assert.Equal("body", body["files"]![0]!["file"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("?top_k=1", 1)]
    [InlineData("?top_k=3", 3)]
    [InlineData("?top_k=100", 10)]       // at most the model's classes
    public async Task Top_k_sets_the_classes_per_file(string query, int expected)
    {
        var body = await ServeFixture.JsonAsync(await fx.PostRawAsync("fashion-mnist-tiff", Sample("images/tiff/dress.tiff"), query), HttpStatusCode.OK);
        var top = body["files"]![0]!["top"]!.AsArray();
        Assert.Equal(expected, top.Count);
        var scores = top.Select(t => t!["score"]!.GetValue<float>()).ToList();
        Assert.Equal(scores.OrderByDescending(s => s), scores);
    }

    [Theory]
    [InlineData("?top_k=0")]
    [InlineData("?top_k=-2")]
    [InlineData("?top_k=three")]
    public async Task A_bad_top_k_is_a_400_that_names_it(string query)
    {
        var message = await ServeFixture.ErrorAsync(await fx.PostRawAsync("fashion-mnist-tiff", Sample("images/tiff/dress.tiff"), query),
            HttpStatusCode.BadRequest);
        Assert.Contains("top_k", message);
    }

    [Fact]
    public async Task Multipart_answers_each_file_in_order_with_an_error_for_an_empty_one()
    {
        using var form = new MultipartFormDataContent
        {
            { new ByteArrayContent(Sample("images/tiff/sneaker.tiff")), "file", "sneaker.tiff" },
            { new ByteArrayContent([]), "file", "empty.tiff" },
            { new StringContent("a form field, not a file"), "comment" },
            { new ByteArrayContent(Sample("images/png/bag.png")), "file", "bag.png" },
        };
        var body = await ServeFixture.JsonAsync(await fx.Http.PostAsync("v1/models/fashion-mnist-tiff/classify?top_k=2", form), HttpStatusCode.OK);
        var files = body["files"]!.AsArray().Select(f => f!.AsObject()).ToList();
        Assert.Equal(["sneaker.tiff", "empty.tiff", "bag.png"], files.Select(f => f["file"]!.GetValue<string>()));
        Assert.Equal("sneaker", files[0]["label"]!.GetValue<string>());
        Assert.Equal(2, files[0]["top"]!.AsArray().Count);
        Assert.Contains("empty", files[1]["error"]!.GetValue<string>());
        Assert.Null(files[1]["label"]);
        // The predictor's note reaches the client: this model never saw a PNG.
        Assert.Contains("PNG", files[2]["note"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_keyword_clip_goes_to_the_keyword_model()
    {
        var body = await ServeFixture.JsonAsync(await fx.PostRawAsync("keywords-wav-int16-8k", Sample("speech/yes.wav"), "", "audio/wav"),
            HttpStatusCode.OK);
        var file = body["files"]![0]!;
        Assert.Equal("keywords-wav-int16-8k", file["model"]!.GetValue<string>());
        Assert.Contains(file["label"]!.GetValue<string>(), new[] { "yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go", "_unknown_", "_silence_" });
        Assert.Null(file["note"]);
    }

    [Fact]
    public async Task Only_the_byte_budget_of_a_long_file_is_read_and_the_rest_is_counted()
    {
        var budget = fx.Tiff.ByteBudget;
        var big = new byte[budget + 100_000];
        Sample("images/tiff/bag.tiff").CopyTo(big, 0);
        var body = await ServeFixture.JsonAsync(await fx.PostRawAsync("fashion-mnist-tiff", big), HttpStatusCode.OK);
        var file = body["files"]![0]!;
        Assert.Equal(budget, file["bytes_read"]!.GetValue<long>());
        Assert.Equal(big.Length, file["file_bytes"]!.GetValue<long>());
        Assert.Contains("read the first", file["note"]!.GetValue<string>());
    }

    [Fact]
    public async Task Models_lists_name_classes_encodings_and_byte_budget()
    {
        var body = await ServeFixture.JsonAsync(await fx.Http.GetAsync("v1/models"), HttpStatusCode.OK);
        var models = body["models"]!.AsArray().Select(m => m!.AsObject()).ToList();
        Assert.Equal(["fashion-mnist-tiff", "keywords-wav-int16-8k"], models.Select(m => m["name"]!.GetValue<string>()));
        var tiff = models[0];
        Assert.Equal(10, tiff["classes"]!.AsArray().Count);
        Assert.Equal("t-shirt", tiff["classes"]![0]!.GetValue<string>());
        Assert.Equal("tiff", tiff["encodings"]!.GetValue<string>());
        Assert.Equal(fx.Tiff.ByteBudget, tiff["byte_budget"]!.GetValue<long>());
        Assert.Equal(ServeFixture.Queue, tiff["queue_capacity"]!.GetValue<int>());
        Assert.Equal("wav-int16@8k", models[1]["encodings"]!.GetValue<string>());

        var one = await ServeFixture.JsonAsync(await fx.Http.GetAsync("v1/models/keywords-wav-int16-8k"), HttpStatusCode.OK);
        Assert.Equal(12, one["classes"]!.AsArray().Count);
    }

    [Fact]
    public async Task The_batching_thread_runs_the_model_on_the_threads_it_was_given()
    {
        // The intra-op count belongs to the thread that sets it: read back on the batching thread itself.
        var body = await ServeFixture.JsonAsync(await fx.Http.GetAsync("v1/models/fashion-mnist-tiff"), HttpStatusCode.OK);
        Assert.Equal(fx.Options.Threads, body["torch_threads"]!.GetValue<int>());
    }

    [Fact]
    public void The_service_listens_on_loopback_unless_told()
    {
        Assert.Equal(System.Net.IPAddress.Loopback, new ByteFormer.Service.ServiceOptions().Host);
        Assert.Equal("127.0.0.1", fx.Service.Address.Host);
    }

    [Fact]
    public async Task Health_and_readiness_answer_ok()
    {
        var health = await ServeFixture.JsonAsync(await fx.Http.GetAsync("healthz"), HttpStatusCode.OK);
        Assert.Equal("ok", health["status"]!.GetValue<string>());
        var ready = await ServeFixture.JsonAsync(await fx.Http.GetAsync("readyz"), HttpStatusCode.OK);
        Assert.Equal("ready", ready["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task Metrics_count_requests_files_batches_latency_and_queue_depth()
    {
        await fx.PostRawAsync("fashion-mnist-tiff", Sample("images/tiff/bag.tiff"));
        var response = await fx.Http.GetAsync("metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType!.ToString());
        var text = await response.Content.ReadAsStringAsync();
        Assert.Matches(@"byteformer_http_requests_total\{route=""/v1/models/\{name\}/classify"",status=""200""\} [1-9]", text);
        Assert.Matches(@"byteformer_http_request_duration_seconds_bucket\{route=""/v1/models/\{name\}/classify"",le=""\+Inf""\} [1-9]", text);
        Assert.Matches(@"byteformer_files_total\{model=""fashion-mnist-tiff"",outcome=""classified""\} [1-9]", text);
        Assert.Matches(@"byteformer_batch_size_count\{model=""fashion-mnist-tiff""\} [1-9]", text);
        Assert.Matches(@"byteformer_forward_seconds_sum\{model=""fashion-mnist-tiff""\} ", text);
        Assert.Contains("byteformer_queue_depth{model=\"fashion-mnist-tiff\"} 0", text);
        Assert.Contains("# TYPE byteformer_http_request_duration_seconds histogram", text);
        Assert.Matches(@"process_resident_memory_bytes [1-9]", text);
    }

    [Fact]
    public async Task The_openapi_document_describes_every_route_the_service_maps()
    {
        var doc = await ServeFixture.JsonAsync(await fx.Http.GetAsync("openapi.json"), HttpStatusCode.OK);
        Assert.StartsWith("3.", doc["openapi"]!.GetValue<string>());
        var paths = doc["paths"]!.AsObject();
        var routes = fx.Service.Routes;
        Assert.NotEmpty(routes);
        foreach (var route in routes)
        {
            var (method, pattern) = (route.Split(' ')[0], route.Split(' ')[1]);
            Assert.True(paths[pattern] is JsonObject path && path[method.ToLowerInvariant()] is not null, $"{route} is not in /openapi.json");
        }
        Assert.Equal(routes.Select(r => r.Split(' ')[1]).Distinct().Order(), paths.Select(p => p.Key).Order());
    }

    [Fact]
    public async Task The_page_and_its_files_come_from_the_service_itself()
    {
        var page = await fx.Http.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.StartsWith("text/html", page.Content.Headers.ContentType!.ToString());
        Assert.Contains("default-src 'self'", page.Headers.GetValues("Content-Security-Policy").Single());
        var html = await page.Content.ReadAsStringAsync();
        Assert.Contains("<script src=\"/app.js\"", html);
        foreach (var (path, type) in new[] { ("app.js", "text/javascript"), ("style.css", "text/css") })
        {
            var asset = await fx.Http.GetAsync(path);
            Assert.Equal(HttpStatusCode.OK, asset.StatusCode);
            Assert.StartsWith(type, asset.Content.Headers.ContentType!.ToString());
            var text = await asset.Content.ReadAsStringAsync();
            Assert.DoesNotContain("http://", text);      // nothing from elsewhere: the page works offline
            Assert.DoesNotContain("https://", text);
        }
        Assert.DoesNotContain("https://", html);
    }
}

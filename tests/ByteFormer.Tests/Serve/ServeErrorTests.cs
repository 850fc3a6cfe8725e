using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.RegularExpressions;

namespace ByteFormer.Tests.Serve;

/// <summary>Every refused request: a clear status and a JSON error, never a hang or a crash.</summary>
[Collection(ServeCollection.Name)]
public class ServeErrorTests(ServeFixture fx)
{
    private const string Classify = "/v1/models/fashion-mnist-tiff/classify";
    private int Port => fx.Service.Address.Port;
    private static byte[] Tiff(string name) => File.ReadAllBytes(Repo.Sample($"images/tiff/{name}.tiff"));

    [Fact]
    public async Task A_body_declared_over_the_upload_limit_is_a_413_before_it_is_read()
    {
        var answer = await RawHttp.SendAsync(Port,
            $"POST {Classify} HTTP/1.1\r\nHost: t\r\nContent-Type: application/octet-stream\r\nContent-Length: {ServeFixture.UploadLimit + 1}", []);
        Assert.Equal(413, answer.Status);
        Assert.Equal(413, answer.Json!["status"]!.GetValue<int>());
        Assert.Contains("--max-upload-bytes", answer.Json["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_chunked_body_that_grows_over_the_upload_limit_is_a_413()
    {
        var chunk = new byte[64 * 1024];
        var parts = Enumerable.Range(0, (int)(ServeFixture.UploadLimit / chunk.Length) + 2)
            .Select(_ => Encoding.ASCII.GetBytes($"{chunk.Length:X}\r\n").Concat(chunk).Concat("\r\n"u8.ToArray()).ToArray())
            .Append("0\r\n\r\n"u8.ToArray());
        var answer = await RawHttp.SendAsync(Port,
            $"POST {Classify} HTTP/1.1\r\nHost: t\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked", parts);
        Assert.Equal(413, answer.Status);
        Assert.Contains("--max-upload-bytes", answer.Json!["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_multipart_body_over_the_upload_limit_is_a_413()
    {
        // Sent raw and read while sending: the service answers from the declared length and closes, so a client that
        // only reads once it has sent everything (HttpClient) may meet a broken pipe instead of the answer.
        using var form = new MultipartFormDataContent("b0undary")
        {
            { new ByteArrayContent(new byte[ServeFixture.UploadLimit / 2]), "file", "a.tiff" },
            { new ByteArrayContent(new byte[ServeFixture.UploadLimit / 2 + 10]), "file", "b.tiff" },
        };
        var body = await form.ReadAsByteArrayAsync();
        var answer = await RawHttp.SendAsync(Port,
            $"POST {Classify} HTTP/1.1\r\nHost: t\r\nContent-Type: multipart/form-data; boundary=b0undary\r\nContent-Length: {body.Length}", [body]);
        Assert.Equal(413, answer.Status);
        Assert.Contains("--max-upload-bytes", answer.Json!["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_multipart_body_whose_file_fits_but_whose_boundaries_do_not_is_a_413_too()
    {
        // Kestrel's own limit stops this one (the file's bytes alone are under it), and keeps its status.
        var head = "--b0undary\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.tiff\"\r\n\r\n"u8.ToArray();
        var body = head.Concat(new byte[ServeFixture.UploadLimit - 10]).Concat("\r\n--b0undary--\r\n"u8.ToArray()).ToArray();
        var answer = await RawHttp.SendAsync(Port,
            $"POST {Classify} HTTP/1.1\r\nHost: t\r\nContent-Type: multipart/form-data; boundary=b0undary\r\nTransfer-Encoding: chunked",
            [Encoding.ASCII.GetBytes($"{body.Length:X}\r\n").Concat(body).Concat("\r\n0\r\n\r\n"u8.ToArray()).ToArray()]);
        Assert.Equal(413, answer.Status);
        Assert.Contains("--max-upload-bytes", answer.Json!["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task An_empty_body_is_a_400()
    {
        var message = await ServeFixture.ErrorAsync(await fx.PostRawAsync("fashion-mnist-tiff", []), HttpStatusCode.BadRequest);
        Assert.Contains("empty", message);
    }

    [Theory]
    [InlineData("application/json")]
    [InlineData("text/plain")]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData("multipart/mixed; boundary=x")]
    public async Task A_content_type_that_is_not_a_file_is_a_415_that_says_what_to_send(string type)
    {
        var message = await ServeFixture.ErrorAsync(await fx.PostRawAsync("fashion-mnist-tiff", Tiff("bag"), "", type),
            HttpStatusCode.UnsupportedMediaType);
        Assert.Contains("application/octet-stream", message);
    }

    [Fact]
    public async Task A_multipart_body_cut_before_its_closing_boundary_is_a_400()
    {
        var body = "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"bag.tiff\"\r\nContent-Type: image/tiff\r\n\r\nII*\0 not the end"u8.ToArray();
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse("multipart/form-data; boundary=XyZ");
        var message = await ServeFixture.ErrorAsync(await fx.Http.PostAsync(Classify, content), HttpStatusCode.BadRequest);
        Assert.Contains("broken multipart", message);
    }

    [Fact]
    public async Task A_multipart_body_without_a_boundary_is_a_400()
    {
        var content = new ByteArrayContent(Tiff("bag"));
        content.Headers.ContentType = MediaTypeHeaderValue.Parse("multipart/form-data");
        var message = await ServeFixture.ErrorAsync(await fx.Http.PostAsync(Classify, content), HttpStatusCode.BadRequest);
        Assert.Contains("boundary", message);
    }

    [Fact]
    public async Task A_multipart_body_with_no_file_part_is_a_400()
    {
        using var form = new MultipartFormDataContent { { new StringContent("hello"), "comment" } };
        var message = await ServeFixture.ErrorAsync(await fx.Http.PostAsync(Classify, form), HttpStatusCode.BadRequest);
        Assert.Contains("no file", message);
    }

    [Fact]
    public async Task More_files_in_one_request_than_the_queue_holds_is_a_413()
    {
        using var form = new MultipartFormDataContent();
        for (var i = 0; i <= ServeFixture.Queue; i++) form.Add(new ByteArrayContent(Tiff("bag")), "file", $"f{i}.tiff");
        var message = await ServeFixture.ErrorAsync(await fx.Http.PostAsync(Classify, form), HttpStatusCode.RequestEntityTooLarge);
        Assert.Contains($"more than {ServeFixture.Queue} files", message);
    }

    [Fact]
    public async Task An_unknown_model_is_a_404_that_names_the_models_served()
    {
        var message = await ServeFixture.ErrorAsync(await fx.PostRawAsync("no-such-model", Tiff("bag")), HttpStatusCode.NotFound);
        Assert.Contains("no model named 'no-such-model'", message);
        Assert.Contains("fashion-mnist-tiff", message);
        await ServeFixture.ErrorAsync(await fx.Http.GetAsync("v1/models/no-such-model"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task An_unknown_route_and_a_wrong_method_answer_json_too()
    {
        Assert.Contains("no such route", await ServeFixture.ErrorAsync(await fx.Http.GetAsync("v2/things"), HttpStatusCode.NotFound));
        Assert.Contains("method not allowed",
            await ServeFixture.ErrorAsync(await fx.Http.GetAsync(Classify), HttpStatusCode.MethodNotAllowed));
    }

    [Fact]
    public async Task A_full_queue_answers_429_with_retry_after_and_the_queued_files_are_still_answered()
    {
        var queue = fx.Tiff.Queue;
        queue.Gate.Reset();                                                    // hold the batching thread
        List<Task<HttpResponseMessage>> waiting;
        try
        {
            waiting = Enumerable.Range(0, ServeFixture.Queue).Select(_ => fx.PostRawAsync("fashion-mnist-tiff", Tiff("bag"))).ToList();
            await WaitUntil(() => queue.Depth == ServeFixture.Queue);
            var refused = await fx.PostRawAsync("fashion-mnist-tiff", Tiff("coat"));
            var message = await ServeFixture.ErrorAsync(refused, HttpStatusCode.TooManyRequests);
            Assert.Contains("--queue", message);
            Assert.Equal(TimeSpan.FromSeconds(1), refused.Headers.RetryAfter!.Delta);
        }
        finally
        {
            queue.Gate.Set();
        }
        foreach (var response in await Task.WhenAll(waiting))
            Assert.Equal("bag", (await ServeFixture.JsonAsync(response, HttpStatusCode.OK))["files"]![0]!["label"]!.GetValue<string>());
        Assert.Equal(0, queue.Depth);
    }

    [Fact]
    public async Task Files_of_concurrent_requests_share_one_forward_pass_and_get_the_answers_they_get_alone()
    {
        var names = new[] { "bag", "coat", "dress", "sandal", "shirt", "sneaker", "trouser", "pullover" };
        using var loaded = ByteFormer.Inference.ModelFile.Load(Repo.TiffModel);
        var predictor = loaded.CreatePredictor();
        var alone = names.Select(n => predictor.Predict([predictor.ReadFile(Repo.Sample($"images/tiff/{n}.tiff"))])[0].Best).ToList();

        var queue = fx.Tiff.Queue;
        var before = Batches();
        queue.Gate.Reset();
        List<Task<HttpResponseMessage>> requests;
        try
        {
            requests = names.Select(n => fx.PostRawAsync("fashion-mnist-tiff", Tiff(n), "?top_k=1")).ToList();
            await WaitUntil(() => queue.Depth == names.Length);
            await Task.Delay(50);        // a request counts itself in before its file is in the queue: let the last one land
        }
        finally
        {
            queue.Gate.Set();
        }
        var answers = await Task.WhenAll(requests.Select(async r => (await ServeFixture.JsonAsync(await r, HttpStatusCode.OK))["files"]![0]!));
        Assert.Equal((before.Count + 1, before.Sum + names.Length), Batches());   // one forward pass of all eight
        for (var i = 0; i < names.Length; i++)
        {
            Assert.Equal(alone[i].Label, answers[i]["label"]!.GetValue<string>());
            Assert.Equal(alone[i].Probability, answers[i]["score"]!.GetValue<float>(), 5);
        }
    }

    private (long Count, long Sum) Batches() => ServeFixture.Batches(fx.Service, "fashion-mnist-tiff");

    private static Task WaitUntil(Func<bool> condition) => ServeFixture.WaitUntil(condition);
}

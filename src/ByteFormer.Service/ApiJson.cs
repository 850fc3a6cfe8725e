using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using ByteFormer.Inference;
using Microsoft.AspNetCore.Http;

namespace ByteFormer.Service;

/// <summary>The service's JSON answers, written straight to the response (no reflection, one buffer per answer).</summary>
internal static class ApiJson
{
    /// <summary>One file's answer: a prediction, or the error that kept it from the model.</summary>
    public sealed record FileAnswer(string Name, Prediction? Prediction, string? Error);

    /// <summary><c>{"error": MESSAGE, "status": N}</c>, with Retry-After when given.</summary>
    public static Task WriteErrorAsync(HttpContext context, int status, string message, int? retryAfterSeconds = null)
    {
        if (context.Response.HasStarted) return Task.CompletedTask;
        context.Response.StatusCode = status;
        if (retryAfterSeconds is { } s) context.Response.Headers.RetryAfter = s.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return WriteAsync(context, w =>
        {
            w.WriteStartObject();
            w.WriteString("error", message);
            w.WriteNumber("status", status);
            w.WriteEndObject();
        });
    }

    /// <summary>The answer of a classify request: the model's name and one object per file, in upload order.</summary>
    public static Task WriteAnswersAsync(HttpContext context, string model, IReadOnlyList<FileAnswer> answers) => WriteAsync(context, w =>
    {
        w.WriteStartObject();
        w.WriteString("model", model);
        w.WriteStartArray("files");
        foreach (var a in answers)
        {
            w.WriteStartObject();
            w.WriteString("file", a.Name);
            w.WriteString("model", model);
            if (a.Prediction is { } p)
            {
                w.WriteString("label", p.Best.Label);
                w.WriteNumber("index", p.Best.Index);
                w.WriteNumber("score", p.Best.Probability);
                w.WriteStartArray("top");
                foreach (var s in p.Top)
                {
                    w.WriteStartObject();
                    w.WriteString("label", s.Label);
                    w.WriteNumber("index", s.Index);
                    w.WriteNumber("score", s.Probability);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                if (p.Note is null) w.WriteNull("note");
                else w.WriteString("note", p.Note);
                w.WriteNumber("bytes_read", p.Input.Bytes.Length);
                w.WriteNumber("file_bytes", p.Input.OriginalLength);
            }
            else w.WriteString("error", a.Error);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    });

    /// <summary>Writes one JSON document as the response body (application/json).</summary>
    public static async Task WriteAsync(HttpContext context, Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        // Relaxed escaping keeps notes readable in curl ("28×28", not "28\u00D728"); the body is only ever read as JSON.
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
            write(writer);
        context.Response.ContentType = "application/json; charset=utf-8";
        context.Response.ContentLength = buffer.WrittenCount;
        await context.Response.Body.WriteAsync(buffer.WrittenMemory, context.RequestAborted);
    }
}

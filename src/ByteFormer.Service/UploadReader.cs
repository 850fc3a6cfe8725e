using System.Buffers;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace ByteFormer.Service;

/// <summary>A request the service refuses, with the status and the one-line message of its JSON error.</summary>
internal sealed class ApiError(int status, string message) : Exception(message)
{
    public int Status { get; } = status;

    /// <summary>Seconds a client should wait before trying again (sent as Retry-After), or null.</summary>
    public int? RetryAfterSeconds { get; init; }
}

/// <summary>One uploaded file: the first bytes the model reads and the length of the whole, or why it cannot be used.</summary>
internal sealed record UploadedFile(string Name, byte[]? Kept, long Length, string? Error);

/// <summary>
/// Reads the files of a classify request from its body as it streams in: a raw body is one file, a multipart/form-data
/// body holds one per file part. Of each file only the model's byte budget is kept; the rest is read, counted and
/// dropped, up to the upload limit. Nothing is buffered whole and nothing touches the disk (ASP.NET's form reader would
/// spool large files to disk, so it is not used).
/// </summary>
internal static class UploadReader
{
    /// <summary>The raw-body content types taken as a file's bytes; a missing Content-Type is taken as one too.</summary>
    public const string AcceptedTypes = "application/octet-stream, image/*, audio/*, or multipart/form-data for several files";

    public static async Task<IReadOnlyList<UploadedFile>> ReadAsync(HttpRequest request, long budget, long uploadLimit, int maxFiles,
        CancellationToken cancel)
    {
        if (request.ContentLength > uploadLimit)
            throw TooLarge(request.ContentLength.Value, uploadLimit);
        var contentType = request.ContentType;
        if (string.IsNullOrWhiteSpace(contentType))
            return [await ReadOneAsync(request.Body, "body", budget, uploadLimit, 0, cancel)];
        if (!MediaTypeHeaderValue.TryParse(contentType, out var media) || media.MediaType.Value is not { } type)
            throw new ApiError(StatusCodes.Status415UnsupportedMediaType, $"unreadable Content-Type '{contentType}'; send {AcceptedTypes}");
        if (type.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase))
            return await ReadMultipartAsync(request.Body, media, budget, uploadLimit, maxFiles, cancel);
        if (type.Equals("application/octet-stream", StringComparison.OrdinalIgnoreCase)
            || type.StartsWith("image/", StringComparison.OrdinalIgnoreCase) || type.StartsWith("audio/", StringComparison.OrdinalIgnoreCase))
        {
            var name = request.Query["filename"].FirstOrDefault() is { Length: > 0 } given ? given : "body";
            return [await ReadOneAsync(request.Body, name, budget, uploadLimit, 0, cancel)];
        }
        throw new ApiError(StatusCodes.Status415UnsupportedMediaType,
            $"Content-Type {type} is not a file's bytes; send {AcceptedTypes} (with curl: --data-binary @FILE -H 'Content-Type: application/octet-stream')");
    }

    private static async Task<IReadOnlyList<UploadedFile>> ReadMultipartAsync(Stream body, MediaTypeHeaderValue media, long budget,
        long uploadLimit, int maxFiles, CancellationToken cancel)
    {
        var boundary = HeaderUtilities.RemoveQuotes(media.Boundary).Value;
        if (string.IsNullOrEmpty(boundary) || boundary.Length > 70)
            throw new ApiError(StatusCodes.Status400BadRequest, "broken multipart body: multipart/form-data without a valid boundary parameter");
        var reader = new MultipartReader(boundary, body) { HeadersLengthLimit = 16 * 1024, BodyLengthLimit = uploadLimit };
        var files = new List<UploadedFile>();
        long counted = 0;
        try
        {
            while (await reader.ReadNextSectionAsync(cancel) is { } section)
            {
                var disposition = ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var cd) ? cd : null;
                if (disposition is null || !disposition.IsFileDisposition())
                {
                    // A plain form field is not a file: read past it (it still counts against the upload limit).
                    counted += (await ReadOneAsync(section.Body, "field", 0, uploadLimit, counted, cancel, allowEmpty: true)).Length;
                    continue;
                }
                if (files.Count == maxFiles)
                    throw new ApiError(StatusCodes.Status413PayloadTooLarge, $"more than {maxFiles} files in one request (at most --queue {maxFiles})");
                var name = HeaderUtilities.RemoveQuotes(disposition.FileNameStar.HasValue ? disposition.FileNameStar : disposition.FileName).Value;
                var file = await ReadOneAsync(section.Body, string.IsNullOrEmpty(name) ? $"file{files.Count + 1}" : name, budget,
                    uploadLimit, counted, cancel, allowEmpty: true);
                counted += file.Length;
                files.Add(file);
            }
        }
        catch (InvalidDataException e) when (e.Message.Contains("body length limit", StringComparison.OrdinalIgnoreCase))
        {
            throw TooLarge(null, uploadLimit);
        }
        catch (InvalidDataException e)
        {
            throw new ApiError(StatusCodes.Status400BadRequest, $"broken multipart body: {OneLine(e.Message)}");
        }
        catch (IOException e) when (e is not BadHttpRequestException && !cancel.IsCancellationRequested)
        {
            // (Kestrel's own limits are BadHttpRequestExceptions, IOExceptions too: they keep their status, 413 or 408.)
            // MultipartReader's words for a body that ends before its closing boundary (or a client gone: then the
            // answer goes nowhere, which is harmless).
            throw new ApiError(StatusCodes.Status400BadRequest, $"broken multipart body: {OneLine(e.Message.Replace(", the content may have already been read by another component", ""))}");
        }
        if (files.Count == 0)
            throw new ApiError(StatusCodes.Status400BadRequest, "no file in the multipart body (send each file as a part with a filename)");
        return files;
    }

    /// <summary>
    /// A parser's message on one line: it may quote the client's header bytes (line breaks, control characters), which
    /// are shown escaped, and it is cut to a readable length.
    /// </summary>
    internal static string OneLine(string message, int max = 200)
    {
        var text = new System.Text.StringBuilder();
        foreach (var c in message)
        {
            if (text.Length >= max) { text.Append('…'); break; }
            text.Append(char.IsControl(c) ? $"\\x{(int)c:x2}" : c.ToString());
        }
        return text.ToString();
    }

    /// <summary>Keeps the first <paramref name="budget"/> bytes of <paramref name="stream"/> and counts the rest.</summary>
    private static async Task<UploadedFile> ReadOneAsync(Stream stream, string name, long budget, long uploadLimit, long countedBefore,
        CancellationToken cancel, bool allowEmpty = false)
    {
        var keepAtMost = (int)Math.Min(budget, int.MaxValue / 2);
        const int discardSize = 16 * 1024;
        var buffer = ArrayPool<byte>.Shared.Rent(keepAtMost + discardSize);
        try
        {
            int kept = 0;
            long total = 0;
            while (true)
            {
                // Fill the kept part first; past the budget, the bytes land in the scratch part after it and are only counted.
                var into = kept < keepAtMost ? buffer.AsMemory(kept, keepAtMost - kept) : buffer.AsMemory(keepAtMost, discardSize);
                var n = await stream.ReadAsync(into, cancel);
                if (n == 0) break;
                if (kept < keepAtMost) kept += n;
                total += n;
                if (countedBefore + total > uploadLimit) throw TooLarge(null, uploadLimit);
            }
            if (total == 0 && !allowEmpty) throw new ApiError(StatusCodes.Status400BadRequest, "empty body (0 bytes): send the file's bytes");
            if (total == 0) return new UploadedFile(name, null, 0, "empty file (0 bytes)");
            return new UploadedFile(name, buffer.AsSpan(0, kept).ToArray(), total, null);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static ApiError TooLarge(long? length, long limit) => new(StatusCodes.Status413PayloadTooLarge,
        length is { } l ? $"the upload is {l:N0} bytes; this service takes at most {limit:N0} (--max-upload-bytes)"
            : $"the upload is over {limit:N0} bytes, the most this service takes (--max-upload-bytes)");
}

using Microsoft.AspNetCore.Http;

namespace ByteFormer.Service;

/// <summary>
/// The page at <c>/</c> (plain HTML, JavaScript and CSS) and the OpenAPI document, embedded in this assembly (no build
/// step, no CDN, no files beside the program). The Content-Security-Policy lets the page load only from this service.
/// </summary>
internal sealed class PageAssets
{
    private const string Prefix = "wwwroot/";

    /// <summary>The files under wwwroot/ in the project, by name.</summary>
    public static readonly IReadOnlyList<string> Names = typeof(PageAssets).Assembly.GetManifestResourceNames()
        .Where(n => n.StartsWith(Prefix, StringComparison.Ordinal)).Select(n => n[Prefix.Length..]).Order(StringComparer.Ordinal).ToArray();

    private readonly Dictionary<string, byte[]> contents = Names.ToDictionary(n => n, Load);

    private static byte[] Load(string name)
    {
        using var stream = typeof(PageAssets).Assembly.GetManifestResourceStream(Prefix + name)!;
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    private static string ContentType(string name) => Path.GetExtension(name) switch
    {
        ".html" => "text/html; charset=utf-8",
        ".js" => "text/javascript; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        ".json" => "application/json; charset=utf-8",
        ".svg" => "image/svg+xml",
        _ => "application/octet-stream",
    };

    /// <summary>Writes the asset <paramref name="name"/> as the response.</summary>
    public async Task WriteAsync(HttpContext context, string name)
    {
        var body = contents[name];
        var headers = context.Response.Headers;
        headers.ContentType = ContentType(name);
        headers.CacheControl = "no-cache";
        headers.XContentTypeOptions = "nosniff";
        if (name.EndsWith(".html", StringComparison.Ordinal))
            headers.ContentSecurityPolicy = "default-src 'self'; img-src 'self' blob: data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";
        context.Response.ContentLength = body.Length;
        await context.Response.Body.WriteAsync(body, context.RequestAborted);
    }
}

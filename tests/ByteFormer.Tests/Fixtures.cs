using System.Text.Json.Nodes;

namespace ByteFormer.Tests;

/// <summary>
/// The CoreNet golden outputs in shared/fixtures/corenet-byteformer (see its README). Found by walking up
/// from the test binaries to a folder that has shared/ (the checkout's parent in development and CI), or at
/// BYTEFORMER_FIXTURES. A missing folder fails the tests that need it; it is never skipped silently.
/// </summary>
public static class Fixtures
{
    private static readonly Lazy<string> RootPath = new(FindRoot);

    public static string Root => RootPath.Value;

    public static string Small(string file) => Path.Combine(Root, "small_small64", file);
    public static string Tiny(string file) => Path.Combine(Root, "tiny_imagenet", file);

    public static JsonObject Json(string path) => JsonNode.Parse(File.ReadAllText(path))!.AsObject();

    /// <summary>Case name → padded token matrix as fed to the reference ([B, N], -1 = padding).</summary>
    public static long[][] CaseTokens(JsonObject inputs, string caseName) =>
        inputs["cases"]![caseName]!["padded_tokens"]!.AsArray()
            .Select(row => row!.AsArray().Select(v => v!.GetValue<long>()).ToArray()).ToArray();

    public static float[][] CaseLogits(JsonObject logits, string caseName) =>
        logits["cases"]![caseName]!["logits"]!.AsArray()
            .Select(row => row!.AsArray().Select(v => v!.GetValue<float>()).ToArray()).ToArray();

    public static byte[] SequenceBytes(JsonObject inputs, string name) =>
        inputs["sequences"]![name]!["tokens"]!.AsArray().Select(v => (byte)v!.GetValue<int>()).ToArray();

    private static string FindRoot()
    {
        var env = Environment.GetEnvironmentVariable("BYTEFORMER_FIXTURES");
        if (!string.IsNullOrEmpty(env))
            return Directory.Exists(env) ? env : throw new DirectoryNotFoundException($"BYTEFORMER_FIXTURES={env} does not exist");
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "fixtures", "corenet-byteformer");
            if (Directory.Exists(candidate)) return candidate;
        }
        throw new DirectoryNotFoundException(
            "CoreNet fixtures not found: expected shared/fixtures/corenet-byteformer beside the checkout, or set BYTEFORMER_FIXTURES");
    }
}

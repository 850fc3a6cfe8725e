using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using ByteFormer.Tests.Cli;

namespace ByteFormer.Tests.Serve;

/// <summary>`byteformer serve` refuses to start with one error line and a non-zero exit.</summary>
public class ServeCommandTests
{
    [Fact]
    public void A_port_in_use_is_one_error_line()
    {
        using var holder = new TcpListener(IPAddress.Loopback, 0);
        holder.Start();
        var port = ((IPEndPoint)holder.LocalEndpoint).Port;
        var r = CliRunner.Run("serve", Repo.TiffModel, "--port", port.ToString());
        CliRunner.AssertCleanFailure(r, $"cannot listen on 127.0.0.1:{port}");
        Assert.Contains("--port", r.Err);
    }

    [Fact]
    public async Task The_serve_verb_answers_until_it_is_stopped_and_then_exits_cleanly()
    {
        // The real program in its own process: start-up line, a request, SIGTERM, exit 0.
        var program = Path.Combine(AppContext.BaseDirectory, "byteformer");
        Assert.True(File.Exists(program), $"{program} is not beside the tests");
        using var server = Process.Start(new ProcessStartInfo(program, ["serve", Repo.TiffModel, "--port", "0"])
        {
            RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false,
        })!;
        try
        {
            var line = await server.StandardError.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));
            var address = Regex.Match(line ?? "", @"serving fashion-mnist-tiff on (http://127\.0\.0\.1:\d+/)");
            Assert.True(address.Success, $"unexpected first line: {line}");
            using var http = new HttpClient { BaseAddress = new Uri(address.Groups[1].Value) };
            var answer = await http.PostAsync("v1/models/fashion-mnist-tiff/classify",
                new ByteArrayContent(File.ReadAllBytes(Repo.Sample("images/tiff/trouser.tiff"))));
            Assert.Contains("\"label\":\"trouser\"", await answer.Content.ReadAsStringAsync());
            Process.Start("kill", ["-TERM", server.Id.ToString()])!.WaitForExit();
            await server.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(0, server.ExitCode);
        }
        finally
        {
            if (!server.HasExited) server.Kill();
        }
    }

    [Fact]
    public void A_missing_model_is_one_error_line() =>
        CliRunner.AssertCleanFailure(CliRunner.Run("serve", "no/such/model.safetensors", "--port", "0"), "no such model file");

    [Fact]
    public void Two_models_of_one_name_are_refused() =>
        CliRunner.AssertCleanFailure(CliRunner.Run("serve", Repo.TiffModel, Repo.TiffModel, "--port", "0"), "NAME=PATH");

    [Fact]
    public void A_missing_or_empty_key_file_is_one_error_line()
    {
        using var dir = new TempDir();
        CliRunner.AssertCleanFailure(CliRunner.Run("serve", Repo.TiffModel, "--port", "0", "--api-key-file", dir.File("none")), "--api-key-file");
        File.WriteAllText(dir.File("empty"), "\n");
        CliRunner.AssertCleanFailure(CliRunner.Run("serve", Repo.TiffModel, "--port", "0", "--api-key-file", dir.File("empty")), "empty");
    }

    [Theory]
    [InlineData("--host", "example.org", "--host")]
    [InlineData("--max-batch", "0", "--max-batch")]
    [InlineData("--queue", "0", "--queue")]
    [InlineData("--max-upload-bytes", "0", "--max-upload-bytes")]
    [InlineData("--max-delay-ms", "-1", "--max-delay-ms")]
    [InlineData("--port", "70000", "--port")]
    public void A_bad_option_is_one_error_line_naming_it(string option, string value, string expected) =>
        CliRunner.AssertCleanFailure(CliRunner.Run("serve", Repo.TiffModel, option, value), expected);
}

using System.Net;
using System.Net.Sockets;
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

using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace ByteFormer.Tests.Serve;

/// <summary>An answer read off the socket: status, headers and the JSON body, and how long it took.</summary>
public sealed record RawAnswer(int Status, string Head, JsonObject? Json, TimeSpan Elapsed);

/// <summary>
/// HTTP/1.1 by hand over a socket, for what HttpClient will not do: a body that stalls, a Content-Length that is a lie,
/// a body larger than the limit sent while the answer is read.
/// </summary>
public static class RawHttp
{
    /// <summary>Sends <paramref name="head"/> (request line and headers, without the blank line), then each body part
    /// after <paramref name="pause"/>, and reads the answer until the server closes or it is complete.</summary>
    public static async Task<RawAnswer> SendAsync(int port, string head, IEnumerable<byte[]> bodyParts, TimeSpan pause = default)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, port);
        var stream = tcp.GetStream();
        var watch = Stopwatch.StartNew();
        // Read while writing: the service may answer (413, 408) before the body is all sent.
        var reading = ReadAnswerAsync(stream);
        try
        {
            await stream.WriteAsync(Encoding.ASCII.GetBytes(head.TrimEnd() + "\r\n\r\n"));
            foreach (var part in bodyParts)
            {
                if (pause > TimeSpan.Zero) await Task.WhenAny(Task.Delay(pause), reading);
                if (reading.IsCompleted) break;
                await stream.WriteAsync(part);
            }
        }
        catch (IOException)
        {
            // The service closed the connection after answering; the answer is what counts.
        }
        var answer = await reading.WaitAsync(TimeSpan.FromSeconds(30));
        return answer with { Elapsed = watch.Elapsed };
    }

    private static async Task<RawAnswer> ReadAnswerAsync(NetworkStream stream)
    {
        var received = new MemoryStream();
        var buffer = new byte[8192];
        while (true)
        {
            int n;
            try
            {
                n = await stream.ReadAsync(buffer);
            }
            catch (IOException)
            {
                n = 0;
            }
            if (n == 0) break;
            received.Write(buffer, 0, n);
            if (Complete(received.ToArray())) break;
        }
        var text = Encoding.UTF8.GetString(received.ToArray());
        var split = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        Assert.True(split > 0, $"no HTTP answer, got '{text}'");
        var head = text[..split];
        var status = int.Parse(head.Split(' ')[1]);
        var body = text[(split + 4)..];
        return new RawAnswer(status, head, body.Length > 0 ? JsonNode.Parse(body)!.AsObject() : null, TimeSpan.Zero);
    }

    private static bool Complete(byte[] received)
    {
        var text = Encoding.UTF8.GetString(received);
        var split = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (split < 0) return false;
        var length = text[..split].Split("\r\n").Select(l => l.Split(':', 2))
            .FirstOrDefault(p => p.Length == 2 && p[0].Trim().Equals("Content-Length", StringComparison.OrdinalIgnoreCase));
        return length is not null && Encoding.UTF8.GetByteCount(text[(split + 4)..]) >= int.Parse(length[1].Trim());
    }
}

using System.Net;

namespace ByteFormer.Service;

/// <summary>How <see cref="ClassifierService"/> listens, batches and limits requests (the options of <c>byteformer serve</c>).</summary>
public sealed record ServiceOptions
{
    /// <summary>The address to listen on. Loopback unless told otherwise: the service has no TLS.</summary>
    public IPAddress Host { get; init; } = IPAddress.Loopback;

    /// <summary>The TCP port; 0 picks a free one (<see cref="ClassifierService.Address"/> says which).</summary>
    public int Port { get; init; } = 8080;

    /// <summary>The largest request body accepted (all files of a multipart request together); larger ones get 413.</summary>
    public long MaxUploadBytes { get; init; } = 16 * 1024 * 1024;

    /// <summary>The most files in one forward pass.</summary>
    public int MaxBatch { get; init; } = 16;

    /// <summary>How long the first file of a batch waits for others to join it.</summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromMilliseconds(5);

    /// <summary>Files waiting for a model's forward pass, at most; a request that does not fit gets 429.</summary>
    public int QueueCapacity { get; init; } = 256;

    /// <summary>The whole time a request may take: its body must arrive within it (else 408) and its answer be ready
    /// within it (else 503).</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The key every request to the API must carry, or null for none (see <see cref="ApiKey"/>).</summary>
    public ApiKey? ApiKey { get; init; }

    /// <summary>Intra-op threads of each model's forward pass (on its batching thread); null: one. The HTTP server and its
    /// clients need the other cores: on 2 cores one thread gave 761 files/s and a p99 of 32 ms where two gave 345 files/s
    /// and 85 ms (docs/serve.md).</summary>
    public int? Threads { get; init; }

    /// <summary>Checks the values; throws <see cref="ByteFormerException"/> with the option's name for a bad one.</summary>
    public void Validate()
    {
        if (Port is < 0 or > 65535) throw new ByteFormerException($"--port must be 0 to 65535, got {Port}");
        if (MaxUploadBytes < 1) throw new ByteFormerException($"--max-upload-bytes must be at least 1, got {MaxUploadBytes}");
        if (MaxBatch < 1) throw new ByteFormerException($"--max-batch must be at least 1, got {MaxBatch}");
        if (MaxDelay < TimeSpan.Zero) throw new ByteFormerException($"--max-delay-ms must not be negative, got {MaxDelay.TotalMilliseconds}");
        if (QueueCapacity < 1) throw new ByteFormerException($"--queue must be at least 1, got {QueueCapacity}");
        if (RequestTimeout <= TimeSpan.Zero) throw new ByteFormerException($"--timeout-s must be positive, got {RequestTimeout.TotalSeconds}");
        if (Threads is < 1) throw new ByteFormerException($"--threads must be at least 1, got {Threads}");
    }
}

namespace ByteFormer.Codecs.Audio;

/// <summary>The audio file formats this project makes from samples.</summary>
public enum AudioFormat
{
    /// <summary>WAV of 32-bit IEEE float samples.</summary>
    WavFloat32,
    /// <summary>WAV of signed 32-bit PCM samples.</summary>
    WavInt32,
    /// <summary>WAV of signed 16-bit PCM samples.</summary>
    WavInt16,
    /// <summary>WAV of unsigned 8-bit PCM samples.</summary>
    WavUInt8,
    /// <summary>G.711 μ-law WAV (8 bits a sample).</summary>
    MuLaw,
    /// <summary>CBR MP3 through lame (32 kbps at 16 kHz, 16 kbps at 8 kHz).</summary>
    Mp3,
}

/// <summary>An audio encoding at a sample rate, e.g. "wav-int16@8k", "mulaw@8k", "mp3" (16 kHz by default).</summary>
public sealed record AudioEncoding(AudioFormat Format, int SampleRate = 16000) : IFileEncoding<AudioClip>
{
    /// <summary>The names <see cref="Parse"/> knows, for messages.</summary>
    public const string KnownNames = "wav-float32, wav-int32, wav-int16, wav-uint8, mulaw, mp3, optionally @8k or @16k";

    /// <inheritdoc />
    public string Name => ToString();

    /// <inheritdoc />
    public EncodingKind Kind => EncodingKind.Audio;

    /// <summary>Parses <paramref name="text"/> as <see cref="Parse"/> does, without throwing.</summary>
    public static bool TryParse(string? text, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out AudioEncoding? encoding)
    {
        encoding = null;
        if (string.IsNullOrWhiteSpace(text)) return false;
        try { encoding = Parse(text); return true; }
        catch (CodecException) { return false; }
    }

    private static readonly (string Name, AudioFormat Format)[] Names =
    [
        ("wav-float32", AudioFormat.WavFloat32), ("wav-int32", AudioFormat.WavInt32), ("wav-int16", AudioFormat.WavInt16),
        ("wav-uint8", AudioFormat.WavUInt8), ("mulaw", AudioFormat.MuLaw), ("mp3", AudioFormat.Mp3),
    ];

    /// <summary>Parses NAME[@RATE], NAME one of wav-float32, wav-int32, wav-int16, wav-uint8, mulaw, mp3; RATE like 8k or 16000.</summary>
    public static AudioEncoding Parse(string text)
    {
        var parts = text.Trim().ToLowerInvariant().Split('@');
        var match = Names.Where(n => n.Name == parts[0] || n.Name.Replace("wav-", "") == parts[0]).ToList();
        if (match.Count == 0 || parts.Length > 2)
            throw new CodecException($"unknown audio encoding '{text}' (expected {KnownNames})");
        var rate = 16000;
        if (parts.Length == 2)
        {
            var r = parts[1].EndsWith('k') ? parts[1][..^1] : parts[1];
            if (!double.TryParse(r, System.Globalization.CultureInfo.InvariantCulture, out var value) || value <= 0)
                throw new CodecException($"'{text}': sample rate '{parts[1]}' is not a number");
            rate = (int)Math.Round(parts[1].EndsWith('k') ? value * 1000 : value);
        }
        if (rate is < 4000 or > 48000) throw new CodecException($"'{text}': sample rate {rate} Hz is outside 4–48 kHz");
        return new AudioEncoding(match[0].Format, rate);
    }

    /// <summary>The file bytes for <paramref name="clip"/>, resampled to <see cref="SampleRate"/> first.</summary>
    public byte[] Encode(AudioClip clip)
    {
        var at = Resampler.To(clip, SampleRate);
        return Format switch
        {
            AudioFormat.WavFloat32 => WavCodec.Encode(at, WavSampleFormat.Float32),
            AudioFormat.WavInt32 => WavCodec.Encode(at, WavSampleFormat.Int32),
            AudioFormat.WavInt16 => WavCodec.Encode(at, WavSampleFormat.Int16),
            AudioFormat.WavUInt8 => WavCodec.Encode(at, WavSampleFormat.UInt8),
            AudioFormat.MuLaw => WavCodec.Encode(at, WavSampleFormat.MuLaw),
            _ => Mp3Encoder.Encode(at),
        };
    }

    /// <summary>The header (without its data position) and length of a second of silence in each encoding, the
    /// reference for <see cref="Mismatch"/>.</summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<AudioEncoding, (WavHeader Header, int Length)> SecondOfSilence = new();

    /// <summary>
    /// Why <paramref name="file"/> is not a file of this encoding as a data set writes it (a 1 s clip), or null when
    /// it looks like one: a WAV whose format, channels, sample rate or sample size differ, or whose length is not a
    /// second's. Only WAV encodings are checked (MP3 lengths vary). A model reads any bytes; this tells a user why
    /// its answer may be poor.
    /// </summary>
    public string? Mismatch(ReadOnlySpan<byte> file)
    {
        if (Format == AudioFormat.Mp3) return null;
        // Encoded and read once per encoding, not once per file checked.
        var (want, length) = SecondOfSilence.GetOrAdd(this, e =>
        {
            var silence = e.Encode(new AudioClip(new float[16000], 16000));
            return (WavCodec.ReadHeader(silence) with { DataOffset = 0, DataLength = 0 }, silence.Length);
        });
        WavHeader got;
        try { got = WavCodec.ReadHeader(file); }
        catch (CodecException) { return $"not a WAV file, and the model was trained on {this} files"; }
        if (got with { DataOffset = 0, DataLength = 0 } != want)
            return $"a WAV of {got.Format}, not like the model's {this} files ({want.Format}): convert it with 'byteformer data audio'";
        if (file.Length != length)
            return $"{file.Length:N0} bytes, not the {length:N0} of the model's 1 s {this} clips: convert it with 'byteformer data audio'";
        return null;
    }

    /// <summary>File extension for written files.</summary>
    public string Extension => Format == AudioFormat.Mp3 ? ".mp3" : ".wav";

    /// <summary>Short name that <see cref="Parse"/> reads back, e.g. "mulaw@8k".</summary>
    public override string ToString() =>
        Names.First(n => n.Format == Format).Name + (SampleRate == 16000 ? "" : SampleRate % 1000 == 0 ? $"@{SampleRate / 1000}k" : $"@{SampleRate}");
}

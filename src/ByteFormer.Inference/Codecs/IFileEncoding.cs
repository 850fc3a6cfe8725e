using ByteFormer.Codecs.Audio;

namespace ByteFormer.Codecs;

/// <summary>What a file encoding makes files from.</summary>
public enum EncodingKind
{
    /// <summary>Image files made from pixels (<see cref="ImageEncoding"/>).</summary>
    Image,
    /// <summary>Audio files made from samples (<see cref="AudioEncoding"/>).</summary>
    Audio,
    /// <summary>Files used as they are, whatever they hold (<see cref="FileEncodings.AsIs"/>).</summary>
    File,
}

/// <summary>
/// One file encoding: the small contract every encoding shares, as ImageSharp's <c>IImageFormat</c> is for its
/// formats. A model file records the encodings it was trained on by <see cref="Name"/>, and
/// <see cref="FileEncodings.Parse"/> reads every name back; code that needs to tell encodings apart asks these
/// members (or the concrete type), never compares names.
/// </summary>
public interface IFileEncoding
{
    /// <summary>The short name <see cref="FileEncodings.Parse"/> reads back, e.g. "tiff", "jpeg75", "wav-int16@8k".</summary>
    string Name { get; }

    /// <summary>What the encoding makes files from.</summary>
    EncodingKind Kind { get; }

    /// <summary>The extension of files in this encoding, with its dot (".tiff"); empty when files keep their own.</summary>
    string Extension { get; }
}

/// <summary>An encoding that makes file bytes from a <typeparamref name="TInput"/> (pixels, samples).</summary>
/// <typeparam name="TInput">What the encoding reads: <see cref="PixelImage"/> or <see cref="AudioClip"/>.</typeparam>
public interface IFileEncoding<in TInput> : IFileEncoding
{
    /// <summary>The file bytes for <paramref name="input"/>.</summary>
    byte[] Encode(TInput input);
}

/// <summary>The one vocabulary of encoding names: image, audio and as-is files.</summary>
public static class FileEncodings
{
    /// <summary>Files used as they are (a plain folder of files): no encoding applied.</summary>
    public static IFileEncoding AsIs { get; } = new AsIsEncoding();

    /// <summary>
    /// Parses any encoding name: an image encoding (<see cref="ImageEncoding.Parse"/>), an audio encoding
    /// (<see cref="AudioEncoding.Parse"/>), or "as is" / "none" for files used as they are.
    /// </summary>
    /// <exception cref="CodecException">The name is none of these; the message lists what is known.</exception>
    public static IFileEncoding Parse(string name) =>
        TryParse(name, out var encoding) ? encoding
            : throw new CodecException($"unknown encoding '{name}' (images: {ImageEncoding.KnownNames}; audio: {AudioEncoding.KnownNames}; or 'none' for files as they are)");

    /// <summary>Parses <paramref name="name"/> as <see cref="Parse"/> does, without throwing.</summary>
    public static bool TryParse(string? name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out IFileEncoding? encoding)
    {
        encoding = null;
        if (string.IsNullOrWhiteSpace(name)) return false;
        if (AsIsEncoding.Names.Contains(name.Trim().ToLowerInvariant())) encoding = AsIs;
        else if (ImageEncoding.TryParse(name, out var image)) encoding = image;
        else if (AudioEncoding.TryParse(name, out var audio)) encoding = audio;
        return encoding is not null;
    }

    /// <summary>Parses <paramref name="name"/> as an encoding of <paramref name="kind"/>.</summary>
    /// <exception cref="CodecException">The name is unknown or of another kind.</exception>
    public static T Parse<T>(string name, EncodingKind kind) where T : IFileEncoding
    {
        var encoding = Parse(name);
        return encoding is T typed && encoding.Kind == kind ? typed
            : throw new CodecException($"'{name}' is an encoding of {Plural(encoding.Kind)}, not of {Plural(kind)}");
    }

    /// <summary>"images", "audio" or "files as they are", for messages.</summary>
    public static string Plural(EncodingKind kind) => kind switch
    {
        EncodingKind.Image => "images",
        EncodingKind.Audio => "audio",
        _ => "files as they are",
    };

    private sealed class AsIsEncoding : IFileEncoding
    {
        public static readonly string[] Names = ["as is", "as-is", "none"];
        public string Name => "as is";
        public EncodingKind Kind => EncodingKind.File;
        public string Extension => "";
        public override string ToString() => Name;
    }
}

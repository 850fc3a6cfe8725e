using ByteFormer.Bytes;
using ByteFormer.Codecs;
using ByteFormer.Codecs.Audio;

namespace ByteFormer.Inference;

/// <summary>
/// What a model's inputs must be, read from its model file: the encodings it was trained on, the byte transforms
/// its files go through (a permutation by its key's fingerprint only), and how many bytes it reads. A predictor made
/// with <c>LoadedModel.CreatePredictor</c> applies all of it; a service or an ONNX backend reads the same.
/// </summary>
/// <param name="ModelName">The model's name in messages (its file's path).</param>
/// <param name="Encodings">The encodings of its training files (empty when not recorded, e.g. an imported model).</param>
/// <param name="TransformSpec">The byte transforms, as <see cref="ByteTransformPipeline.Spec"/> writes them; empty for none.</param>
/// <param name="ByteBudget">The most bytes of a file the model reads (its first bytes); the rest is never read.</param>
/// <param name="MinimumBytes">The shortest input; shorter ones are padded.</param>
/// <param name="ImageSize">The training images' width and height, for an image model; else null.</param>
public sealed record InputContract(string ModelName, TrainedEncodings Encodings, string TransformSpec, long ByteBudget, int MinimumBytes,
    (int Width, int Height)? ImageSize = null)
{
    /// <summary>The contract recorded in a model's metadata (a model file's, or an ONNX export's <c>metadata_props</c>,
    /// which use the same <see cref="ModelMetadata"/> keys), for a network of that budget and shortest input.</summary>
    /// <exception cref="ByteFormerException">The recorded encodings or transforms are not readable by this version.</exception>
    public static InputContract FromMetadata(string modelName, IReadOnlyDictionary<string, string> metadata, long byteBudget, int minimumBytes) =>
        new(modelName, TrainedEncodings.Parse(metadata.GetValueOrDefault(ModelMetadata.Encoding)),
            metadata.GetValueOrDefault(ModelMetadata.ByteTransforms) ?? "", byteBudget, minimumBytes, ImageSizeOf(metadata));

    /// <summary>The recorded image size; model files written before it was recorded name Fashion-MNIST in their data (28×28).</summary>
    private static (int, int)? ImageSizeOf(IReadOnlyDictionary<string, string> metadata)
    {
        if (metadata.GetValueOrDefault(ModelMetadata.ImageSize)?.Split('x') is [var w, var h]
            && int.TryParse(w, out var width) && int.TryParse(h, out var height))
            return (width, height);
        return metadata.GetValueOrDefault(ModelMetadata.Data)?.StartsWith("fashion-mnist", StringComparison.Ordinal) == true ? (28, 28) : null;
    }

    /// <summary>The container formats of the image encodings the model was trained on (PNG once for stored and compressed); raw pixels have none.</summary>
    public IReadOnlyList<ImageFormat> ImageFormats => Encodings.All.OfType<ImageEncoding>().Where(e => !e.IsRawPixels)
        .Select(e => e.Format == ImageFormat.PngStored ? ImageFormat.Png : e.Format).Distinct().ToList();

    /// <summary>The fingerprint of the key the model was trained with ("reference" for CoreNet's table), or null when it needs none.</summary>
    public string? KeyFingerprint => ByteTransformPipeline.KeyFingerprintOf(TransformSpec);

    /// <summary>True when the model reads permuted bytes, so a predictor needs the key (or pre-permuted files).</summary>
    public bool NeedsKey => KeyFingerprint is not null;

    /// <summary>The audio encoding a keyword model expects its clips in (one audio encoding alone), else null.</summary>
    public AudioEncoding? ExpectedAudio => Encodings.SingleAudio;

    /// <summary>
    /// The byte transforms to apply to a file before the model reads it. A keyed model needs
    /// <paramref name="key"/> (checked against the recorded fingerprint), or <paramref name="prePermuted"/> for files
    /// the key holder permuted already.
    /// </summary>
    /// <exception cref="ByteFormerException">No key, the wrong key, or a key for a model of plain bytes.</exception>
    public ByteTransformPipeline Transforms(BytePermutation? key = null, bool prePermuted = false) =>
        ByteTransformPipeline.FromSpec(TransformSpec, key, prePermuted, ModelName);

    /// <summary>
    /// Why <paramref name="file"/> is unlike the model's training files, or null when nothing is seen: for a keyword
    /// model, a clip whose WAV format, rate, sample size or length differ; for an image model, a file of a format it
    /// never saw, an image of another size than its training images (read from the header, no pixel decoded), or an
    /// indexed BMP whose palette is out of gray order (<see cref="ImageHeader.HasUnorderedPalette"/>). A
    /// model reads any bytes; this says why its answer may be poor.
    /// </summary>
    public string? Mismatch(ReadOnlySpan<byte> file)
    {
        if (ExpectedAudio is { } audio) return audio.Mismatch(file);
        var formats = ImageFormats;
        if (formats.Count == 0 || Encodings.All.Any(e => e.Kind != EncodingKind.Image)) return null;
        string Trained() => string.Join(", ", formats.Select(f => new ImageHeader(f, 0, 0).FormatName));
        if (ImageHeader.TryRead(file) is not { } header)
            return $"not a file of an image format the model knows (it was trained on {Trained()})";
        if (!formats.Contains(header.Format == ImageFormat.PngStored ? ImageFormat.Png : header.Format))
            return $"a {header.FormatName} file, a format the model never saw in training (it was trained on {Trained()})";
        if (ImageSize is var (w, h) && header.Width > 0 && (header.Width, header.Height) != (w, h))
            return $"a {header.Width}×{header.Height} image; the model was trained on {w}×{h} images: resize it first";
        if (header.Format == ImageFormat.Bmp && ImageHeader.HasUnorderedPalette(file))
            return "an indexed BMP whose palette is not in gray order (as netpbm's ppmtobmp writes): a byte model reads its " +
                   "pixel bytes, not the palette (the bundled image model scores 11 points lower on such files); a 24-bit or " +
                   "gray-ordered BMP reads better";
        return null;
    }
}

using ByteFormer.Bytes;
using ByteFormer.Codecs.Audio;

namespace ByteFormer.Inference;

/// <summary>
/// What a model's inputs must be, read from its model file: the encodings it was trained on, the byte transforms
/// its files go through (a permutation by its key's fingerprint only), and how many bytes it reads. A predictor made
/// with <see cref="LoadedModel.CreatePredictor"/> applies all of it; a service or an ONNX backend reads the same.
/// </summary>
/// <param name="ModelName">The model's name in messages (its file's path).</param>
/// <param name="Encodings">The encodings of its training files (empty when not recorded, e.g. an imported model).</param>
/// <param name="TransformSpec">The byte transforms, as <see cref="ByteTransformPipeline.Spec"/> writes them; empty for none.</param>
/// <param name="ByteBudget">The most bytes of a file the model reads (its first bytes); the rest is never read.</param>
/// <param name="MinimumBytes">The shortest input; shorter ones are padded.</param>
public sealed record InputContract(string ModelName, TrainedEncodings Encodings, string TransformSpec, long ByteBudget, int MinimumBytes)
{
    /// <summary>The contract recorded in <paramref name="loaded"/>'s metadata.</summary>
    /// <exception cref="ByteFormerException">The recorded encodings or transforms are not readable by this version.</exception>
    public static InputContract Of(LoadedModel loaded, string modelName) => new(modelName,
        TrainedEncodings.Parse(loaded.Metadata.GetValueOrDefault(ModelMetadata.Encoding)),
        loaded.Metadata.GetValueOrDefault(ModelMetadata.ByteTransforms) ?? "",
        loaded.Model.ByteBudget, loaded.Model.MinimumBytes);

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
    /// model, a clip whose WAV format, rate, sample size or length differ. A model reads any bytes; this says why
    /// its answer may be poor.
    /// </summary>
    public string? Mismatch(ReadOnlySpan<byte> file) => ExpectedAudio?.Mismatch(file);
}

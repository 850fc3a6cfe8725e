using static TorchSharp.torch;

namespace ByteFormer.Inference;

/// <summary>How <see cref="LoadedModel.CreatePredictor(PredictorOptions?)"/> and <see cref="Predictors.Open"/> make a predictor: the
/// backend-independent <see cref="InferenceOptions"/> and, for TorchSharp, the device.</summary>
public sealed record PredictorOptions : InferenceOptions
{
    /// <summary>Where the model runs; null for the CPU. The model is moved there. ONNX models run on the CPU only.</summary>
    public Device? Device { get; init; }
}

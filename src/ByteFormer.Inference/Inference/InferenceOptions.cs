using ByteFormer.Bytes;

namespace ByteFormer.Inference;

/// <summary>How a predictor is made, whatever its backend (<see cref="OnnxPredictor.Open"/> takes these alone).</summary>
public record InferenceOptions
{
    /// <summary>The key of a model trained on permuted bytes (<see cref="BytePermutation.Load"/>); null for a model of plain bytes.</summary>
    public BytePermutation? Key { get; init; }

    /// <summary>The files were permuted with the model's key already (by the key holder): use them as they are.</summary>
    public bool PrePermuted { get; init; }

    /// <summary>Files per forward pass.</summary>
    public int BatchSize { get; init; } = 16;

    /// <summary>ONNX Runtime's intra-op threads; null for one per core. (TorchSharp's count is process-wide: the caller sets it.)</summary>
    public int? Threads { get; init; }
}

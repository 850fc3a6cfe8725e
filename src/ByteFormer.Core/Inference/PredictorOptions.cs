using ByteFormer.Bytes;
using static TorchSharp.torch;

namespace ByteFormer.Inference;

/// <summary>How <see cref="LoadedModel.CreatePredictor"/> makes a predictor.</summary>
public sealed record PredictorOptions
{
    /// <summary>The key of a model trained on permuted bytes (<see cref="BytePermutation.Load"/>); null for a model of plain bytes.</summary>
    public BytePermutation? Key { get; init; }

    /// <summary>The files were permuted with the model's key already (by the key holder): use them as they are.</summary>
    public bool PrePermuted { get; init; }

    /// <summary>Files per forward pass.</summary>
    public int BatchSize { get; init; } = 16;

    /// <summary>Where the model runs; null for the CPU. The model is moved there.</summary>
    public Device? Device { get; init; }
}

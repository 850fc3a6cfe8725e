using ByteFormer.Model;
using static TorchSharp.torch;

namespace ByteFormer.Inference;

/// <summary>
/// The TorchSharp backend: runs a <see cref="ByteClassifier"/> (ByteFormer or the pixel ViT) on the CPU or a CUDA
/// device. Made by <see cref="LoadedModel.CreatePredictor(PredictorOptions?)"/> (which keeps the model) or <c>Predictors.Open</c> (which
/// frees it with the predictor).
/// </summary>
public sealed class TorchPredictor : Predictor
{
    private readonly ByteClassifier model;
    private readonly Device device;
    private readonly IDisposable? owned;

    /// <summary>
    /// A predictor for a network and its labels, applying no byte transforms unless <see cref="Predictor.Transforms"/> is set:
    /// for a model from a file, <see cref="LoadedModel.CreatePredictor(PredictorOptions?)"/> is the call that honours its contract.
    /// </summary>
    /// <param name="model">The network (put in eval mode).</param>
    /// <param name="labels">One label per class.</param>
    /// <param name="batchSize">Inputs per forward pass (at least 1).</param>
    /// <param name="device">Where the inputs go; the model must be there already. Null for the CPU.</param>
    public TorchPredictor(ByteClassifier model, IReadOnlyList<string> labels, int batchSize = 16, Device? device = null)
        : this(model, labels, batchSize, device, null) { }

    internal TorchPredictor(ByteClassifier model, IReadOnlyList<string> labels, int batchSize, Device? device, IDisposable? owned)
        : base(Check(model, labels), model.ByteBudget, model.MinimumBytes, model.PaddingChangesLogits, batchSize)
    {
        this.model = model;
        this.device = device ?? CPU;
        this.owned = owned;
        model.eval();
    }

    private static IReadOnlyList<string> Check(ByteClassifier model, IReadOnlyList<string> labels) =>
        labels.Count == model.NClasses ? labels : throw new ArgumentException($"{labels.Count} labels for {model.NClasses} classes");

    /// <summary>The network it runs.</summary>
    public ByteClassifier Model => model;

    /// <summary>"torchsharp".</summary>
    public override string Backend => "torchsharp";

    /// <inheritdoc/>
    protected override void Forward(long[] tokens, int batch, int length, float[] logits)
    {
        using var scope = NewDisposeScope();
        using var _ = inference_mode();
        var input = tensor(tokens, [batch, length], device: device);
        var output = model.call(input).to(CPU).contiguous();
        output.data<float>().CopyTo(logits, 0);
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing) owned?.Dispose();
    }
}

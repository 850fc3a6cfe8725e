using Microsoft.ML.OnnxRuntime;

namespace ByteFormer.Inference;

/// <summary>
/// The ONNX Runtime backend: runs a model exported by <c>byteformer export --format onnx</c> on the CPU, with the
/// same reading, batching, byte transforms and input contract as the TorchSharp one, and no libtorch.
/// </summary>
public sealed class OnnxPredictor : Predictor
{
    private static readonly string[] InputNames = [OnnxModelFormat.InputName];
    private static readonly string[] OutputNames = [OnnxModelFormat.OutputName];
    private readonly InferenceSession session;
    private readonly RunOptions runOptions = new();

    private OnnxPredictor(InferenceSession session, IReadOnlyList<string> labels, long byteBudget, int minimumBytes, bool paddingChangesLogits, int batchSize)
        : base(labels, byteBudget, minimumBytes, paddingChangesLogits, batchSize) => this.session = session;

    /// <summary>"onnxruntime".</summary>
    public override string Backend => "onnxruntime";

    /// <summary>
    /// Opens an exported ONNX model and enforces its input contract as a model file's: a keyed model refuses to run
    /// without its key (or <see cref="InferenceOptions.PrePermuted"/>) and refuses another key.
    /// </summary>
    /// <exception cref="ByteFormerException">No such file, not an ONNX model this project exported, or the key is missing or wrong.</exception>
    public static OnnxPredictor Open(string path, InferenceOptions? options = null)
    {
        options ??= new InferenceOptions();
        if (Directory.Exists(path)) throw new ByteFormerException($"{path}: is a folder, not an ONNX model");
        if (!File.Exists(path)) throw new ByteFormerException($"{path}: no such file");
        if (options.Threads is < 1) throw new ByteFormerException($"threads must be at least 1, got {options.Threads}");
        using var sessionOptions = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            IntraOpNumThreads = options.Threads ?? Environment.ProcessorCount,
            InterOpNumThreads = 1,
        };
        InferenceSession session;
        try
        {
            session = new InferenceSession(path, sessionOptions);
        }
        catch (OnnxRuntimeException e)
        {
            throw new ByteFormerException($"{path}: not a readable ONNX model ({FirstLine(e.Message)})", e);
        }
        try
        {
            var metadata = session.ModelMetadata.CustomMetadataMap;
            var (labels, budget, minimum, padding) = OnnxModelFormat.Read(metadata, path);
            if (!session.InputMetadata.ContainsKey(OnnxModelFormat.InputName) || !session.OutputMetadata.ContainsKey(OnnxModelFormat.OutputName))
                throw new ByteFormerException($"{path}: its graph has no '{OnnxModelFormat.InputName}' input or '{OnnxModelFormat.OutputName}' output");
            var contract = InputContract.FromMetadata(path, metadata, budget, minimum);
            var transforms = contract.Transforms(options.Key, options.PrePermuted);
            return new OnnxPredictor(session, labels, budget, minimum, padding, options.BatchSize) { Contract = contract, Transforms = transforms };
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <inheritdoc/>
    protected override void Forward(long[] tokens, int batch, int length, float[] logits)
    {
        // Both values wrap the managed arrays (pinned while they live): no copy in, none out.
        using var input = OrtValue.CreateTensorValueFromMemory(tokens, [batch, length]);
        using var output = OrtValue.CreateTensorValueFromMemory(logits, [batch, Labels.Count]);
        session.Run(runOptions, InputNames, [input], OutputNames, [output]);
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (!disposing) return;
        runOptions.Dispose();
        session.Dispose();
    }

    private static string FirstLine(string message) => message.Split('\n', 2)[0].Trim();
}

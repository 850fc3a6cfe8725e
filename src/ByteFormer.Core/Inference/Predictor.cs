using ByteFormer.Bytes;
using ByteFormer.Model;
using static TorchSharp.torch;

namespace ByteFormer.Inference;

/// <summary>One input to classify: its name, the bytes the model sees, and what was done to fit it.</summary>
/// <param name="Name">File name or other label for reports.</param>
/// <param name="Bytes">The bytes given to the model (at most <see cref="Predictor.ByteBudget"/>).</param>
/// <param name="OriginalLength">Length of the whole file.</param>
public sealed record ByteInput(string Name, byte[] Bytes, long OriginalLength)
{
    /// <summary>True when the file was longer than the budget and only its first bytes are used.</summary>
    public bool Truncated => OriginalLength > Bytes.Length;

    /// <summary>True when the input (a stream of unknown length) was longer still than <see cref="OriginalLength"/>,
    /// which is then only how much was counted before reading stopped.</summary>
    public bool LengthIsLowerBound { get; init; }
}

/// <summary>A class and its softmax probability.</summary>
/// <param name="Index">The class's index in the model's labels.</param>
/// <param name="Label">The class's label.</param>
/// <param name="Probability">Its softmax probability.</param>
public sealed record ClassScore(int Index, string Label, float Probability);

/// <summary>The model's answer for one input.</summary>
/// <param name="Input">The input as given to the model (cut to the byte budget; padding happens inside the model).</param>
/// <param name="Top">The best classes, best first.</param>
/// <param name="Logits">Raw logits, one per class.</param>
/// <param name="Note">What was done to fit the input to the model (cut or padded), or how it is unlike the model's
/// training files (<see cref="InputContract.Mismatch"/>), or null.</param>
public sealed record Prediction(ByteInput Input, IReadOnlyList<ClassScore> Top, float[] Logits, string? Note)
{
    /// <summary>The best class.</summary>
    public ClassScore Best => Top[0];
}

/// <summary>
/// Classifies byte sequences with a loaded model. Inputs shorter than the kernel are padded with the
/// padding token; inputs longer than the positional table allows are cut to <see cref="ByteBudget"/> bytes
/// (their first bytes). In CoreNet semantics only inputs of equal length share a batch, so no input is
/// padded by its neighbours and each answer is the one it gets alone. Make one with
/// <see cref="LoadedModel.CreatePredictor"/>, which applies the model file's input contract (its byte transforms and key).
/// </summary>
public sealed class Predictor
{
    private readonly ByteClassifier model;
    private readonly IReadOnlyList<string> labels;
    private readonly Device device;

    /// <summary>
    /// A predictor for a network and its labels, applying no byte transforms unless <see cref="Transforms"/> is set:
    /// for a model from a file, <see cref="LoadedModel.CreatePredictor"/> is the call that honours its contract.
    /// </summary>
    /// <param name="model">The network (put in eval mode).</param>
    /// <param name="labels">One label per class.</param>
    /// <param name="batchSize">Inputs per forward pass (at least 1).</param>
    /// <param name="device">Where the inputs go; the model must be there already. Null for the CPU.</param>
    public Predictor(ByteClassifier model, IReadOnlyList<string> labels, int batchSize = 16, Device? device = null)
    {
        if (labels.Count != model.NClasses)
            throw new ArgumentException($"{labels.Count} labels for {model.NClasses} classes");
        this.model = model;
        this.labels = labels;
        this.device = device ?? CPU;
        BatchSize = Math.Max(1, batchSize);
        model.eval();
    }

    /// <summary>Inputs per forward pass.</summary>
    public int BatchSize { get; }

    /// <summary>The model file's input contract, when the predictor was made from one; its
    /// <see cref="InputContract.Mismatch"/> adds a note to inputs unlike the training files.</summary>
    public InputContract? Contract { get; init; }

    /// <summary>Byte transforms the model was trained through (from its file; see <see cref="ByteTransformPipeline.FromSpec"/>),
    /// applied to every input before the model reads it. Randomness (noise) is seeded by the input's position.</summary>
    public ByteTransformPipeline Transforms { get; init; } = ByteTransformPipeline.None;

    /// <summary>The most bytes the model can read (for ByteFormer: (max_num_tokens - 1) · stride + kernel).</summary>
    public long ByteBudget => model.ByteBudget;

    /// <summary>Reads at most <see cref="ByteBudget"/> bytes of <paramref name="path"/>, so a huge file costs
    /// no more memory than a file of the budget. Throws <see cref="ByteFormerException"/> for a missing,
    /// unreadable or empty file.</summary>
    public ByteInput ReadFile(string path)
    {
        if (Directory.Exists(path)) throw new ByteFormerException($"{path}: is a folder");
        if (!File.Exists(path)) throw new ByteFormerException($"{path}: no such file");
        // Opening a named pipe waits for a writer, and a device never ends: neither is a file to classify.
        if (FileKinds.Special(path) is { } kind) throw new ByteFormerException($"{path}: {kind}, not a regular file");
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            return ReadStream(stream, path, stream.Length);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ByteFormerException($"{path}: cannot read ({e.Message})", e);
        }
    }

    /// <summary>Past the budget, a stream of unknown length is counted (not kept) up to this many bytes, then left:
    /// an endless standard input must not be read forever.</summary>
    public const long MostBytesCounted = 64L << 20;

    /// <summary>Reads at most <see cref="ByteBudget"/> bytes of a stream; <paramref name="knownLength"/> may be
    /// null for streams of unknown length (standard input), in which case the rest is counted, not kept, up to
    /// <see cref="MostBytesCounted"/> (then the length is a lower bound: <see cref="ByteInput.LengthIsLowerBound"/>).</summary>
    public ByteInput ReadStream(Stream stream, string name, long? knownLength = null)
    {
        var budget = (int)Math.Min(ByteBudget, int.MaxValue);
        var buffer = new byte[budget];
        int read = 0, n;
        while (read < budget && (n = stream.Read(buffer, read, budget - read)) > 0) read += n;
        long total = read;
        var lowerBound = false;
        if (knownLength is { } length) total = Math.Max(length, read);
        else if (read == budget)
        {
            var skip = new byte[81920];
            while ((n = stream.Read(skip, 0, skip.Length)) > 0)
            {
                total += n;
                if (total - read >= MostBytesCounted)
                {
                    lowerBound = true;
                    break;
                }
            }
        }
        if (read == 0) throw new ByteFormerException($"{name}: empty file (0 bytes)");
        return new ByteInput(name, read == budget ? buffer : buffer[..read], total) { LengthIsLowerBound = lowerBound };
    }

    /// <summary>Classifies <paramref name="inputs"/>; results come back in input order.</summary>
    public IReadOnlyList<Prediction> Predict(IReadOnlyList<ByteInput> inputs, int topK = 1)
    {
        topK = Math.Clamp(topK, 1, labels.Count);
        var results = new Prediction[inputs.Count];
        foreach (var batch in Batches(inputs))
        {
            using var scope = NewDisposeScope();
            using var _ = inference_mode();
            var samples = batch.Select(i => (ReadOnlyMemory<byte>)(Transforms.IsEmpty
                ? inputs[i].Bytes
                : Transforms.Apply(inputs[i].Bytes, new Random(Seeds.Mix(0xB17E, i))))).ToList();
            var tokens = ByteCollator.Collate(samples, model.MinimumBytes, device);
            var logits = model.call(tokens).to(CPU);
            var probabilities = logits.softmax(1);
            for (var row = 0; row < batch.Count; row++)
            {
                var input = inputs[batch[row]];
                var rowLogits = logits[row].data<float>().ToArray();
                var rowProbs = probabilities[row].data<float>().ToArray();
                var top = rowProbs.Select((p, i) => new ClassScore(i, labels[i], p))
                    .OrderByDescending(s => s.Probability).ThenBy(s => s.Index).Take(topK).ToArray();
                results[batch[row]] = new Prediction(input, top, rowLogits, NoteFor(input));
            }
        }
        return results;
    }

    private string? NoteFor(ByteInput input)
    {
        if (input.Truncated)
            return $"read the first {input.Bytes.Length:N0} of {(input.LengthIsLowerBound ? "more than " : "")}{input.OriginalLength:N0} bytes (the model's budget)";
        if (input.Bytes.Length < model.MinimumBytes)
            return $"padded from {input.Bytes.Length} to {model.MinimumBytes} bytes (the shortest input the model takes)";
        return Contract?.Mismatch(input.Bytes);
    }

    private IEnumerable<List<int>> Batches(IReadOnlyList<ByteInput> inputs)
    {
        var order = Enumerable.Range(0, inputs.Count).OrderBy(i => inputs[i].Bytes.Length).ToList();
        if (model.PaddingChangesLogits)
        {
            // Padding changes CoreNet-semantics logits (byteformer.md §1.8): batch equal lengths only.
            foreach (var group in order.GroupBy(i => Math.Max(inputs[i].Bytes.Length, model.MinimumBytes)))
                foreach (var chunk in group.Chunk(BatchSize))
                    yield return chunk.ToList();
            yield break;
        }
        foreach (var chunk in order.Chunk(BatchSize))
            yield return chunk.ToList();
    }
}

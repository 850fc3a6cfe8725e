using ByteFormer.Bytes;

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
/// Classifies byte sequences with a model on one backend (TorchSharp, or ONNX Runtime for an exported model). Inputs
/// shorter than the kernel are padded with the padding token; inputs longer than the positional table allows are cut
/// to <see cref="ByteBudget"/> bytes (their first bytes). In CoreNet semantics only inputs of equal length share a
/// batch, so no input is padded by its neighbours and each answer is the one it gets alone. Reading, batching, byte
/// transforms, notes, softmax and top-k live here; a backend only runs a collated batch. Make one with
/// <c>Predictors.Open</c> or <c>LoadedModel.CreatePredictor</c>, which apply the model's input contract (its byte
/// transforms and key), or <see cref="OnnxPredictor.Open"/> where only ONNX Runtime is deployed.
/// </summary>
public abstract class Predictor : IDisposable
{
    /// <summary>The value that pads a row of the collated batch; the model maps it to its padding embedding row.</summary>
    public const long PadValue = -1;

    /// <summary>A predictor for a model of <paramref name="labels"/>.Count classes.</summary>
    /// <param name="labels">One label per class.</param>
    /// <param name="byteBudget">The most bytes the model reads.</param>
    /// <param name="minimumBytes">Shorter inputs are padded to this many bytes (the kernel).</param>
    /// <param name="paddingChangesLogits">True when padding changes a row's logits (CoreNet semantics): only equal lengths share a batch.</param>
    /// <param name="batchSize">Inputs per forward pass (at least 1).</param>
    protected Predictor(IReadOnlyList<string> labels, long byteBudget, int minimumBytes, bool paddingChangesLogits, int batchSize)
    {
        if (labels.Count == 0) throw new ArgumentException("a model needs at least one label");
        Labels = labels;
        ByteBudget = byteBudget;
        MinimumBytes = minimumBytes;
        PaddingChangesLogits = paddingChangesLogits;
        BatchSize = Math.Max(1, batchSize);
    }

    /// <summary>One label per class, in the model's class order.</summary>
    public IReadOnlyList<string> Labels { get; }

    /// <summary>The backend that runs the network: "torchsharp" or "onnxruntime".</summary>
    public abstract string Backend { get; }

    /// <summary>Inputs per forward pass.</summary>
    public int BatchSize { get; }

    /// <summary>The model file's input contract, when the predictor was made from one; its
    /// <see cref="InputContract.Mismatch"/> adds a note to inputs unlike the training files.</summary>
    public InputContract? Contract { get; init; }

    /// <summary>Byte transforms the model was trained through (from its file; see <see cref="ByteTransformPipeline.FromSpec"/>),
    /// applied to every input before the model reads it. Randomness (noise) is seeded by the input's position.</summary>
    public ByteTransformPipeline Transforms { get; init; } = ByteTransformPipeline.None;

    /// <summary>The most bytes the model can read (for ByteFormer: (max_num_tokens - 1) · stride + kernel).</summary>
    public long ByteBudget { get; }

    /// <summary>The shortest input the model takes; shorter ones are padded with <see cref="PadValue"/>.</summary>
    public int MinimumBytes { get; }

    /// <summary>True when padding changes logits (CoreNet semantics), so only inputs of equal length share a batch.</summary>
    public bool PaddingChangesLogits { get; }

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
        topK = Math.Clamp(topK, 1, Labels.Count);
        var classes = Labels.Count;
        var results = new Prediction[inputs.Count];
        foreach (var batch in Batches(inputs))
        {
            var samples = batch.Select(i => (ReadOnlyMemory<byte>)(Transforms.IsEmpty
                ? inputs[i].Bytes
                : Transforms.Apply(inputs[i].Bytes, new Random(Seeds.Mix(0xB17E, i))))).ToList();
            var logits = Logits(samples);
            for (var row = 0; row < batch.Count; row++)
            {
                var input = inputs[batch[row]];
                var rowLogits = logits.AsSpan(row * classes, classes).ToArray();
                var probabilities = Softmax(rowLogits);
                var top = probabilities.Select((p, i) => new ClassScore(i, Labels[i], p))
                    .OrderByDescending(s => s.Probability).ThenBy(s => s.Index).Take(topK).ToArray();
                results[batch[row]] = new Prediction(input, top, rowLogits, NoteFor(input));
            }
        }
        return results;
    }

    /// <summary>
    /// Logits [samples.Count × classes, row-major] of one forward pass over <paramref name="samples"/> as they are (no
    /// byte transform), padded together with <see cref="PadValue"/> to the longest and to <see cref="MinimumBytes"/>.
    /// In CoreNet semantics a padded row's logits differ from its logits alone; <see cref="Predict"/> avoids that.
    /// </summary>
    /// <exception cref="ArgumentException">No samples, or one longer than <see cref="ByteBudget"/>.</exception>
    public float[] Logits(IReadOnlyList<ReadOnlyMemory<byte>> samples)
    {
        if (samples.Count == 0) throw new ArgumentException("cannot run an empty batch");
        var length = Math.Max(MinimumBytes, samples.Max(s => s.Length));
        if (length > ByteBudget) throw new ArgumentException($"an input of {length} bytes is longer than the model's budget of {ByteBudget}");
        var tokens = new long[(long)samples.Count * length];
        Array.Fill(tokens, PadValue);
        for (var i = 0; i < samples.Count; i++)
        {
            var span = samples[i].Span;
            var row = tokens.AsSpan(i * length, length);
            for (var j = 0; j < span.Length; j++) row[j] = span[j];
        }
        var logits = new float[samples.Count * Labels.Count];
        Forward(tokens, samples.Count, length, logits);
        return logits;
    }

    /// <summary>
    /// The backend's forward pass: <paramref name="tokens"/> int64 [<paramref name="batch"/>, <paramref name="length"/>]
    /// row-major (bytes 0..255, <see cref="PadValue"/> for padding; <paramref name="length"/> is between
    /// <see cref="MinimumBytes"/> and <see cref="ByteBudget"/>) to <paramref name="logits"/> [batch, classes].
    /// </summary>
    protected abstract void Forward(long[] tokens, int batch, int length, float[] logits);

    /// <summary>Frees what the backend holds (an ONNX Runtime session, or a model the predictor owns).</summary>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Frees the backend's resources when <paramref name="disposing"/>; the base holds none.</summary>
    protected virtual void Dispose(bool disposing) { }

    private static float[] Softmax(float[] logits)
    {
        var max = logits.Max();
        var exp = logits.Select(l => Math.Exp(l - max)).ToArray();
        var sum = exp.Sum();
        return exp.Select(e => (float)(e / sum)).ToArray();
    }

    private string? NoteFor(ByteInput input)
    {
        if (input.Truncated)
            return $"read the first {input.Bytes.Length:N0} of {(input.LengthIsLowerBound ? "more than " : "")}{input.OriginalLength:N0} bytes (the model's budget)";
        if (input.Bytes.Length < MinimumBytes)
            return $"padded from {input.Bytes.Length} to {MinimumBytes} bytes (the shortest input the model takes)";
        return Contract?.Mismatch(input.Bytes);
    }

    private IEnumerable<List<int>> Batches(IReadOnlyList<ByteInput> inputs)
    {
        var order = Enumerable.Range(0, inputs.Count).OrderBy(i => inputs[i].Bytes.Length).ToList();
        if (PaddingChangesLogits)
        {
            // Padding changes CoreNet-semantics logits (byteformer.md §1.8): batch equal lengths only.
            foreach (var group in order.GroupBy(i => Math.Max(inputs[i].Bytes.Length, MinimumBytes)))
                foreach (var chunk in group.Chunk(BatchSize))
                    yield return chunk.ToList();
            yield break;
        }
        foreach (var chunk in order.Chunk(BatchSize))
            yield return chunk.ToList();
    }
}

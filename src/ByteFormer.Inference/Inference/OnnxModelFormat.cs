using System.Globalization;
using System.Text.Json;

namespace ByteFormer.Inference;

/// <summary>
/// What the project's ONNX export holds besides the graph: its input and output names, and the <c>metadata_props</c>
/// keys. The model file's own metadata (<see cref="ModelMetadata"/>: labels, encodings, byte transforms, image size,
/// data, figures) is copied under the same keys, so the input contract reads the same from either file; the keys
/// below add what the model file keeps in its configuration.
/// </summary>
public static class OnnxModelFormat
{
    /// <summary>The value of the <see cref="ModelMetadata.Format"/> key in an exported ONNX model.</summary>
    public const string FormatValue = "byteformer-onnx/1";
    /// <summary>The graph's input: int64 [batch, length], bytes 0..255 right-padded with -1 (<see cref="Predictor.PadValue"/>).</summary>
    public const string InputName = "tokens";
    /// <summary>The graph's output: float [batch, classes].</summary>
    public const string OutputName = "logits";
    /// <summary>The most bytes the model reads (decimal).</summary>
    public const string ByteBudget = "byteformer.byte_budget";
    /// <summary>The shortest input (the kernel size; decimal): shorter rows must be padded to it.</summary>
    public const string MinimumBytes = "byteformer.minimum_bytes";
    /// <summary>"masked" or "corenet".</summary>
    public const string AttentionSemantics = "byteformer.attention_semantics";
    /// <summary>"true" when padding changes a row's logits (CoreNet semantics): only rows of equal length may share a batch.</summary>
    public const string PaddingChangesLogits = "byteformer.padding_changes_logits";
    /// <summary>The model file the export was made from (its file name).</summary>
    public const string ExportedFrom = "byteformer.exported_from";

    /// <summary>True when <paramref name="path"/> names an ONNX file: by its extension, else by its first bytes (a
    /// ModelProto opens with field 1, ir_version; a safetensors file with an 8-byte header length then '{').</summary>
    public static bool IsOnnxFile(string path)
    {
        if (path.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase)) return true;
        if (!File.Exists(path)) return false;
        Span<byte> head = stackalloc byte[9];
        try
        {
            using var stream = File.OpenRead(path);
            if (stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false) < head.Length) return false;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
        return head[0] == 0x08 && head[8] != (byte)'{';
    }

    /// <summary>The labels, byte budget, minimum length and padding rule recorded in an export's metadata.</summary>
    /// <exception cref="ByteFormerException">A key is missing or unreadable, or the file is not this project's export.</exception>
    public static (IReadOnlyList<string> Labels, long ByteBudget, int MinimumBytes, bool PaddingChangesLogits) Read(
        IReadOnlyDictionary<string, string> metadata, string path)
    {
        if (metadata.GetValueOrDefault(ModelMetadata.Format) != FormatValue)
            throw new ByteFormerException(metadata.TryGetValue(ModelMetadata.Format, out var f)
                ? $"{path} is an ONNX model of format '{f}'; this version reads '{FormatValue}'"
                : $"{path} is an ONNX model but not one 'byteformer export --format onnx' wrote (no {ModelMetadata.Format} in its metadata)");
        string Required(string key) => metadata.TryGetValue(key, out var v) ? v
            : throw new ByteFormerException($"{path}: its ONNX metadata has no {key}");
        string[]? labels;
        try
        {
            labels = JsonSerializer.Deserialize<string[]>(Required(ModelMetadata.Labels));
        }
        catch (JsonException)
        {
            labels = null;
        }
        if (labels is not { Length: > 0 }) throw new ByteFormerException($"{path}: its ONNX metadata has unreadable labels");
        if (!long.TryParse(Required(ByteBudget), NumberStyles.None, CultureInfo.InvariantCulture, out var budget) || budget < 1
            || !int.TryParse(Required(MinimumBytes), NumberStyles.None, CultureInfo.InvariantCulture, out var minimum) || minimum < 1
            || !bool.TryParse(Required(PaddingChangesLogits), out var padding))
            throw new ByteFormerException($"{path}: its ONNX metadata has an unreadable byte budget, minimum length or padding rule");
        return (labels, budget, minimum, padding);
    }
}

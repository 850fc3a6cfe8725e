namespace ByteFormer.Inference;

/// <summary>
/// The keys of a model file's <c>__metadata__</c>, in one place: what <c>ModelFile</c> writes and reads,
/// and what training records about a model (its data, encodings, byte transforms, figures).
/// </summary>
public static class ModelMetadata
{
    /// <summary>The format marker; its value is <c>ModelFile.FormatValue</c> ("byteformer-model/1") or <see cref="OnnxModelFormat.FormatValue"/>.</summary>
    public const string Format = "format";
    /// <summary>The configuration as JSON (CoreNet option names, the size fields and attention_semantics).</summary>
    public const string Config = "byteformer.config";
    /// <summary>The class labels, a JSON array of strings.</summary>
    public const string Labels = "byteformer.labels";
    /// <summary>The network's architecture ("pixel-vit"); absent for ByteFormer, so older readers still load those files.</summary>
    public const string Architecture = "byteformer.architecture";
    /// <summary>The encodings the model was trained on (<see cref="TrainedEncodings.ToString"/>).</summary>
    public const string Encoding = "byteformer.encoding";
    /// <summary>The byte transforms the model reads its files through (<see cref="Bytes.ByteTransformPipeline.Spec"/>).</summary>
    public const string ByteTransforms = Bytes.ByteTransformPipeline.MetadataKey;
    /// <summary>The image writers the training files came from (comma-separated names), for a model trained on a writer pool.</summary>
    public const string Writers = "byteformer.writers";
    /// <summary>The size of the training images, "WxH" (e.g. "28x28"), for an image model.</summary>
    public const string ImageSize = "byteformer.image_size";
    /// <summary>A description of the training data.</summary>
    public const string Data = "byteformer.data";
    /// <summary>The command line that trained the model.</summary>
    public const string TrainCommand = "byteformer.train_command";
    /// <summary>Test top-1 of the weights in the file, as a fraction with four decimals.</summary>
    public const string TestTop1 = "byteformer.test_top1";
    /// <summary>Prefix of the per-data-set test top-1 of a model trained on several sets (<c>byteformer.test_top1.NAME</c>).</summary>
    public const string TestTop1Prefix = TestTop1 + ".";
    /// <summary>For an imported checkpoint: the weights file's name.</summary>
    public const string ImportedFrom = "byteformer.imported_from";
    /// <summary>For an imported checkpoint: the CoreNet configuration file's name.</summary>
    public const string CorenetConfig = "byteformer.corenet_config";
    /// <summary>Which of a run's weights the file holds: "raw" or "ema".</summary>
    public const string Weights = "byteformer.weights";
    /// <summary>Why training saved those weights: both weights' top-1 on the validation split.</summary>
    public const string WeightsChoice = "byteformer.weights_choice";
    /// <summary>For a fine-tuned model: the model file it started from (its name, its data and whether the head was kept).</summary>
    public const string InitFrom = "byteformer.init_from";
    /// <summary>How many processes trained the model (data-parallel under mpirun; 1 for one process).</summary>
    public const string WorldSize = "byteformer.world_size";
    /// <summary>Samples per optimizer step over all processes: batch size × accumulation steps × world size.</summary>
    public const string GlobalBatch = "byteformer.global_batch";
}

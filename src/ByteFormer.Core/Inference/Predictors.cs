namespace ByteFormer.Inference;

/// <summary>Opens either kind of model: an exported ONNX model on ONNX Runtime, or the project's model file on TorchSharp.</summary>
public static class Predictors
{
    /// <summary>
    /// A predictor for the model at <paramref name="path"/>, chosen by its kind (<see cref="OnnxModelFormat.IsOnnxFile"/>),
    /// enforcing its input contract the same way for both: byte transforms, key, byte budget, notes. Dispose it to
    /// free the model.
    /// </summary>
    /// <exception cref="ByteFormerException">The file is missing or unreadable, or the key is missing or wrong.</exception>
    public static Predictor Open(string path, PredictorOptions? options = null)
    {
        options ??= new PredictorOptions();
        if (OnnxModelFormat.IsOnnxFile(path))
        {
            if (options.Device is { } device && device.type != TorchSharp.DeviceType.CPU)
                throw new ByteFormerException($"{path}: an ONNX model runs on the CPU only (ONNX Runtime's CPU build)");
            return OnnxPredictor.Open(path, options);
        }
        var loaded = ModelFile.Load(path);
        try
        {
            return loaded.CreatePredictor(options, owner: loaded);
        }
        catch
        {
            loaded.Dispose();
            throw;
        }
    }
}

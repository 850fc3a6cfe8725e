using ByteFormer;
using ByteFormer.Inference;

// byteformer-predict MODEL FILE...: the best class of each file, one line each.
if (args.Length < 2)
{
    Console.Error.WriteLine("usage: byteformer-predict MODEL FILE...");
    return 2;
}
try
{
#if TORCH_BACKEND
    using var predictor = Predictors.Open(args[0]);
#else
    using var predictor = OnnxPredictor.Open(args[0]);
#endif
    var inputs = args.Skip(1).Select(predictor.ReadFile).ToList();
    foreach (var p in predictor.Predict(inputs))
        Console.WriteLine($"{p.Input.Name}\t{p.Best.Label}\t{p.Best.Probability:0.000}\t{predictor.Backend}");
    return 0;
}
catch (ByteFormerException e)
{
    Console.Error.WriteLine($"byteformer-predict: error: {e.Message}");
    return 1;
}

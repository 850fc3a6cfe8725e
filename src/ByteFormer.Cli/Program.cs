using static TorchSharp.torch;
System.Console.WriteLine(randn(2,3).sum().item<float>());

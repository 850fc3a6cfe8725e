using TorchSharp;
using static TorchSharp.torch;
var t = empty(576, 192); nn.init.xavier_uniform_(t); Console.WriteLine($"xavier min {t.min().item<float>()} max {t.max().item<float>()} bound {Math.Sqrt(6.0/(576+192))}");
var conv = nn.Conv1d(192, 192, 32, stride: 16, bias: false); Console.WriteLine($"conv min {conv.weight!.min().item<float>()} max {conv.weight!.max().item<float>()} bound {1/Math.Sqrt(192*32)}");
var e = empty(10000); e.uniform_(-1, 1); e.erfinv_(); Console.WriteLine($"erfinv std {e.std().item<float>() * Math.Sqrt(2)}");

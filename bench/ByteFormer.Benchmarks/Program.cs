using System.Reflection;
var asm = typeof(TorchSharp.torch).Assembly;
foreach (var t in asm.GetTypes()) if (t.Name is "OptimizerHelper" or "AdamW" or "Optimizer" && t.Namespace!.Contains("Modules") || t.FullName == "TorchSharp.torch+optim+Optimizer")
  foreach (var m in t.GetMethods(BindingFlags.Public|BindingFlags.Instance|BindingFlags.DeclaredOnly)) Console.WriteLine(t.FullName + " :: " + m);

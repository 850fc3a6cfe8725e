var asm = typeof(TorchSharp.torch).Assembly;
foreach (var t in asm.GetTypes()) if (t.Name.EndsWith("Attribute")) Console.WriteLine(t.FullName + " : " + string.Join(",", t.GetProperties().Select(p=>p.Name)));
var m = typeof(TorchSharp.torch.nn.Module).GetMethods(System.Reflection.BindingFlags.NonPublic|System.Reflection.BindingFlags.Instance|System.Reflection.BindingFlags.Public).Where(x=>x.Name.Contains("egister")).Select(x=>x.Name); Console.WriteLine(string.Join(" ", m.Distinct()));

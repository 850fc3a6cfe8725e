var asm = System.Reflection.Assembly.LoadFrom("/root/.nuget/packages/system.commandline/2.0.0/lib/netstandard2.0/System.CommandLine.dll");
foreach (var tn in new[]{"System.CommandLine.ParseResult","System.CommandLine.InvocationConfiguration","System.CommandLine.ParserConfiguration","System.CommandLine.Command","System.CommandLine.Option`1","System.CommandLine.Argument`1", "System.CommandLine.RootCommand"}) {
 var t = asm.GetType(tn); Console.WriteLine("== " + tn);
 foreach (var m in t!.GetMembers(System.Reflection.BindingFlags.Public|System.Reflection.BindingFlags.Instance|System.Reflection.BindingFlags.DeclaredOnly)) Console.WriteLine("  " + m);
}

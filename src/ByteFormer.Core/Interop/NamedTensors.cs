using static TorchSharp.torch;

namespace ByteFormer.Interop;

/// <summary>An ordered list of named tensors (a state_dict as a file holds it). Disposing disposes the tensors.</summary>
public sealed class NamedTensors : IDisposable
{
    private readonly List<KeyValuePair<string, Tensor>> items = new();

    public IReadOnlyList<KeyValuePair<string, Tensor>> Items => items;
    public int Count => items.Count;

    public void Add(string name, Tensor tensor) => items.Add(new(name, tensor));

    public Tensor? Find(string name) => items.FirstOrDefault(kv => kv.Key == name).Value;

    public void Dispose()
    {
        foreach (var kv in items) kv.Value.Dispose();
        items.Clear();
    }
}

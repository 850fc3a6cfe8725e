using static TorchSharp.torch;

namespace ByteFormer.Interop;

/// <summary>An ordered list of named tensors (a state_dict as a file holds it). Disposing disposes the tensors.</summary>
public sealed class NamedTensors : IDisposable
{
    private readonly List<KeyValuePair<string, Tensor>> items = new();

    /// <summary>The tensors with their names, in file order.</summary>
    public IReadOnlyList<KeyValuePair<string, Tensor>> Items => items;

    /// <summary>How many tensors.</summary>
    public int Count => items.Count;

    /// <summary>Appends <paramref name="tensor"/> under <paramref name="name"/>; the list then owns it.</summary>
    public void Add(string name, Tensor tensor) => items.Add(new(name, tensor));

    /// <summary>The tensor named <paramref name="name"/>, or null.</summary>
    public Tensor? Find(string name) => items.FirstOrDefault(kv => kv.Key == name).Value;

    /// <summary>Disposes every tensor and empties the list.</summary>
    public void Dispose()
    {
        foreach (var kv in items) kv.Value.Dispose();
        items.Clear();
    }
}

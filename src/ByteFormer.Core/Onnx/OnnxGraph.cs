using System.Runtime.InteropServices;

namespace ByteFormer.Onnx;

/// <summary>An attribute of an ONNX node: an int, a float, a string or a list of ints.</summary>
internal readonly record struct OnnxAttribute(string Name, long? Int = null, float? Float = null, string? Text = null, long[]? Ints = null)
{
    public static implicit operator OnnxAttribute((string Name, long Value) a) => new(a.Name, Int: a.Value);
    public static implicit operator OnnxAttribute((string Name, float Value) a) => new(a.Name, Float: a.Value);
    public static implicit operator OnnxAttribute((string Name, long[] Value) a) => new(a.Name, Ints: a.Value);

    public ProtoWriter Write()
    {
        // AttributeProto: name 1, f 2, i 3, s 4, ints 8, type 20 (FLOAT 1, INT 2, STRING 3, INTS 7).
        var w = new ProtoWriter().String(1, Name);
        if (Int is { } i) w.Int(3, i).Int(20, 2);
        else if (Float is { } f) w.Float(2, f).Int(20, 1);
        else if (Text is { } s) w.String(4, s).Int(20, 3);
        else
        {
            foreach (var v in Ints!) w.Int(8, v);
            w.Int(20, 7);
        }
        return w;
    }
}

/// <summary>
/// Builds one ONNX graph: nodes in topological order (each call appends one), weights and constants as initializers,
/// fresh value names. Every method returns the name of the value it made, so the network reads as a chain of calls.
/// </summary>
internal sealed class OnnxGraph
{
    /// <summary>TensorProto.DataType values used here.</summary>
    public const int Float32 = 1, Int64 = 7, Bool = 9;

    private readonly List<ProtoWriter> nodes = [];
    private readonly List<ProtoWriter> initializers = [];
    private readonly List<ProtoWriter> inputs = [];
    private readonly List<ProtoWriter> outputs = [];
    private readonly Dictionary<string, string> constants = [];
    private int counter;

    /// <summary>The number of nodes so far.</summary>
    public int NodeCount => nodes.Count;

    /// <summary>A fresh value name with a readable stem.</summary>
    public string Fresh(string stem) => $"{stem}_{counter++}";

    /// <summary>Appends a node with one output and returns the output's name.</summary>
    public string Op(string opType, string[] inputNames, params OnnxAttribute[] attributes) =>
        OpN(opType, inputNames, 1, attributes)[0];

    /// <summary>Appends a node whose one output has the name given (a graph output).</summary>
    public void OpNamed(string opType, string[] inputNames, string outputName, params OnnxAttribute[] attributes) =>
        nodes.Add(NodeProto(opType, inputNames, [outputName], attributes));

    /// <summary>Appends a node with <paramref name="outputCount"/> outputs.</summary>
    public string[] OpN(string opType, string[] inputNames, int outputCount, params OnnxAttribute[] attributes)
    {
        var outs = Enumerable.Range(0, outputCount).Select(_ => Fresh(opType)).ToArray();
        nodes.Add(NodeProto(opType, inputNames, outs, attributes));
        return outs;
    }

    private static ProtoWriter NodeProto(string opType, string[] inputNames, string[] outs, OnnxAttribute[] attributes)
    {
        // NodeProto: input 1, output 2, name 3, op_type 4, attribute 5.
        var node = new ProtoWriter();
        foreach (var i in inputNames) node.String(1, i);
        foreach (var o in outs) node.String(2, o);
        node.String(3, outs[0] + "_node").String(4, opType);
        foreach (var a in attributes) node.Message(5, a.Write());
        return node;
    }

    /// <summary>A float initializer.</summary>
    public string Floats(string name, float[] data, params long[] dims)
    {
        if (data.Length != dims.Aggregate(1L, (a, b) => a * b))
            throw new ArgumentException($"{name}: {data.Length} values for shape [{string.Join(", ", dims)}]");
        AddInitializer(name, Float32, MemoryMarshal.AsBytes(data.AsSpan()), dims);
        return name;
    }

    /// <summary>An int64 constant (shared between uses); a scalar when <paramref name="dims"/> is empty and one value is given.</summary>
    public string Ints(long[] data, long[]? dims = null)
    {
        dims ??= [data.Length];
        var key = $"i[{string.Join(",", dims)}]:{string.Join(",", data)}";
        if (constants.TryGetValue(key, out var existing)) return existing;
        var name = Fresh("const");
        AddInitializer(name, Int64, MemoryMarshal.AsBytes(data.AsSpan()), dims);
        constants[key] = name;
        return name;
    }

    /// <summary>A 1-element int64 vector [value].</summary>
    public string Vec(long value) => Ints([value]);

    /// <summary>An int64 scalar (0-d).</summary>
    public string Scalar(long value) => Ints([value], []);

    /// <summary>A float scalar (0-d) constant.</summary>
    public string FloatScalar(float value)
    {
        var key = $"f:{BitConverter.SingleToInt32Bits(value)}";
        if (constants.TryGetValue(key, out var existing)) return existing;
        var name = Fresh("constf");
        AddInitializer(name, Float32, MemoryMarshal.AsBytes(new[] { value }.AsSpan()), []);
        constants[key] = name;
        return name;
    }

    /// <summary>Declares a graph input of <paramref name="elemType"/> with named (dynamic) dimensions.</summary>
    public void Input(string name, int elemType, params string[] dimNames) => inputs.Add(ValueInfo(name, elemType, dimNames));

    /// <summary>Declares a graph output.</summary>
    public void Output(string name, int elemType, params string[] dimNames) => outputs.Add(ValueInfo(name, elemType, dimNames));

    /// <summary>The GraphProto.</summary>
    public ProtoWriter Write(string graphName, string doc)
    {
        // GraphProto: node 1, name 2, initializer 5, doc_string 10, input 11, output 12.
        var g = new ProtoWriter();
        foreach (var n in nodes) g.Message(1, n);
        g.String(2, graphName);
        foreach (var t in initializers) g.Message(5, t);
        g.String(10, doc);
        foreach (var i in inputs) g.Message(11, i);
        foreach (var o in outputs) g.Message(12, o);
        return g;
    }

    private void AddInitializer(string name, int dataType, ReadOnlySpan<byte> raw, long[] dims)
    {
        // TensorProto: dims 1, data_type 2, name 8, raw_data 9 (little-endian, as this machine stores them).
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("ONNX export needs a little-endian machine");
        var t = new ProtoWriter();
        foreach (var d in dims) t.Int(1, d);
        t.Int(2, dataType).String(8, name).Bytes(9, raw);
        initializers.Add(t);
    }

    private static ProtoWriter ValueInfo(string name, int elemType, string[] dimNames)
    {
        // ValueInfoProto{name 1, type 2}; TypeProto{tensor_type 1}; Tensor{elem_type 1, shape 2}; Shape{dim 1}; Dim{dim_value 1, dim_param 2}.
        var shape = new ProtoWriter();
        foreach (var d in dimNames)
            shape.Message(1, long.TryParse(d, out var v) ? new ProtoWriter().Int(1, v) : new ProtoWriter().String(2, d));
        var tensor = new ProtoWriter().Int(1, elemType).Message(2, shape);
        return new ProtoWriter().String(1, name).Message(2, new ProtoWriter().Message(1, tensor));
    }
}

using System.Text.RegularExpressions;
using ByteFormer.Inference;

namespace ByteFormer.Service;

/// <summary>
/// The models a service answers for, by name, each with its own batching thread. Opening a model file happens in
/// <see cref="OpenPredictor"/> and nowhere else.
/// </summary>
public sealed partial class ModelRegistry : IDisposable
{
    private readonly Dictionary<string, ServedModel> byName;

    private ModelRegistry(IReadOnlyList<ServedModel> models)
    {
        Models = models;
        byName = models.ToDictionary(m => m.Name, StringComparer.Ordinal);
    }

    /// <summary>The models, in the order given.</summary>
    public IReadOnlyList<ServedModel> Models { get; }

    /// <summary>True when every model's batching thread is running.</summary>
    public bool AllRunning => Models.All(m => m.Queue.IsRunning);

    /// <summary>The model called <paramref name="name"/>, or null.</summary>
    public ServedModel? Find(string name) => byName.GetValueOrDefault(name);

    /// <summary>
    /// Opens the models and starts one batching thread for each. A spec is a path (named after its file, without the
    /// extension) or <c>NAME=PATH</c>.
    /// </summary>
    /// <exception cref="ByteFormerException">No models, a bad or repeated name, or a model file that cannot be loaded.</exception>
    public static ModelRegistry Open(IReadOnlyList<string> specs, ServiceOptions options, ServiceMetrics metrics)
    {
        if (specs.Count == 0) throw new ByteFormerException("no model to serve");
        var named = specs.Select(ParseSpec).ToList();
        foreach (var group in named.GroupBy(n => n.Name).Where(g => g.Count() > 1))
            throw new ByteFormerException(
                $"two models are called '{group.Key}' ({string.Join(", ", group.Select(g => g.Path))}); name them with NAME=PATH");
        var models = new List<ServedModel>();
        try
        {
            foreach (var (name, path) in named)
            {
                var (predictor, labels, owner) = OpenPredictor(path, new PredictorOptions { BatchSize = options.MaxBatch });
                models.Add(new ServedModel(name, path, predictor, labels, owner, options, metrics));
            }
        }
        catch
        {
            foreach (var m in models) m.Dispose();
            throw;
        }
        return new ModelRegistry(models);
    }

    /// <summary>The one place a model file (or an ONNX model) becomes a predictor: <see cref="Predictors.Open"/>, which
    /// enforces the model's input contract whichever backend runs it.</summary>
    private static (Predictor Predictor, IReadOnlyList<string> Labels, IDisposable Owner) OpenPredictor(string path, PredictorOptions options)
    {
        if (!File.Exists(path)) throw new ByteFormerException($"{path}: no such model file");
        var predictor = Predictors.Open(path, options);
        return (predictor, predictor.Labels, predictor);
    }

    private static (string Name, string Path) ParseSpec(string spec)
    {
        var eq = spec.IndexOf('=');
        // A path may hold '=' too; only a valid name before it makes the NAME=PATH form.
        if (eq > 0 && ValidName().IsMatch(spec[..eq])) return (spec[..eq], spec[(eq + 1)..]);
        var name = Path.GetFileNameWithoutExtension(spec);
        if (!ValidName().IsMatch(name))
            throw new ByteFormerException($"{spec}: '{name}' cannot be a model's name in a URL (letters, digits, '.', '_', '-'); name it with NAME=PATH");
        return (name, spec);
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")]
    private static partial Regex ValidName();

    /// <summary>Stops the batching threads (files still queued are answered as cancelled) and frees the models.</summary>
    public void Dispose()
    {
        foreach (var m in Models) m.Dispose();
    }
}

/// <summary>A model the service answers for: its name in URLs, its predictor, and the queue whose thread owns it.</summary>
public sealed class ServedModel : IDisposable
{
    private readonly IDisposable owner;

    internal ServedModel(string name, string path, Predictor predictor, IReadOnlyList<string> labels, IDisposable owner,
        ServiceOptions options, ServiceMetrics metrics)
    {
        Name = name;
        Path = path;
        Labels = labels;
        ByteBudget = predictor.ByteBudget;
        Contract = predictor.Contract;
        this.owner = owner;
        Queue = new BatchingQueue(name, predictor, options, metrics);
    }

    /// <summary>The name in <c>/v1/models/{name}</c>.</summary>
    public string Name { get; }

    /// <summary>The model file.</summary>
    public string Path { get; }

    /// <summary>The class labels, in the model's order.</summary>
    public IReadOnlyList<string> Labels { get; }

    /// <summary>The most bytes of a file the model reads; the rest of an upload is counted and dropped.</summary>
    public long ByteBudget { get; }

    /// <summary>The model file's input contract (encodings, transforms), when it records one.</summary>
    public InputContract? Contract { get; }

    /// <summary>The encodings the model was trained on, as the model file names them ("tiff"), or "" when not recorded.</summary>
    public string Encodings => Contract?.Encodings.ToString() ?? "";

    /// <summary>The queue of files waiting for this model; its thread is the only one that touches the predictor.</summary>
    internal BatchingQueue Queue { get; }

    /// <summary>Stops the batching thread, then frees the model.</summary>
    public void Dispose()
    {
        Queue.Dispose();
        owner.Dispose();
    }
}

using System.CommandLine;
using ByteFormer.Bytes;
using ByteFormer.Inference;
using ByteFormer.Model;
using static TorchSharp.torch;

namespace ByteFormer.Cli.Commands;

/// <summary>Compute device for the verbs that run the model.</summary>
public enum ComputeDevice { Cpu, Cuda }

/// <summary>Options and helpers shared by several verbs.</summary>
internal static class CommonOptions
{
    public static Option<ComputeDevice> DeviceOption() => new("--device")
    {
        Description = "cpu or cuda (cuda needs a libtorch-cuda build of TorchSharp in place of libtorch-cpu)",
        DefaultValueFactory = _ => ComputeDevice.Cpu,
    };

    public static Device Resolve(ComputeDevice device)
    {
        if (device == ComputeDevice.Cpu) return CPU;
        if (!cuda.is_available())
            throw new ByteFormerException("--device cuda: CUDA is not available (this build uses libtorch-cpu; reference a libtorch-cuda package to use a GPU)");
        return CUDA;
    }

    /// <summary>Intra-op threads for a verb that runs the model; <paramref name="defaultText"/> says what leaving it out does.</summary>
    public static Option<int?> ThreadsOption(string defaultText = "one per core") => new("--threads")
    {
        Description = $"Intra-op threads (default: {defaultText})",
    };

    /// <summary>Runs <paramref name="run"/> on <paramref name="threads"/> intra-op threads (null: as configured), then
    /// puts the previous count back, so that an in-process caller keeps its setting.</summary>
    public static int WithThreads(int? threads, Func<int> run)
    {
        if (threads is < 1) throw new ByteFormerException($"--threads must be at least 1, got {threads}");
        var before = get_num_threads();
        TorchRuntime.Configure(threads);
        try
        {
            return run();
        }
        finally
        {
            set_num_threads(before);
        }
    }

    /// <summary>The key of a model trained on permuted bytes.</summary>
    public static Option<string?> KeyOption() => new("--byte-permutation")
    {
        Description = "Key file of a model trained on permuted bytes (from 'byteformer keygen'), or 'reference' for CoreNet's table",
    };

    /// <summary>Says the files were permuted already (by the key holder), so this side never needs the key.</summary>
    public static Option<bool> PrePermutedOption() => new("--pre-permuted")
    {
        Description = "The files were permuted with the model's key already ('byteformer permute'): use them as they are",
    };

    /// <summary>The byte transforms <paramref name="loaded"/> was trained through, with the user's key if it needs one.</summary>
    public static ByteTransformPipeline Transforms(LoadedModel loaded, string modelPath, string? key, bool prePermuted) =>
        ByteTransformPipeline.FromSpec(loaded.Metadata.GetValueOrDefault(ByteTransformPipeline.MetadataKey),
            key is null ? null : BytePermutation.Load(key), prePermuted, modelPath);

    /// <summary>Metadata key of the encoding a model was trained on (written by <c>train</c>).</summary>
    public const string EncodingKey = "byteformer.encoding";

    /// <summary>The encoding to make test files in: the one given, else the one the model was trained on. A model
    /// trained on several data sets records "name: encoding" per set, joined by " + "; the set's own is taken, found
    /// by <paramref name="part"/>'s name, else by kind (the only part whose encoding <paramref name="fits"/>).</summary>
    public static string EncodingOf(LoadedModel loaded, string modelPath, string? given, string? part = null, Func<string, bool>? fits = null)
    {
        if (given is not null) return given;
        var trained = loaded.Metadata.GetValueOrDefault(EncodingKey)
                      ?? throw new ByteFormerException($"{modelPath} does not say which encoding it was trained on: give --encoding");
        if (!trained.Contains(": ", StringComparison.Ordinal)) return trained;
        var parts = trained.Split(" + ").Select(p => p.Split(": ", 2)).Where(p => p.Length == 2 && p[1] != "as is")
            .Select(p => (Name: p[0], Encoding: p[1])).ToList();
        var named = parts.Where(p => p.Name == part).ToList();
        var candidates = named.Count == 1 ? named : parts.Where(p => fits?.Invoke(p.Encoding) == true).ToList();
        return candidates.Count == 1 ? candidates[0].Encoding
            : throw new ByteFormerException($"{modelPath} was trained on several data sets ({trained}): give --encoding");
    }

    /// <summary>Whether <paramref name="parse"/> accepts <paramref name="name"/> (an encoding of that kind).</summary>
    public static bool Parses(Action<string> parse, string name)
    {
        try { parse(name); return true; }
        catch (ByteFormerException) { return false; }
    }

    /// <summary>A model file, or else a preset name: the two things <c>info</c> describes.</summary>
    public static (ByteFormerConfig? Config, LoadedModel? Loaded) ModelOrPreset(string target)
    {
        if (File.Exists(target) || Directory.Exists(target) || target.Contains('/') || target.Contains('.'))
        {
            var loaded = ModelFile.Load(target);
            return ((loaded.Model as ByteFormerModel)?.Config, loaded);
        }
        if (ByteFormerConfig.PresetNames.Contains(target.ToLowerInvariant()))
            return (ByteFormerConfig.Preset(target), null);
        throw new ByteFormerException(
            $"'{target}' is neither a model file nor a preset (presets: {string.Join(", ", ByteFormerConfig.PresetNames)})");
    }
}

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

    /// <summary>The key file named by --byte-permutation, loaded ("reference" is CoreNet's table), or null.</summary>
    public static BytePermutation? LoadKey(string? key) => key is null ? null : BytePermutation.Load(key);

    /// <summary>A model file, or else a preset name: the two things <c>info</c> describes.</summary>
    public static (ByteFormerConfig? Config, LoadedModel? Loaded) ModelOrPreset(string target)
    {
        target = BundledModel.Resolve(target);
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

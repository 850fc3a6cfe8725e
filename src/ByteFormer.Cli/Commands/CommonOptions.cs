using System.CommandLine;
using ByteFormer.Bytes;
using ByteFormer.Inference;
using ByteFormer.Model;
using static TorchSharp.torch;

namespace ByteFormer.Cli.Commands;

/// <summary>Options and helpers shared by several verbs.</summary>
internal static class CommonOptions
{
    /// <summary>The compute device, written as the README writes it: cpu or cuda.</summary>
    public static Option<string> DeviceOption()
    {
        var option = new Option<string>("--device")
        {
            Description = "cpu or cuda (cuda needs a libtorch-cuda build of TorchSharp in place of libtorch-cpu: see docs/cli.md)",
            DefaultValueFactory = _ => "cpu",
            HelpName = "cpu|cuda",
        };
        option.AcceptOnlyFromAmong("cpu", "cuda");
        return option;
    }

    /// <summary>The device <paramref name="device"/> names ("cpu" or "cuda").</summary>
    /// <exception cref="ByteFormerException">CUDA asked for where this build has none.</exception>
    public static Device Resolve(string device)
    {
        if (device == "cpu") return CPU;
        if (!cuda.is_available())
            throw new ByteFormerException("--device cuda: CUDA is not available (this build uses libtorch-cpu; reference a libtorch-cuda package to use a GPU)");
        return CUDA;
    }

    /// <summary>Training runs on the CPU in this version: a run asked for on CUDA is refused rather than run on the CPU unasked.</summary>
    public static void RequireCpuForTraining(string device)
    {
        if (device == "cpu") return;
        _ = Resolve(device);
        throw new ByteFormerException("train runs on the CPU in this version (--device cuda is for predict, eval and bench)");
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

    /// <summary>--force: the one way to let a verb replace a file that is already there.</summary>
    public static Option<bool> ForceOption() => new("--force") { Description = "Replace output files that already exist (never done otherwise)" };

    /// <summary>Refuses, before any work, to replace any of <paramref name="paths"/> unless <paramref name="force"/>.</summary>
    /// <exception cref="ByteFormerException">Naming the first file that exists.</exception>
    public static void RefuseToReplace(bool force, params string[] paths)
    {
        if (force) return;
        if (paths.FirstOrDefault(p => File.Exists(p) || Directory.Exists(p)) is { } existing)
            throw new ByteFormerException($"{existing} already exists; choose another name or add --force to replace it");
    }

    /// <summary>The key of a model trained on permuted bytes.</summary>
    public static Option<string?> KeyOption() => new("--byte-permutation")
    {
        Description = "Key file of a model trained on permuted bytes (from 'byteformer keygen'), or 'reference' for CoreNet's table (default: none, for a model of plain bytes)",
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

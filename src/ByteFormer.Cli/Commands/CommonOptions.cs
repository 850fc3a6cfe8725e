using System.CommandLine;
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

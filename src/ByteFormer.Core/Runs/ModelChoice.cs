using ByteFormer.Codecs;
using ByteFormer.Data;
using ByteFormer.Model;

namespace ByteFormer.Runs;

/// <summary>Which network a new run trains: the architecture, the preset giving its size, overrides, and the pixel ViT's patch.</summary>
/// <param name="Architecture">One of <see cref="ModelArchitecture.Names"/>.</param>
/// <param name="Preset">A preset name (<see cref="ByteFormerConfig.PresetNames"/>).</param>
/// <param name="Overrides">Changes to the preset (kernel, window, positional table).</param>
/// <param name="Patch">The pixel ViT's patch size in pixels.</param>
public sealed record ModelChoice(string Architecture = ModelArchitecture.ByteFormer, string Preset = "micro", ConfigOverrides? Overrides = null, int Patch = 4)
{
    /// <summary>A model file to start from (<see cref="FineTuning"/>): its configuration and weights replace the architecture,
    /// preset and overrides, except <see cref="ConfigOverrides.Positions"/> when set; null for random weights.</summary>
    public string? InitFrom { get; init; }

    /// <summary>With <see cref="InitFrom"/>: grow the file's byte model to twice its depth before training
    /// (<see cref="DepthGrowth"/>; the network starts as the file's function).</summary>
    public bool Deepen { get; init; }

    /// <summary>A choice that fine-tunes the model file at <paramref name="path"/>.</summary>
    public static ModelChoice FromModelFile(string path) => new() { InitFrom = path };

    /// <summary>
    /// The network builder (the data's class names → network, freshly initialised or from <see cref="InitFrom"/>) and its byte budget, for the data of
    /// <paramref name="spec"/>: the pixel ViT reads decoded Fashion-MNIST pixels only.
    /// </summary>
    /// <exception cref="ByteFormerException">An unknown architecture or preset, a configuration that cannot work, or a
    /// pixel ViT asked to read anything but raw pixels.</exception>
    public (Func<IReadOnlyList<string>, ByteClassifier> Build, long ByteBudget) Resolve(RunSpec spec)
    {
        if (InitFrom is not null) return FineTuning.Builder(InitFrom, spec, Overrides?.Positions, Deepen);
        if (Deepen) throw new ByteFormerException("deepening grows a trained network: give the model file to start from (--init-from)");
        var config = (Overrides ?? ConfigOverrides.None).ApplyTo(Preset);
        switch (Architecture)
        {
            case ModelArchitecture.ByteFormer:
                return (labels => new ByteFormerModel(config with { NClasses = labels.Count }), config.ByteBudget);
            case ModelArchitecture.PixelVit:
                var readsPixels = spec is { IsJoined: false, Data: RunSpec.FashionMnistName, Encoding: { } name }
                                  && ImageEncoding.TryParse(name, out var encoding) && encoding.IsRawPixels;
                if (!readsPixels)
                    throw new ByteFormerException("the pixel ViT reads decoded pixels: train it on Fashion-MNIST in the fhwc encoding");
                if (spec.HasByteTransforms)
                    throw new ByteFormerException("byte transforms (permutation, noise, kept positions, shuffles) are for the byte model, not the pixel ViT");
                var vit = (PixelVitConfig.MatchingWidthAndDepth(config, FashionMnist.Height, FashionMnist.Width, 1) with { PatchSize = Patch }).Validate();
                return (labels => new PixelVisionTransformer(vit with { NClasses = labels.Count }), vit.ImageBytes);
            default:
                throw new ByteFormerException($"unknown architecture '{Architecture}' (expected {string.Join(" or ", ModelArchitecture.Names)})");
        }
    }
}

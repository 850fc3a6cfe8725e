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
    /// <summary>
    /// The network builder (class count → freshly initialised network) and its byte budget, for the data of
    /// <paramref name="spec"/>: the pixel ViT reads decoded Fashion-MNIST pixels only.
    /// </summary>
    /// <exception cref="ByteFormerException">An unknown architecture or preset, a configuration that cannot work, or a
    /// pixel ViT asked to read anything but raw pixels.</exception>
    public (Func<int, ByteClassifier> Build, long ByteBudget) Resolve(RunSpec spec)
    {
        var config = (Overrides ?? ConfigOverrides.None).ApplyTo(Preset);
        switch (Architecture)
        {
            case ModelArchitecture.ByteFormer:
                return (classes => new ByteFormerModel(config with { NClasses = classes }), config.ByteBudget);
            case ModelArchitecture.PixelVit:
                var readsPixels = spec is { IsJoined: false, Data: RunSpec.FashionMnistName, Encoding: { } name }
                                  && ImageEncoding.TryParse(name, out var encoding) && encoding.IsRawPixels;
                if (!readsPixels)
                    throw new ByteFormerException("the pixel ViT reads decoded pixels: train it on Fashion-MNIST in the fhwc encoding");
                if (spec.HasByteTransforms)
                    throw new ByteFormerException("byte transforms (permutation, noise, kept positions, shuffles) are for the byte model, not the pixel ViT");
                var vit = (PixelVitConfig.MatchingWidthAndDepth(config, FashionMnist.Height, FashionMnist.Width, 1) with { PatchSize = Patch }).Validate();
                return (classes => new PixelVisionTransformer(vit with { NClasses = classes }), vit.ImageBytes);
            default:
                throw new ByteFormerException($"unknown architecture '{Architecture}' (expected {string.Join(" or ", ModelArchitecture.Names)})");
        }
    }
}

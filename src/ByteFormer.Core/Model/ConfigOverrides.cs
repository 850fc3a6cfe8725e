namespace ByteFormer.Model;

/// <summary>
/// Changes to a preset's ByteFormer configuration, as timm's presets take overrides: each null field keeps the
/// preset's value. A window given for every layer makes the shifts half of it on every other layer, as the
/// presets have them.
/// </summary>
/// <param name="KernelSize">The conv kernel k (the stride becomes k/2).</param>
/// <param name="WindowSize">The attention window of every layer.</param>
/// <param name="MaxTokens">The positional table's rows (with the kernel, this sets the byte budget).</param>
/// <param name="Positions">How tokens know their position (<see cref="PositionEncoding"/>).</param>
public sealed record ConfigOverrides(int? KernelSize = null, int? WindowSize = null, int? MaxTokens = null, PositionEncoding? Positions = null)
{
    /// <summary>No change.</summary>
    public static ConfigOverrides None { get; } = new();

    /// <summary><paramref name="config"/> with these changes, validated.</summary>
    /// <exception cref="ConfigurationException">The result cannot describe a ByteFormer.</exception>
    public ByteFormerConfig ApplyTo(ByteFormerConfig config)
    {
        if (KernelSize is { } k) config = config with { ConvKernelSize = k };
        if (WindowSize is { } w)
            config = config with
            {
                WindowSizes = [w],
                WindowShifts = Enumerable.Range(0, config.NTransformerLayers).Select(i => i % 2 == 0 ? 0 : w / 2).ToArray(),
            };
        if (MaxTokens is { } m) config = config with { MaxNumTokens = m };
        if (Positions is { } p) config = config with { Positions = p };
        return config.Validate();
    }

    /// <summary>The preset <paramref name="preset"/> (<see cref="ByteFormerConfig.Preset"/>) with these changes.</summary>
    /// <exception cref="ConfigurationException">An unknown preset, or a result that cannot work.</exception>
    public ByteFormerConfig ApplyTo(string preset) => ApplyTo(ByteFormerConfig.Preset(preset));
}

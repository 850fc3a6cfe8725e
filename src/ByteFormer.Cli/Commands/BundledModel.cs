namespace ByteFormer.Cli.Commands;

/// <summary>The model that ships with the command: <c>byteformer predict default FILE...</c> works wherever the
/// command is installed (a build output folder, a publish folder, the .NET tool store), with no repository around.</summary>
internal static class BundledModel
{
    /// <summary>The name that stands for the bundled model where a model file is expected.</summary>
    public const string Name = "default";

    /// <summary>Where the build puts the bundled model, relative to the program (ByteFormer.Cli.csproj).</summary>
    public const string RelativePath = "models/fashion-mnist-images.safetensors";

    /// <summary>A model argument as a path: <see cref="Name"/> is the bundled model unless a file of that name is here.</summary>
    public static string Resolve(string model)
    {
        if (model != Name || File.Exists(model) || Directory.Exists(model)) return model;
        var path = Path.Combine(AppContext.BaseDirectory, RelativePath);
        if (!File.Exists(path))
            throw new ByteFormerException($"the bundled default model is not installed next to the command ({path} is missing)");
        return path;
    }

    /// <summary>The model argument's help text, with the bundled model named.</summary>
    public static string Describe(string what) => $"{what}, or '{Name}' for the bundled Fashion-MNIST model of every image format";
}

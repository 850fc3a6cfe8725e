namespace ByteFormer;

/// <summary>
/// An error a user can act on: a bad file, a model that does not fit its weights, an invalid option.
/// Its message is one readable line; the CLI prints it as it is and exits non-zero.
/// </summary>
public class ByteFormerException : Exception
{
    /// <summary>An error whose <paramref name="message"/> is one readable line.</summary>
    public ByteFormerException(string message) : base(message) { }
    /// <summary>An error whose <paramref name="message"/> is one readable line, caused by <paramref name="inner"/>.</summary>
    public ByteFormerException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>A configuration that cannot describe a ByteFormer (unknown mode, wrong list lengths, ...).</summary>
public sealed class ConfigurationException : ByteFormerException
{
    /// <summary>A configuration error; <paramref name="message"/> says what is wrong, in one line.</summary>
    public ConfigurationException(string message) : base(message) { }
}

/// <summary>A weights or model file that cannot be read or does not fit the model it is meant for.</summary>
public sealed class CheckpointException : ByteFormerException
{
    /// <summary>A weights or model file error; <paramref name="message"/> says what is wrong, in one line.</summary>
    public CheckpointException(string message) : base(message) { }
    /// <summary>A weights or model file error; <paramref name="message"/> says what is wrong, in one line; <paramref name="inner"/> is the cause.</summary>
    public CheckpointException(string message, Exception inner) : base(message, inner) { }
}

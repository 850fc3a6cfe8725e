namespace ByteFormer.Codecs;

/// <summary>Thrown when a codec cannot encode or decode, or an encoding name is unknown; its message is one readable line.</summary>
public sealed class CodecException(string message) : ByteFormerException(message);

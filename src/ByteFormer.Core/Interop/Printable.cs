namespace ByteFormer.Interop;

/// <summary>Text from a file, made fit for a one-line error message: control characters become '?', and a long
/// value is cut, so a forged name cannot break the message's line or flood the terminal.</summary>
internal static class Printable
{
    /// <summary><paramref name="text"/> without control characters, cut after <paramref name="max"/> characters.</summary>
    public static string Of(string? text, int max = 120)
    {
        if (text is null) return "";
        var clean = text.Any(char.IsControl) ? new string(text.Select(c => char.IsControl(c) ? '?' : c).ToArray()) : text;
        return clean.Length > max ? clean[..max] + "…" : clean;
    }
}

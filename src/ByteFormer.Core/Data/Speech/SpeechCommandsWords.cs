namespace ByteFormer.Data.Speech;

/// <summary>The words of Speech Commands v2 and its 12-class task (byteformer.md §3.5).</summary>
public static class SpeechCommandsWords
{
    /// <summary>All 35 words, in Speech Commands v2's alphabetical folder order.</summary>
    public static IReadOnlyList<string> All { get; } =
    [
        "backward", "bed", "bird", "cat", "dog", "down", "eight", "five", "follow", "forward", "four", "go", "happy",
        "house", "learn", "left", "marvin", "nine", "no", "off", "on", "one", "right", "seven", "sheila", "six", "stop",
        "three", "tree", "two", "up", "visual", "wow", "yes", "zero",
    ];

    /// <summary>The 10 command words of the 12-class task.</summary>
    public static IReadOnlyList<string> Commands { get; } = ["yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go"];

    /// <summary>The 12-class task's extra classes: any other word, and background noise only.</summary>
    public const string Unknown = "_unknown_", Silence = "_silence_";

    /// <summary>The folder of long background-noise recordings.</summary>
    public const string BackgroundNoise = "_background_noise_";
}

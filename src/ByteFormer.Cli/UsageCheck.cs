using System.CommandLine;
using System.CommandLine.Parsing;

namespace ByteFormer.Cli;

/// <summary>
/// Catches command-line mistakes before any work starts, as one line with a suggestion: an unknown verb, an
/// unknown option (also where a verb's file arguments would otherwise take it as a file name), a missing or bad value.
/// </summary>
internal static class UsageCheck
{
    /// <summary>The first mistake in <paramref name="parse"/>, as one line, or null when there is none (or help is asked for).</summary>
    public static string? FirstProblem(ParseResult parse)
    {
        if (parse.Tokens.Any(t => t.Value is "-h" or "--help" or "-?" or "--version")) return null;
        var command = parse.CommandResult.Command;
        var verb = command.Parents.Any() ? $"'{command.Name}'" : "byteformer";
        var options = KnownOptions(command);
        // Tokens a positional argument took, or nobody took: an option-like one is a misspelt option, not a file.
        var loose = parse.CommandResult.Children.OfType<ArgumentResult>().SelectMany(a => a.Tokens).Select(t => t.Value)
            .Concat(parse.UnmatchedTokens);
        foreach (var token in loose)
        {
            if (!LooksLikeOption(token) || options.Contains(token.Split('=')[0])) continue;
            var name = token.Split('=')[0];
            var suggestion = Closest(name, options);
            var help = command.Parents.Any() ? $"byteformer {command.Name} --help" : "byteformer --help";
            return $"unknown option {name} for {verb}" + (suggestion is null ? $" (see {help})" : $" (did you mean {suggestion}?)");
        }
        if (parse.Errors.Count == 0) return null;
        var unmatched = parse.UnmatchedTokens.FirstOrDefault();
        if (unmatched is not null && !command.Parents.Any())
        {
            var verbs = command.Subcommands.Select(c => c.Name).ToList();
            var suggestion = Closest(unmatched, verbs);
            return $"unknown verb '{unmatched}'" + (suggestion is null ? $" (verbs: {string.Join(", ", verbs)})" : $" (did you mean {suggestion}?)");
        }
        if (unmatched is not null) return $"unexpected argument '{unmatched}' for {verb} (see byteformer {command.Name} --help)";
        return string.Join(' ', parse.Errors[0].Message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }

    private static HashSet<string> KnownOptions(Command command)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        void Add(Option o)
        {
            names.Add(o.Name);
            foreach (var alias in o.Aliases) names.Add(alias);
        }
        foreach (var o in command.Options) Add(o);
        foreach (var parent in Ancestors(command))
            foreach (var o in parent.Options.Where(o => o.Recursive)) Add(o);
        return names;
    }

    private static IEnumerable<Command> Ancestors(Command command)
    {
        foreach (var parent in command.Parents.OfType<Command>())
        {
            yield return parent;
            foreach (var above in Ancestors(parent)) yield return above;
        }
    }

    /// <summary>"-x" or "--word", but not "-" (standard input) nor a negative number.</summary>
    private static bool LooksLikeOption(string token) =>
        token.Length > 1 && token[0] == '-' && !double.TryParse(token, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out _);

    /// <summary>The candidate nearest to <paramref name="given"/> (dashes and case ignored), or null when none is near.</summary>
    public static string? Closest(string given, IEnumerable<string> candidates)
    {
        static string Bare(string s) => s.TrimStart('-').Replace("-", "").ToLowerInvariant();
        var bare = Bare(given);
        if (bare.Length == 0) return null;
        var best = candidates.Where(c => c.StartsWith("--", StringComparison.Ordinal) || !c.StartsWith('-'))
            .Select(c => (Name: c, Distance: Distance(bare, Bare(c))))
            .OrderBy(x => x.Distance).ThenBy(x => x.Name, StringComparer.Ordinal).FirstOrDefault();
        if (best.Name is null) return null;
        return best.Distance <= Math.Max(2, bare.Length / 3) ? best.Name : null;
    }

    private static int Distance(string a, string b)
    {
        var row = Enumerable.Range(0, b.Length + 1).ToArray();
        for (var i = 1; i <= a.Length; i++)
        {
            var previous = row[0];
            row[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var current = row[j];
                row[j] = Math.Min(Math.Min(row[j] + 1, row[j - 1] + 1), previous + (a[i - 1] == b[j - 1] ? 0 : 1));
                previous = current;
            }
        }
        return row[b.Length];
    }
}

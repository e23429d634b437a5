using System.Text.RegularExpressions;

namespace Multifd.Cli.Drift;

/// <summary>What became of one name in the tree.</summary>
/// <param name="Status">"present", "moved" (found in another file), "renamed" (gone, a similar name is there) or "removed".</param>
/// <param name="Where">For "moved": the file(s) it is in now. For "renamed": the similar name and its file.</param>
public sealed record NameCheck(MapName Name, string Status, string? Where = null)
{
    public bool Drifted => Status != "present";

    public override string ToString() => Status switch
    {
        "moved" => $"moved    {Name}: now in {Where}",
        "renamed" => $"renamed? {Name}: gone; similar: {Where}",
        "removed" => $"removed  {Name}: not found{(Name.Kind == "file" ? "" : " anywhere in the tree")}",
        _ => $"present  {Name}",
    };
}

/// <summary>
/// Checks the names of docs/engine-map.md against a QEMU tree: a file exists; a function is defined (a line at column 0
/// naming it before a '(', or a #define of it) in its file; a trace event is declared in its trace-events file; a
/// property is a quoted string in its file; a symbol is a word of its file. A name not in its file is looked for in the
/// whole tree (moved); a name found nowhere gets the most similar name of its kind in its file as a guess (renamed?).
/// </summary>
public sealed partial class DriftCheck(IQemuTree tree)
{
    private readonly Dictionary<string, string?> texts = [];
    private readonly Dictionary<string, HashSet<string>> declared = [];
    private HashSet<(string Kind, string Name)> listed = [];

    public IReadOnlyList<NameCheck> Run(IReadOnlyList<MapName> names)
    {
        listed = [.. names.Select(n => (n.Kind, n.Name))];
        return names.Select(Check).ToList();
    }

    private NameCheck Check(MapName n)
    {
        if (n.Kind == "file")
        {
            return Text(n.File) is null ? new NameCheck(n, "removed") : new NameCheck(n, "present");
        }

        if (In(n.Kind, n.Name, n.File))
        {
            return new NameCheck(n, "present");
        }

        var elsewhere = Candidates(n.Kind).Where(f => f != n.File && In(n.Kind, n.Name, f)).Take(3).ToList();
        if (elsewhere.Count > 0)
        {
            return new NameCheck(n, "moved", string.Join(", ", elsewhere));
        }

        var guess = Similar(n);
        return guess is null ? new NameCheck(n, "removed") : new NameCheck(n, "renamed", guess);
    }

    /// <summary>The most similar name of the same kind in the name's file (or, if the file is gone, in its directory).</summary>
    private string? Similar(MapName n)
    {
        var files = Text(n.File) is not null
            ? [n.File]
            : Candidates(n.Kind).Where(f => DirectoryOf(f) == DirectoryOf(n.File)).ToList();
        var scored = files
            .SelectMany(f => Declared(n.Kind, f).Where(d => n.Kind != "symbol" || d.Contains('_')).Select(d => (Name: d, File: f)))
            .Where(d => d.Name != n.Name && !listed.Contains((n.Kind, d.Name))) // a name the map lists is not the renamed one
            .Select(d => (d.Name, d.File, Score: Similarity(n.Name, d.Name)))
            .Where(d => d.Score >= 0.6)
            .OrderByDescending(d => d.Score)
            .ThenBy(d => Levenshtein(n.Name, d.Name))
            .ThenBy(d => d.Name, StringComparer.Ordinal)
            .ToList();
        if (scored.Count == 0)
        {
            return null;
        }

        // Names share words for other reasons too: offer every name as alike as the best one (at most three).
        var guesses = scored.TakeWhile(d => d.Score == scored[0].Score).Take(3).ToList();
        return string.Join(" or ", guesses.Select(d => $"{d.Name} ({d.File})"));
    }

    private string? Text(string path)
    {
        if (!texts.TryGetValue(path, out var text))
        {
            text = tree.Read(path);
            texts[path] = text;
        }

        return text;
    }

    /// <summary>The files of the tree where a name of this kind may live (tests, firmware and subprojects left out).</summary>
    private IEnumerable<string> Candidates(string kind) => tree.Files.Where(f =>
        !f.StartsWith("tests/", StringComparison.Ordinal) && !f.StartsWith("roms/", StringComparison.Ordinal)
        && !f.StartsWith("subprojects/", StringComparison.Ordinal)
        && kind switch
        {
            "trace-event" => f == "trace-events" || f.EndsWith("/trace-events", StringComparison.Ordinal),
            "property" => f.EndsWith(".c", StringComparison.Ordinal),
            _ => f.EndsWith(".c", StringComparison.Ordinal) || f.EndsWith(".h", StringComparison.Ordinal),
        });

    private static string DirectoryOf(string path) => path.Contains('/') ? path[..path.LastIndexOf('/')] : "";

    /// <summary>Whether the tree's <paramref name="file"/> has <paramref name="name"/> as a <paramref name="kind"/>.</summary>
    /// <remarks>Properties and symbols are searched in the text (their name sets would be large); the map's own files stay cached.</remarks>
    private bool In(string kind, string name, string file) => kind switch
    {
        "function" or "trace-event" => Declared(kind, file).Contains(name),
        _ => (texts.TryGetValue(file, out var kept) ? kept : tree.Read(file)) is { } text
             && text.Contains(name, StringComparison.Ordinal) && Has(kind, name, text),
    };

    /// <summary>Whether <paramref name="text"/> has <paramref name="name"/> as a <paramref name="kind"/>.</summary>
    public static bool Has(string kind, string name, string text) => Names(kind, text).Contains(name);

    /// <summary>The names of a kind a file has (cached; files read only for a tree-wide search are not kept).</summary>
    private HashSet<string> Declared(string kind, string file)
    {
        var key = $"{kind}:{file}";
        if (!declared.TryGetValue(key, out var set))
        {
            var text = texts.TryGetValue(file, out var kept) ? kept : tree.Read(file);
            set = text is null ? [] : Names(kind, text);
            declared[key] = set;
        }

        return set;
    }

    private static HashSet<string> Names(string kind, string text) => kind switch
    {
        "function" => [.. Definitions(text)],
        "trace-event" => [.. TraceEvents(text)],
        "property" => [.. QuotedName().Matches(text).Select(m => m.Groups[1].Value)],
        "symbol" => [.. Identifier().Matches(text).Select(m => m.Value)],
        _ => [],
    };

    /// <summary>Functions defined in C text: a line at column 0 (not a comment, brace or directive) whose first "name(" is the function, or a #define of a function-like macro.</summary>
    public static IReadOnlyList<string> Definitions(string text)
    {
        var names = new List<string>();
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.Length == 0)
            {
                continue;
            }

            if (DefineMacro().Match(line) is { Success: true } macro)
            {
                names.Add(macro.Groups[1].Value);
                continue;
            }

            if (char.IsWhiteSpace(line[0]) || line[0] is '#' or '/' or '*' or '{' or '}' || line.TrimEnd().EndsWith(';'))
            {
                continue;
            }

            if (FirstCall().Match(line) is { Success: true } m)
            {
                names.Add(m.Groups[1].Value);
            }
        }

        return names;
    }

    /// <summary>Events declared in a trace-events file: "[properties] name(args) fmt".</summary>
    public static IReadOnlyList<string> TraceEvents(string text) =>
        [.. text.Split('\n').Select(l => TraceEvent().Match(l.TrimEnd('\r'))).Where(m => m.Success).Select(m => m.Groups[1].Value)];

    /// <summary>How alike two names are: the Dice coefficient of their '_'- or '-'-separated words (1 = the same words).</summary>
    public static double Similarity(string a, string b)
    {
        var wa = a.Split('_', '-').ToList();
        var wb = b.Split('_', '-').ToList();
        var common = 0;
        var rest = new List<string>(wb);
        foreach (var w in wa)
        {
            if (rest.Remove(w))
            {
                common++;
            }
        }

        return 2.0 * common / (wa.Count + wb.Count);
    }

    private static int Levenshtein(string a, string b)
    {
        var d = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            d[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            var prev = d[0];
            d[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var cur = d[j];
                d[j] = Math.Min(Math.Min(d[j] + 1, d[j - 1] + 1), prev + (a[i - 1] == b[j - 1] ? 0 : 1));
                prev = cur;
            }
        }

        return d[b.Length];
    }

    [GeneratedRegex(@"^#\s*define\s+([A-Za-z_][A-Za-z0-9_]*)\(")]
    private static partial Regex DefineMacro();

    [GeneratedRegex(@"([A-Za-z_][A-Za-z0-9_]*)\s*\(")]
    private static partial Regex FirstCall();

    [GeneratedRegex(@"^(?:[a-z]+\s+)*([a-z_][a-z0-9_]*)\(")]
    private static partial Regex TraceEvent();

    [GeneratedRegex("\"([a-z][a-z0-9-]*)\"")]
    private static partial Regex QuotedName();

    [GeneratedRegex("[A-Za-z_][A-Za-z0-9_]*")]
    private static partial Regex Identifier();
}

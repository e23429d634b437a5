namespace Multifd.Cli.Drift;

/// <summary>One QEMU name the engine map depends on: what it is, the name, and the file QEMU has it in.</summary>
/// <param name="Kind">"file", "function", "trace-event", "property" (a quoted property name) or "symbol" (a field, macro or variable).</param>
/// <param name="File">The file, relative to the QEMU tree's root (for "file", the name itself).</param>
public sealed record MapName(string Kind, string Name, string File)
{
    public static readonly IReadOnlyList<string> Kinds = ["file", "function", "trace-event", "property", "symbol"];

    public override string ToString() => Kind == "file" ? $"file {Name}" : $"{Kind} {Name} ({File})";
}

/// <summary>
/// Reads the section of docs/engine-map.md that lists the QEMU names the map depends on: a Markdown table under the
/// heading <see cref="Heading"/>, one row per name, `| kind | name | file |`, names in backticks.
/// </summary>
public static class EngineMapNames
{
    public const string Heading = "## QEMU names checked by `multifd drift`";

    /// <summary>Parses the section; a missing section, a malformed row or an unknown kind is a <see cref="UsageException"/>.</summary>
    public static IReadOnlyList<MapName> Parse(string markdown, string mapFile)
    {
        var lines = markdown.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        var start = lines.FindIndex(l => l.Trim() == Heading);
        if (start < 0)
        {
            throw new UsageException($"{mapFile}: no section \"{Heading[3..]}\" (the names drift checks)");
        }

        var names = new List<MapName>();
        var seen = new HashSet<(string, string, string)>();
        for (var i = start + 1; i < lines.Count && !lines[i].StartsWith("## ", StringComparison.Ordinal); i++)
        {
            var line = lines[i].Trim();
            if (!line.StartsWith('|') || line.StartsWith("|---", StringComparison.Ordinal) || line.StartsWith("| kind ", StringComparison.Ordinal))
            {
                continue;
            }

            var cells = line.Trim('|').Split('|').Select(c => c.Trim().Trim('`').Trim()).ToList();
            if (cells.Count != 3 || cells[0].Length == 0 || cells[1].Length == 0)
            {
                throw new UsageException($"{mapFile}:{i + 1}: a drift row needs three cells, | kind | name | file | (got \"{line}\")");
            }

            var (kind, name, file) = (cells[0], cells[1], cells[2]);
            if (!MapName.Kinds.Contains(kind))
            {
                throw new UsageException($"{mapFile}:{i + 1}: unknown kind \"{kind}\" (known: {string.Join(", ", MapName.Kinds)})");
            }

            file = kind == "file" ? name : file;
            if (file.Length == 0)
            {
                throw new UsageException($"{mapFile}:{i + 1}: {kind} {name} needs the file QEMU has it in");
            }

            if (seen.Add((kind, name, file)))
            {
                names.Add(new MapName(kind, name, file));
            }
        }

        if (names.Count == 0)
        {
            throw new UsageException($"{mapFile}: the section \"{Heading[3..]}\" lists no names");
        }

        return names;
    }
}

using System.CommandLine;
using Multifd.Checker.Scenarios;
using Multifd.Cli.Drift;

namespace Multifd.Cli.Commands;

/// <summary>
/// `multifd drift QEMU_TREE [--rev REV] [--map PATH]`: checks that every QEMU file, function, trace event, property
/// and symbol docs/engine-map.md names still exists in a QEMU tree, and lists what moved, was renamed (with the most
/// similar name as a guess) or was removed. Exit 0: all present; 2: drift found; 1: bad input (one line).
/// </summary>
public static class DriftCommand
{
    public static Command Create(CliContext context)
    {
        var tree = new Argument<string>("QEMU_TREE") { Description = "A QEMU source directory, or a git repository of QEMU with --rev" };
        var rev = new Option<string?>("--rev") { Description = "Read this revision of the git repository QEMU_TREE (default: the directory's files)", HelpName = "REV" };
        var map = new Option<string?>("--map") { Description = "The engine map to read the names from; default: docs/engine-map.md", HelpName = "PATH" };
        var verbose = new Option<bool>("--verbose") { Description = "Also list every name found" };
        var command = new Command("drift", "Check that the QEMU names docs/engine-map.md relies on still exist in a QEMU tree")
        {
            tree, rev, map, verbose,
        };
        command.SetAction(parse => Execute(context, parse.GetValue(tree)!, parse.GetValue(rev), parse.GetValue(map), parse.GetValue(verbose)));
        return command;
    }

    private static int Execute(CliContext context, string treePath, string? rev, string? mapPath, bool verbose)
    {
        mapPath ??= DefaultMap() ?? throw new UsageException("drift: docs/engine-map.md not found (run from the repository, or give --map)");
        string markdown;
        try
        {
            markdown = File.ReadAllText(mapPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"drift: {mapPath}: cannot read: {e.Message}");
        }

        var names = EngineMapNames.Parse(markdown, mapPath);
        using var tree = QemuTree.Open(treePath, rev);
        var files = names.Select(n => n.File).Distinct().ToList();
        if (!files.Any(f => tree.Read(f) is not null))
        {
            throw new UsageException($"drift: {tree.Description}: not a QEMU tree (none of the {files.Count} files the map names is there)");
        }

        var version = tree.Read("VERSION")?.Trim();
        var results = new DriftCheck(tree).Run(names);
        var drifted = results.Where(r => r.Drifted).ToList();
        var o = context.Out;
        o.WriteLine($"drift {tree.Description}{(version is null ? "" : $" (VERSION {version})")}: {names.Count} names from {Path.GetFileName(mapPath)}");
        foreach (var r in verbose ? results : drifted)
        {
            o.WriteLine($"  {r}");
        }

        if (drifted.Count == 0)
        {
            o.WriteLine($"no drift: all {names.Count} names present");
            return ExitCodes.Pass;
        }

        var counts = drifted.GroupBy(r => r.Status).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Count()} {g.Key}");
        o.WriteLine($"drift found: {drifted.Count} of {names.Count} names ({string.Join(", ", counts)})");
        return ExitCodes.Bug;
    }

    private static string? DefaultMap()
    {
        var models = ModelsFolder.Find();
        var map = models is null ? null : Path.Combine(Path.GetDirectoryName(models)!, "docs", "engine-map.md");
        return map is not null && File.Exists(map) ? map : null;
    }
}

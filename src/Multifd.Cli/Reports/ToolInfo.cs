using System.Reflection;
using System.Runtime.InteropServices;

namespace Multifd.Cli.Reports;

/// <summary>Versions of the tools a report was made with, and the git commit of the checked tree.</summary>
public static class ToolInfo
{
    public static ToolsReport Versions() => new(
        Multifd: Informational(typeof(ToolInfo).Assembly),
        Coyote: typeof(Microsoft.Coyote.Configuration).Assembly.GetName().Version?.ToString() ?? "unknown",
        Dotnet: RuntimeInformation.FrameworkDescription);

    private static string Informational(Assembly assembly)
    {
        var version = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
            ?? assembly.GetName().Version?.ToString() ?? "unknown";
        var plus = version.IndexOf('+', StringComparison.Ordinal);
        return plus > 0 ? version[..plus] : version;
    }

    /// <summary>
    /// The commit checked out in the repository holding <paramref name="start"/> (read from .git, no git process),
    /// or null. Handles worktrees (.git is a file naming the git dir) and packed refs.
    /// </summary>
    public static string? GitCommit(string start)
    {
        try
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var dotGit = Path.Combine(dir.FullName, ".git");
                if (Directory.Exists(dotGit))
                {
                    return Resolve(dotGit, dotGit);
                }

                if (File.Exists(dotGit))
                {
                    var line = File.ReadAllText(dotGit).Trim();
                    if (!line.StartsWith("gitdir:", StringComparison.Ordinal))
                    {
                        return null;
                    }

                    var gitDir = Path.GetFullPath(line["gitdir:".Length..].Trim(), dir.FullName);
                    var commonFile = Path.Combine(gitDir, "commondir");
                    var common = File.Exists(commonFile)
                        ? Path.GetFullPath(File.ReadAllText(commonFile).Trim(), gitDir)
                        : gitDir;
                    return Resolve(gitDir, common);
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return null;
        }

        return null;
    }

    private static string? Resolve(string gitDir, string commonDir)
    {
        var head = File.ReadAllText(Path.Combine(gitDir, "HEAD")).Trim();
        if (!head.StartsWith("ref:", StringComparison.Ordinal))
        {
            return IsSha(head) ? head : null;
        }

        var reference = head["ref:".Length..].Trim();
        foreach (var root in new[] { gitDir, commonDir })
        {
            var file = Path.Combine(root, reference);
            if (File.Exists(file))
            {
                var sha = File.ReadAllText(file).Trim();
                return IsSha(sha) ? sha : null;
            }
        }

        var packed = Path.Combine(commonDir, "packed-refs");
        if (File.Exists(packed))
        {
            foreach (var line in File.ReadLines(packed))
            {
                var parts = line.Split(' ', 2);
                if (parts.Length == 2 && parts[1] == reference && IsSha(parts[0]))
                {
                    return parts[0];
                }
            }
        }

        return null;
    }

    private static bool IsSha(string text) => text.Length is 40 or 64 && text.All(char.IsAsciiHexDigit);
}

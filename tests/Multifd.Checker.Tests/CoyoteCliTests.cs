using System.Diagnostics;
using Multifd.Checker.Scenarios;

namespace Multifd.Checker.Tests;

/// <summary>
/// The checker assembly works with the plain Coyote tool, as the README shows: `coyote test` exits 0 on the
/// correct protocol and 2 on a known bug, and `coyote replay` reproduces that bug's trace (exit 2).
/// The tool is the Microsoft.Coyote.CLI package the build already downloads (what `dotnet tool restore` installs).
/// </summary>
public sealed class CoyoteCliTests : IDisposable
{
    private readonly string output = Directory.CreateTempSubdirectory("coyote-cli-").FullName;

    private static string Repository => Path.GetDirectoryName(ModelsFolder.Find()!)!;

    private static string CheckerDll => Path.Combine(Repository, "src", "Multifd.Checker", "bin",
        new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name, "net10.0", "Multifd.Checker.dll");

    [Fact]
    public void TestPassesAndAKnownBugFailsAndReplays()
    {
        Assert.True(File.Exists(CheckerDll), $"{CheckerDll} not built");
        var pass = Coyote(null, "test", CheckerDll, "-m", "Default", "-i", "20");
        Assert.True(pass.Code == 0, pass.Output);

        var bug = Coyote("cleanup-without-bql", "test", CheckerDll, "-m", "Default", "-i", "20", "-o", output);
        Assert.True(bug.Code == 2, bug.Output);
        var trace = Directory.GetFiles(output, "*.trace", SearchOption.AllDirectories).Single();

        var replay = Coyote("cleanup-without-bql", "replay", CheckerDll, trace, "-m", "Default");
        Assert.True(replay.Code == 2, replay.Output);
        Assert.Contains("Reproduced 1 bug", replay.Output);
    }

    public void Dispose() => Directory.Delete(output, recursive: true);

    private static (int Code, string Output) Coyote(string? variant, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Repository };
        foreach (var a in new[] { "exec", "--roll-forward", "Major", CoyoteDll() }.Concat(args))
        {
            info.ArgumentList.Add(a);
        }

        info.Environment["COYOTE_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment.Remove("MULTIFD_SCENARIO");
        if (variant is null)
        {
            info.Environment.Remove("MULTIFD_VARIANT");
        }
        else
        {
            info.Environment["MULTIFD_VARIANT"] = variant;
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout.Result + stderr);
    }

    private static string CoyoteDll()
    {
        var root = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
                   ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var dll = Path.Combine(root, "microsoft.coyote.cli", "1.7.11", "tools", "net8.0", "any", "coyote.dll");
        Assert.True(File.Exists(dll), $"the Coyote CLI package is not at {dll} (the build downloads it)");
        return dll;
    }
}

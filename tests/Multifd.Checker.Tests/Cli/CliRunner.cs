namespace Multifd.Checker.Tests.Cli;

/// <summary>What one in-process run of the `multifd` command gave.</summary>
public sealed record CliRun(int ExitCode, string Out, string Err)
{
    public string[] OutLines => Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    public string[] ErrLines => Err.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    public override string ToString() => $"exit {ExitCode}\n--- out\n{Out}\n--- err\n{Err}";
}

/// <summary>Runs the CLI in-process through its public entry point.</summary>
public static class CliRunner
{
    public static CliRun Run(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = Multifd.Cli.Program.Run(args, output, error);
        return new CliRun(code, output.ToString().Replace("\r\n", "\n"), error.ToString().Replace("\r\n", "\n"));
    }
}

/// <summary>A fresh folder under the system temp folder, deleted on dispose.</summary>
public sealed class TempFolder : IDisposable
{
    public TempFolder()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "multifd-cli-tests", System.IO.Path.GetRandomFileName());
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>A copy of a folder inside this one.</summary>
    public string CopyOf(string folder, string name)
    {
        var target = File(name);
        Directory.CreateDirectory(target);
        foreach (var file in Directory.GetFiles(folder))
        {
            System.IO.File.Copy(file, System.IO.Path.Combine(target, System.IO.Path.GetFileName(file)));
        }

        return target;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>
/// One `check` that finds a bug (variant final-sync-strands-recv, a hang: P10), with its report, JUnit and bundle;
/// shared by the tests that read them.
/// </summary>
public sealed class BugBundleFixture : IDisposable
{
    public const string Variant = "final-sync-strands-recv";

    private readonly TempFolder folder = new();

    public BugBundleFixture()
    {
        ReportPath = folder.File("report.json");
        JUnitPath = folder.File("junit.xml");
        OutDirectory = folder.File("out");
        Check = CliRunner.Run("check", "--variant", Variant, "--iterations", "20", "--out", OutDirectory,
            "--report", ReportPath, "--junit", JUnitPath);
        Bundle = System.IO.Path.Combine(OutDirectory, $"default-{Variant}-1");
    }

    public CliRun Check { get; }

    public string ReportPath { get; }

    public string JUnitPath { get; }

    public string OutDirectory { get; }

    public string Bundle { get; }

    public TempFolder Scratch { get; } = new();

    public void Dispose()
    {
        folder.Dispose();
        Scratch.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class BugBundleCollection : ICollectionFixture<BugBundleFixture>
{
    public const string Name = "bug bundle";
}

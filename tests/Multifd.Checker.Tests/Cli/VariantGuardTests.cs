using System.Text.Json.Nodes;

namespace Multifd.Checker.Tests.Cli;

/// <summary>check --variant: without --scenario it runs where the manifest says the variant shows; where it cannot show it refuses.</summary>
public class VariantGuardTests
{
    [Fact]
    public void AVariantThatCannotShowIsRefusedInOneLine()
    {
        using var folder = new TempFolder();
        var run = CliRunner.Run("check", "--scenario", "default", "--variant", "no-config-interlock", "--report", folder.File("r.json"));
        Assert.Equal(1, run.ExitCode);
        Assert.Single(run.ErrLines);
        Assert.StartsWith("multifd: variant no-config-interlock cannot show in scenario default: needs an aarch64 destination", run.Err);
        Assert.Contains("(--force runs it anyway)", run.Err);
        Assert.Empty(run.Out);
        Assert.False(File.Exists(folder.File("r.json")));
    }

    [Fact]
    public void ForceRunsItAnyway()
    {
        using var folder = new TempFolder();
        var run = CliRunner.Run("check", "--scenario", "default", "--variant", "no-config-interlock", "--force", "--iterations", "3",
            "--out", folder.File("out"), "--report", folder.File("r.json"));
        Assert.True(run.ExitCode is 0 or 1, run.ToString()); // a pass, or inconclusive in 3 schedules: never a bug here
        Assert.Equal("no-config-interlock", JsonNode.Parse(File.ReadAllText(folder.File("r.json")))!["variant"]!.GetValue<string>());
    }

    [Fact]
    public void WithoutAScenarioTheVariantRunsInItsManifestScenario()
    {
        using var folder = new TempFolder();
        var run = CliRunner.Run("check", "--variant", "queued-count-drift", "--iterations", "100", "--out", folder.File("out"),
            "--report", folder.File("r.json"));
        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.StartsWith("check tight-count-limit: variant queued-count-drift", run.OutLines[0]);
        var report = JsonNode.Parse(File.ReadAllText(folder.File("r.json")))!;
        Assert.Equal("tight-count-limit", report["scenario"]!.GetValue<string>());
        Assert.Equal("P6", report["violations"]![0]!["property"]!.GetValue<string>());
    }
}

using System.Text.Json.Nodes;
using Multifd.Checker.Benchmarks;
using Multifd.Checker.Scenarios;

namespace Multifd.Checker.Tests.Cli;

/// <summary>`multifd bench`: its files, its bad input, and its real-thread stress loop (no timing is asserted).</summary>
[Collection(AloneCollection.Name)]
public class BenchTests
{
    [Fact]
    public void WritesJsonAndMarkdownOfTheSectionsAskedFor()
    {
        using var folder = new TempFolder();
        var run = CliRunner.Run("bench", "--quick", "--section", "breakdown", "--json", folder.File("bench.json"),
            "--markdown", folder.File("bench.md"));
        Assert.True(run.ExitCode == 0, run.ToString());

        var json = JsonNode.Parse(File.ReadAllText(folder.File("bench.json")))!;
        Assert.True(json["quick"]!.GetValue<bool>());
        Assert.Equal("multifd bench --quick --section breakdown --json " + folder.File("bench.json") + " --markdown " + folder.File("bench.md"),
            json["command"]!.GetValue<string>());
        var breakdown = json["breakdown"]!;
        Assert.True(breakdown["total"]!.GetValue<double>() > 0);
        Assert.True(breakdown["perType"]!["Acquire"]!.GetValue<double>() > 0);
        Assert.Null(json["coyote"]);
        Assert.Empty(json["variants"]!.AsArray());

        var markdown = File.ReadAllText(folder.File("bench.md"));
        Assert.Contains("decisions per schedule come from", markdown);
        Assert.Contains("| Acquire |", markdown);
        Assert.Contains(markdown.Trim(), run.Out);
    }

    [Theory]
    [InlineData("--section", "everything", "--section: unknown section \"everything\"")]
    [InlineData("--strategy", "dfs", "--strategy: unknown strategy \"dfs\"")]
    public void RefusesBadInput(string option, string value, string message)
    {
        var run = CliRunner.Run("bench", option, value);
        Assert.Equal(1, run.ExitCode);
        Assert.Contains(message, run.Err);
    }

    [Fact]
    public void TheStressLoopOnRealThreadsFindsAVariantThatEveryFewRunsShow()
    {
        var bug = BenchRunner.KnownBugs(ModelsFolder.Find()!).Single(b => b.Entry.Scenario == "variant-short-write-as-complete");
        var cost = StressLoop.Run(bug.Entry.Label, bug.Entry.Property!, bug.Accepted, bug.Scenario, bug.Variant, new BenchOptions { Quick = true });
        Assert.Equal("P1", cost.Found);
        Assert.True(cost.Matches);
        Assert.Equal(cost.Runs, cost.RunsToBug);
        Assert.Equal(0, cost.ThreadsLeaked);
    }

    [Theory]
    [InlineData(0.022, "+2.2%")]
    [InlineData(-0.017, "-1.7%")]
    [InlineData(-0.0001, "+0.0%")] // a tiny negative growth once printed as "-+0.0%"
    [InlineData(0.0, "+0.0%")]
    public void GrowthIsPrintedWithOneSign(double growth, string expected) =>
        Assert.Equal(expected, BenchMarkdown.SignedPercent(growth));

    [Fact]
    public void KnownBugsAreTheManifestsBugEntriesWithAVariant()
    {
        var bugs = BenchRunner.KnownBugs(ModelsFolder.Find()!);
        Assert.Contains(bugs, b => b.Entry.Label == "default/lock-order-inversion");
        Assert.Contains(bugs, b => b.Entry.Scenario == "variant-single-wait-cleanup");
        Assert.DoesNotContain(bugs, b => b.Variant == Engine.ProtocolVariant.Correct);
    }
}

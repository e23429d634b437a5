using System.Text.Json.Nodes;
using System.Xml.Linq;
using Multifd.Checker.Scenarios;

namespace Multifd.Checker.Tests.Cli;

/// <summary>`check` that passes, that is inconclusive (a must-reach situation missed), and over several scenarios.</summary>
public sealed class CheckPassTests : IDisposable
{
    private readonly TempFolder temp = new();

    [Fact]
    public void DefaultScenarioPassesWithASummaryAndAPassReport()
    {
        var report = temp.File("report.json");
        var run = CliRunner.Run("check", "--iterations", "30", "--report", report, "--out", temp.File("out"));
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.StartsWith("check default: variant correct, strategy portfolio, seed 1, 30 schedules", run.Out);
        Assert.Contains("| verdict            | pass", run.Out);
        Assert.Contains("| peak queued        | dev0 ", run.Out);
        var json = JsonNode.Parse(File.ReadAllText(report))!;
        Assert.Equal("pass", (string?)json["verdict"]);
        Assert.Equal(30, (int?)json["iterations"]);
        Assert.Null(json["firstBugIteration"]);
        Assert.Null(json["bundle"]);
        Assert.Empty(json["violations"]!.AsArray());
        Assert.Empty(json["missedSituations"]!.AsArray());
        Assert.Empty(json["unmergedKnobs"]!.AsArray());
        Assert.DoesNotContain("unmerged knobs", run.Out);
        Assert.Equal(30, (int?)json["outcomes"]!["success"]);
        Assert.False(Directory.Exists(temp.File("out")));
    }

    [Fact]
    public void AScenarioWithTheCountLimitSaysInTheReportAndTheSummaryThatItIsNotMerged()
    {
        var scenario = ModelsFolder.LoadScenario("generous-limits");
        scenario = scenario with
        {
            Name = "count-limit-on",
            Devices = [scenario.Devices[0] with { Destination = scenario.Devices[0].Destination with { MaxQueuedBuffers = 4 } }],
        };
        var file = temp.File("count-limit-on.json");
        File.WriteAllText(file, ScenarioLoader.ToJson(scenario));
        var report = temp.File("report.json");
        var run = CliRunner.Run("check", "--scenario", file, "--iterations", "3", "--report", report, "--out", temp.File("out"));
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("| unmerged knobs", run.Out);
        Assert.Contains("x-migration-max-queued-buffers=4", run.Out);
        var knobs = JsonNode.Parse(File.ReadAllText(report))!["unmergedKnobs"]!.AsArray();
        Assert.Equal(
            "dev0 destination: x-migration-max-queued-buffers=4 (proposed in the reviewed series (v2..v6, dc15bcb035), not merged)",
            (string?)Assert.Single(knobs));
    }

    [Fact]
    public void PassThatMissesAMustReachSituationIsInconclusive()
    {
        var scenario = ModelsFolder.LoadScenario("default") with { MustReach = ["partial-write"] };
        var file = temp.File("needs-partial-write.json");
        File.WriteAllText(file, ScenarioLoader.ToJson(scenario with { Name = "needs-partial-write" }));
        var junit = temp.File("junit.xml");
        var report = temp.File("report.json");
        var run = CliRunner.Run("check", "--scenario", file, "--iterations", "3", "--report", report, "--junit", junit);
        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.Contains("inconclusive: needs-partial-write passed 3 schedules but never reached partial-write", run.Out);
        var json = JsonNode.Parse(File.ReadAllText(report))!;
        Assert.Equal("pass", (string?)json["verdict"]);
        Assert.Equal(1, (int?)json["exitCode"]);
        Assert.Equal("partial-write", (string?)json["missedSituations"]![0]);
        var failure = XDocument.Load(junit).Descendants("failure").Single();
        Assert.Equal("missed-situations", (string?)failure.Attribute("type"));
    }

    [Fact]
    public void SeveralScenariosRunInTurnAndTheExitCodeIsTheWorst()
    {
        var buggy = ModelsFolder.LoadScenario("default") with { Name = "default-no-bql", Variant = "cleanup-without-bql" };
        var file = temp.File("default-no-bql.json");
        File.WriteAllText(file, ScenarioLoader.ToJson(buggy));
        var report = temp.File("report.json");
        var junit = temp.File("junit.xml");
        var run = CliRunner.Run("check", "--scenario", "default", "--scenario", file, "--iterations", "30",
            "--out", temp.File("out"), "--report", report, "--junit", junit);
        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.True(run.Out.IndexOf("check default:", StringComparison.Ordinal) < run.Out.IndexOf("check default-no-bql:", StringComparison.Ordinal));

        var json = JsonNode.Parse(File.ReadAllText(report))!;
        Assert.Equal("bug", (string?)json["verdict"]);
        Assert.Equal("default,default-no-bql", (string?)json["scenario"]);
        var scenarios = json["scenarios"]!.AsArray();
        Assert.Equal(["pass", "bug"], scenarios.Select(s => (string?)s!["verdict"]));
        var violation = json["violations"]!.AsArray().Single()!;
        Assert.Equal("default-no-bql", (string?)violation["scenario"]);
        Assert.Equal("P7", (string?)violation["property"]);
        Assert.True(Directory.Exists(Path.Combine(temp.File("out"), "default-no-bql-cleanup-without-bql-1")));

        var cases = XDocument.Load(junit).Descendants("testcase").ToList();
        Assert.Equal(["default", "default-no-bql"], cases.Select(c => (string?)c.Attribute("name")));
        Assert.Null(cases[0].Element("failure"));
        Assert.Equal("P7", (string?)cases[1].Element("failure")!.Attribute("type"));
    }

    public void Dispose() => temp.Dispose();
}

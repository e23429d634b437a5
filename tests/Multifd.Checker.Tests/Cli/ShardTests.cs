using System.Text.Json.Nodes;
using Multifd.Checker.Exploration;
using Multifd.Checker.Scenarios;

namespace Multifd.Checker.Tests.Cli;

/// <summary>check --shard and --parallel through the command: reports, exit codes, bad input.</summary>
public class ShardTests
{
    private const string Variant = "load-thread-at-setup";

    private static JsonNode Report(string path) => JsonNode.Parse(File.ReadAllText(path))!;

    [Fact]
    public void TheShardHoldingTheFirstViolationReportsItAndTheOtherPasses()
    {
        // The default scenario without its must-reach situations: a shard of a few schedules passes cleanly.
        using var folder = new TempFolder();
        var scenario = folder.File("default-no-must-reach.json");
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(ModelsFolder.Find()!, "default.json")))!.AsObject();
        json.Remove("mustReach");
        File.WriteAllText(scenario, json.ToJsonString());

        // Where the plain run (one schedule per seed block) first fails: block j, schedule j + 1.
        var plain = Explorer.Run(CheckOptions.For(ModelsFolder.LoadScenario(scenario), Variant) with { Iterations = 400, SchedulesPerSeed = 1 });
        var j = plain.FirstBugIteration!.Value - 1;
        var owner = j % 2 + 1;
        var other = 3 - owner;
        var iterations = (j + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);

        var found = CliRunner.Run("check", "--scenario", scenario, "--variant", Variant, "--iterations", iterations,
            "--schedules-per-seed", "1", "--shard", $"{owner}/2", "--out", folder.File("out"), "--report", folder.File("owner.json"));
        var clean = CliRunner.Run("check", "--scenario", scenario, "--variant", Variant, "--iterations", iterations,
            "--schedules-per-seed", "1", "--shard", $"{other}/2", "--out", folder.File("out"), "--report", folder.File("other.json"));

        Assert.True(found.ExitCode == 2, found.ToString());
        var report = Report(folder.File("owner.json"));
        Assert.Equal("bug", report["verdict"]!.GetValue<string>());
        Assert.Equal("P2", report["violations"]![0]!["property"]!.GetValue<string>());
        Assert.Equal(j + 1, report["firstBugIteration"]!.GetValue<int>());
        Assert.Equal(plain.FirstBugSeed, report["firstBugSeed"]!.GetValue<uint>());
        Assert.Equal($"{owner}/2", report["spread"]!["shard"]!.GetValue<string>());
        Assert.NotNull(report["bundle"]?.GetValue<string>());

        Assert.True(clean.ExitCode == 0, clean.ToString());
        var otherReport = Report(folder.File("other.json"));
        Assert.Equal("pass", otherReport["verdict"]!.GetValue<string>());
        Assert.Equal(j + 1 - report["iterations"]!.GetValue<int>(), otherReport["iterations"]!.GetValue<int>());
    }

    [Fact]
    public void NoPinLeavesTheThreadsFreeAndTheDefaultPinsThem()
    {
        using var folder = new TempFolder();
        var before = CorePinning.ThreadsPinned;
        var free = CliRunner.Run("check", "--iterations", "10", "--no-pin", "--report", folder.File("free.json"));
        var pinnedByFree = CorePinning.ThreadsPinned - before;
        var pinned = CliRunner.Run("check", "--iterations", "10", "--report", folder.File("pinned.json"));
        var pinnedByDefault = CorePinning.ThreadsPinned - before - pinnedByFree;

        Assert.True(free.ExitCode == 0, free.ToString());
        Assert.True(pinned.ExitCode == 0, pinned.ToString());
        Assert.Equal(0, pinnedByFree);
        if (CorePinning.AllowedCpus().Count >= 2)
        {
            Assert.True(pinnedByDefault >= 20, $"{pinnedByDefault} threads pinned over 10 schedules");
        }

        foreach (var field in new[] { "decisionsPerSchedule", "outcomes", "situations", "peakQueued" })
        {
            Assert.Equal(Report(folder.File("free.json"))[field]!.ToJsonString(), Report(folder.File("pinned.json"))[field]!.ToJsonString());
        }
    }

    [Fact]
    public void ParallelTwoReportsTheSameCountsAsOne()
    {
        using var folder = new TempFolder();
        var one = CliRunner.Run("check", "--iterations", "20", "--schedules-per-seed", "5", "--report", folder.File("one.json"));
        var two = CliRunner.Run("check", "--iterations", "20", "--schedules-per-seed", "5", "--parallel", "2", "--report", folder.File("two.json"));
        Assert.True(one.ExitCode == 0, one.ToString());
        Assert.True(two.ExitCode == 0, two.ToString());
        var a = Report(folder.File("one.json"));
        var b = Report(folder.File("two.json"));
        foreach (var field in new[] { "iterations", "outcomes", "situations", "decisionsPerSchedule", "peakQueued" })
        {
            Assert.Equal(a[field]!.ToJsonString(), b[field]!.ToJsonString());
        }

        Assert.Equal(2, b["spread"]!["parallel"]!.GetValue<int>());
        Assert.Equal(4, b["spread"]!["seedBlocks"]!.GetValue<int>());
        Assert.Equal("threads", b["spread"]!["workers"]!.GetValue<string>()); // too short a run for worker processes
        Assert.Equal("threads", a["spread"]!["workers"]!.GetValue<string>());
    }

    /// <summary>With a time budget (a Coyote testing timeout, which makes Coyote ignore its iteration count) a seed block
    /// still ends at its size, so a shard under a budget explores the run's blocks in order.</summary>
    [Fact]
    public void UnderATimeBudgetEachSeedBlockKeepsItsSize()
    {
        using var folder = new TempFolder();
        var run = CliRunner.Run("check", "--iterations", "4000", "--schedules-per-seed", "3", "--shard", "2/2", "--time-budget", "3",
            "--report", folder.File("r.json"));
        Assert.True(run.ExitCode is 0 or 1, run.ToString());
        var report = Report(folder.File("r.json"));
        var schedules = report["iterations"]!.GetValue<int>();
        var blocks = report["spread"]!["seedBlocks"]!.GetValue<int>();
        Assert.True(schedules > 3, run.ToString());
        Assert.True(blocks >= schedules / 3, $"{schedules} schedules in {blocks} seed blocks of 3");
    }

    [Theory]
    [InlineData("--shard", "0/2", "--shard: \"0/2\" is not K/N")]
    [InlineData("--shard", "3/2", "--shard: \"3/2\" is not K/N")]
    [InlineData("--shard", "half", "--shard: \"half\" is not K/N")]
    [InlineData("--parallel", "0", "--parallel: must be between 1 and 64")]
    [InlineData("--parallel", "65", "--parallel: must be between 1 and 64")]
    [InlineData("--schedules-per-seed", "0", "--schedules-per-seed: must be at least 1")]
    public void RefusesBadSpreadOptions(string option, string value, string message)
    {
        var run = CliRunner.Run("check", option, value);
        Assert.Equal(1, run.ExitCode);
        Assert.Contains(message, run.Err);
        Assert.Empty(run.Out);
    }
}

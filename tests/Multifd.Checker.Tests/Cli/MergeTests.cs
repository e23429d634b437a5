using System.Text.Json.Nodes;
using System.Xml.Linq;

namespace Multifd.Checker.Tests.Cli;

/// <summary>`multifd merge`: the reports of a run's shards merged equal the report of the unsharded run.</summary>
public class MergeTests
{
    private static JsonNode Read(string path) => JsonNode.Parse(File.ReadAllText(path))!;

    private static string[] Check(TempFolder folder, string report, params string[] extra) =>
        ["check", "--iterations", "40", "--schedules-per-seed", "10", "--out", folder.File("out"), "--report", folder.File(report), .. extra];

    [Fact]
    public void FourShardsMergedEqualOneUnshardedRun()
    {
        using var folder = new TempFolder();
        var whole = CliRunner.Run(Check(folder, "whole.json"));
        Assert.True(whole.ExitCode is 0 or 1, whole.ToString());
        var shards = new List<string>();
        for (var k = 1; k <= 4; k++)
        {
            var name = $"shard{k}.json";
            var run = CliRunner.Run(Check(folder, name, "--shard", $"{k}/4"));
            Assert.True(run.ExitCode is 0 or 1, run.ToString());
            Assert.Equal(10, Read(folder.File(name))["iterations"]!.GetValue<int>());
            shards.Add(folder.File(name));
        }

        var merge = CliRunner.Run(["merge", .. shards, "--report", folder.File("merged.json"), "--junit", folder.File("merged.xml")]);
        Assert.Equal(Read(folder.File("whole.json"))["exitCode"]!.GetValue<int>(), merge.ExitCode);
        Assert.Contains("merge: 4 of 4 shards (1/4, 2/4, 3/4, 4/4)", merge.Out);
        Assert.DoesNotContain("missing:", merge.Out);

        var a = Read(folder.File("whole.json"));
        var b = Read(folder.File("merged.json"));
        foreach (var field in new[] { "verdict", "iterations", "outcomes", "situations", "decisionsPerSchedule", "peakQueued", "missedSituations", "violations" })
        {
            Assert.True(a[field]!.ToJsonString() == b[field]!.ToJsonString(), $"{field}: {a[field]!.ToJsonString()} != {b[field]!.ToJsonString()}");
        }

        Assert.Equal(4, b["spread"]!["seedBlocks"]!.GetValue<int>());
        Assert.Equal(4, b["merged"]!["shardCount"]!.GetValue<int>());
        Assert.Empty(b["merged"]!["missingShards"]!.AsArray());

        var junit = XDocument.Load(folder.File("merged.xml"));
        var testCase = junit.Descendants("testcase").Single();
        Assert.Equal("default", testCase.Attribute("name")!.Value);
        Assert.Equal("multifd.correct", testCase.Attribute("classname")!.Value);
    }

    [Fact]
    public void TheLowestViolationOfTheShardsIsTheRunsWithItsBundle()
    {
        using var folder = new TempFolder();
        var args = new[] { "--variant", "load-thread-at-setup", "--iterations", "400", "--schedules-per-seed", "1" };
        var whole = CliRunner.Run(["check", .. args, "--out", folder.File("whole"), "--report", folder.File("whole.json")]);
        Assert.True(whole.ExitCode == 2, whole.ToString());
        var shards = new List<string>();
        for (var k = 1; k <= 2; k++)
        {
            CliRunner.Run(["check", .. args, "--shard", $"{k}/2", "--out", folder.File($"out{k}"), "--report", folder.File($"s{k}.json")]);
            shards.Add(folder.File($"s{k}.json"));
        }

        var merge = CliRunner.Run(["merge", .. shards, "--report", folder.File("merged.json")]);
        Assert.True(merge.ExitCode == 2, merge.ToString());
        var a = Read(folder.File("whole.json"));
        var b = Read(folder.File("merged.json"));
        Assert.Equal(a["firstBugIteration"]!.GetValue<int>(), b["firstBugIteration"]!.GetValue<int>());
        Assert.Equal(a["firstBugSeed"]!.GetValue<uint>(), b["firstBugSeed"]!.GetValue<uint>());
        Assert.Equal(a["violations"]!.ToJsonString(), b["violations"]!.ToJsonString());
        Assert.True(Directory.Exists(b["bundle"]!.GetValue<string>()), b["bundle"]!.GetValue<string>());
        Assert.Contains("bundle: ", merge.Out);
    }

    [Fact]
    public void MissingShardsAreNamedAndTheRunIsIncomplete()
    {
        using var folder = new TempFolder();
        CliRunner.Run(Check(folder, "s2.json", "--shard", "2/4"));
        CliRunner.Run(Check(folder, "s4.json", "--shard", "4/4"));
        var merge = CliRunner.Run("merge", folder.File("s2.json"), folder.File("s4.json"), "--report", folder.File("m.json"));
        Assert.Equal(1, merge.ExitCode);
        Assert.Contains("missing: shards 1/4, 3/4 (no report given): the merged run is incomplete", merge.Out);
        Assert.Equal("[\"1/4\",\"3/4\"]", Read(folder.File("m.json"))["merged"]!["missingShards"]!.ToJsonString());
    }

    [Theory]
    [InlineData("seed", "default: the seeds differ")]
    [InlineData("variant", "default: the variants differ")]
    [InlineData("iterations", "default: the iterations asked for differ")]
    [InlineData("tools", "the tool versions differ")]
    [InlineData("scenario", "the scenarios differ")]
    [InlineData("duplicate", "both are shard 1/2")]
    [InlineData("count", "default: the shard counts differ")]
    public void ReportsOfDifferentRunsAreRefusedInOneLine(string change, string message)
    {
        using var folder = new TempFolder();
        var one = CliRunner.Run("check", "--iterations", "4", "--schedules-per-seed", "2", "--shard", "1/2", "--report", folder.File("a.json"));
        Assert.True(one.ExitCode is 0 or 1, one.ToString());
        var other = Read(folder.File("a.json")).AsObject();
        var scenario = other["scenarios"]![0]!.AsObject();
        switch (change)
        {
            case "seed":
                scenario["seed"] = 7;
                break;
            case "variant":
                scenario["variant"] = "lock-order-inversion";
                break;
            case "iterations":
                scenario["bounds"]!["iterations"] = 8;
                break;
            case "tools":
                other["tools"]!["coyote"] = "1.7.10.0";
                break;
            case "scenario":
                scenario["scenario"] = "generous-limits";
                break;
            case "count":
                scenario["spread"]!["shard"] = "2/3";
                break;
        }

        if (change != "duplicate" && change != "count")
        {
            scenario["spread"]!["shard"] = "2/2";
        }

        File.WriteAllText(folder.File("b.json"), other.ToJsonString());
        var merge = CliRunner.Run("merge", folder.File("a.json"), folder.File("b.json"), "--report", folder.File("m.json"));
        Assert.Equal(1, merge.ExitCode);
        Assert.Single(merge.ErrLines);
        Assert.Contains(message, merge.Err);
        Assert.False(File.Exists(folder.File("m.json")));
    }

    [Theory]
    [InlineData("processes", "processes")]
    [InlineData(null, "threads")] // a report written before the field existed
    public void TheMergedRunUsedWorkerProcessesIfAnyShardDid(string? otherWorkers, string merged)
    {
        using var folder = new TempFolder();
        var one = CliRunner.Run("check", "--iterations", "4", "--schedules-per-seed", "2", "--shard", "1/2", "--report", folder.File("a.json"));
        Assert.True(one.ExitCode is 0 or 1, one.ToString());
        Assert.Equal("threads", Read(folder.File("a.json"))["scenarios"]![0]!["spread"]!["workers"]!.GetValue<string>());
        var other = Read(folder.File("a.json")).AsObject();
        var spread = other["scenarios"]![0]!["spread"]!.AsObject();
        spread["shard"] = "2/2";
        spread.Remove("workers");
        if (otherWorkers is not null)
        {
            spread["workers"] = otherWorkers;
        }

        File.WriteAllText(folder.File("b.json"), other.ToJsonString());
        var merge = CliRunner.Run("merge", folder.File("a.json"), folder.File("b.json"), "--report", folder.File("m.json"));
        Assert.True(merge.ExitCode is 0 or 1, merge.ToString());
        Assert.Equal(merged, Read(folder.File("m.json"))["scenarios"]![0]!["spread"]!["workers"]!.GetValue<string>());
    }

    [Fact]
    public void ANonReportIsRefused()
    {
        using var folder = new TempFolder();
        File.WriteAllText(folder.File("x.json"), "{\"verdict\": \"pass\"}");
        var merge = CliRunner.Run("merge", folder.File("x.json"), folder.File("nothing.json"));
        Assert.Equal(1, merge.ExitCode);
        Assert.Contains("not a check report", merge.Err);
        Assert.Equal(1, CliRunner.Run("merge", folder.File("nothing.json")).ExitCode);
    }
}

using System.Text.Json.Nodes;

namespace Multifd.Checker.Tests.Cli;

/// <summary>`check` with faults anywhere (faultsInjected) and with --require-sites (missedSites, exit 1).</summary>
public sealed class FaultsAnywhereCliTests : IDisposable
{
    private readonly TempFolder temp = new();

    [Fact]
    public void RequireSitesMakesACleanPassInconclusive()
    {
        var report = temp.File("report.json");
        var run = CliRunner.Run("check", "--scenario", "small-1x2x1", "--iterations", "5", "--require-sites", "--report", report,
            "--out", temp.File("out"));
        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.Contains("INCONCLUSIVE: passed, but left error-path sites untaken", run.Out);
        Assert.Contains("inconclusive: small-1x2x1 passed 5 schedules but never took error-path sites", run.Out);
        var json = JsonNode.Parse(File.ReadAllText(report))!;
        Assert.Equal("pass", (string?)json["verdict"]);
        var missed = json["missedSites"]!.AsArray().Select(n => (string?)n).ToList();
        Assert.Contains("vfio.load-thread-write-failed", missed);
        var notReached = json["errorPathSites"]!["notReached"]!.AsArray().Select(n => (string?)n).ToList();
        Assert.Equal(notReached, missed);
        Assert.Equal(Engine.Core.ErrorPathSites.All.Count, notReached.Count + json["errorPathSites"]!["reached"]!.AsObject().Count);

        var without = CliRunner.Run("check", "--scenario", "small-1x2x1", "--iterations", "5", "--report", report, "--out", temp.File("out"));
        Assert.True(without.ExitCode == 0, without.ToString());
        Assert.Empty(JsonNode.Parse(File.ReadAllText(report))!["missedSites"]!.AsArray());
    }

    [Fact]
    public void FaultsAnywhereAreCountedPerKindAndFunctionAndReplayWithTheirBundle()
    {
        var report = temp.File("report.json");
        var run = CliRunner.Run("check", "--scenario", "fault-anywhere-load-thread-failure", "--iterations", "40", "--report", report,
            "--out", temp.File("out"));
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("| faults injected    | load-thread-failure in vfio_load_bufs_thread 40", run.Out);
        var faults = JsonNode.Parse(File.ReadAllText(report))!["faultsInjected"]!;
        Assert.Equal(40, (int?)faults["byKind"]!["load-thread-failure"]);
        Assert.Equal(40, (int?)faults["byFunction"]!["load-thread-failure in vfio_load_bufs_thread"]);
        var sites = JsonNode.Parse(File.ReadAllText(report))!["errorPathSites"]!["reached"]!.AsObject();
        Assert.Equal(40, (int?)sites["vfio.config-load-failed"]);
        Assert.Equal(40, (int?)sites["dst.load-thread-error"]);

        // A bug found with a fault anywhere replays from its bundle: the fault's point is part of Coyote's trace.
        var bug = CliRunner.Run("check", "--scenario", "fault-anywhere-send-recv", "--iterations", "100", "--out", temp.File("bugs"));
        Assert.True(bug.ExitCode == 2, bug.ToString());
        var bundle = Directory.GetDirectories(temp.File("bugs")).Single();
        var replay = CliRunner.Run("replay", bundle);
        Assert.True(replay.ExitCode == 2, replay.ToString());
        Assert.Contains("sim_fault", File.ReadAllText(Path.Combine(bundle, "timeline.txt")));
    }

    public void Dispose() => temp.Dispose();
}

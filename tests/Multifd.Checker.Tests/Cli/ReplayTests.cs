using System.Text.Json.Nodes;
using Multifd.Cli.Bundles;

namespace Multifd.Checker.Tests.Cli;

/// <summary>`replay`: a fresh bundle reproduces exactly; a corrupt or truncated one is refused in one line.</summary>
[Collection(BugBundleCollection.Name)]
public class ReplayTests(BugBundleFixture fixture)
{
    [Fact]
    public void FreshBundleReproducesWithIdenticalEvents()
    {
        var run = CliRunner.Run("replay", fixture.Bundle);
        Assert.True(run.ExitCode == 2, run.ToString());
        var bundle = TraceBundle.Load(fixture.Bundle);
        Assert.Contains($"reproduced: {bundle.Events.Failure}", run.Out);
        Assert.Contains($"identical: {bundle.Events.Events.Count} events", run.Out);

        var outcome = Replayer.Replay(bundle);
        Assert.True(outcome.Reproduced, outcome.Divergence);
        Assert.Equal(bundle.Events.Events.Select(e => e.Identity), outcome.Actual!.Events.Select(e => e.Identity));
    }

    [Fact]
    public void MissingFileIsRefused()
    {
        var copy = fixture.Scratch.CopyOf(fixture.Bundle, "missing-trace");
        File.Delete(Path.Combine(copy, TraceBundle.TraceFile));
        AssertRefused(CliRunner.Run("replay", copy), $"{copy}: incomplete bundle: trace.json is missing");
    }

    [Fact]
    public void TruncatedTraceIsRefused()
    {
        var copy = fixture.Scratch.CopyOf(fixture.Bundle, "truncated-trace");
        var trace = Path.Combine(copy, TraceBundle.TraceFile);
        File.WriteAllText(trace, File.ReadAllText(trace)[..200]);
        AssertRefused(CliRunner.Run("replay", copy), $"{trace}: not valid JSON");
    }

    [Fact]
    public void BadReportJsonIsRefused()
    {
        var copy = fixture.Scratch.CopyOf(fixture.Bundle, "bad-report");
        File.WriteAllText(Path.Combine(copy, TraceBundle.ReportFile), "{ \"verdict\": ");
        AssertRefused(CliRunner.Run("replay", copy), "report.json: not valid JSON");
    }

    [Fact]
    public void TruncatedEventLogDivergesAtTheFirstMissingStep()
    {
        var copy = fixture.Scratch.CopyOf(fixture.Bundle, "truncated-events");
        var path = Path.Combine(copy, TraceBundle.EventsFile);
        var log = JsonNode.Parse(File.ReadAllText(path))!;
        var events = log["events"]!.AsArray();
        while (events.Count > 40)
        {
            events.RemoveAt(events.Count - 1);
        }

        File.WriteAllText(path, log.ToJsonString());
        AssertRefused(CliRunner.Run("replay", copy), "not reproduced: diverged at step 41: the bundle ended after 40 events");
    }

    [Fact]
    public void EditedEventDivergesThere()
    {
        var copy = fixture.Scratch.CopyOf(fixture.Bundle, "edited-event");
        var path = Path.Combine(copy, TraceBundle.EventsFile);
        var log = JsonNode.Parse(File.ReadAllText(path))!;
        log["events"]![9]!["thread"] = "recv[ch7]";
        File.WriteAllText(path, log.ToJsonString());
        AssertRefused(CliRunner.Run("replay", copy), "not reproduced: diverged at step 10: expected ");
    }

    [Fact]
    public void TraceThatDoesNotMatchTheModelIsRefused()
    {
        var copy = fixture.Scratch.CopyOf(fixture.Bundle, "cut-trace");
        var path = Path.Combine(copy, TraceBundle.TraceFile);
        var trace = JsonNode.Parse(File.ReadAllText(path))!;
        var steps = trace["Steps"]!.AsArray();
        while (steps.Count > 30)
        {
            steps.RemoveAt(steps.Count - 1);
        }

        File.WriteAllText(path, trace.ToJsonString());
        var run = CliRunner.Run("replay", copy);
        AssertRefused(run, "multifd: ");
        Assert.True(run.Err.Contains("not reproduced", StringComparison.Ordinal)
            || run.Err.Contains("does not replay", StringComparison.Ordinal), run.ToString());
    }

    [Fact]
    public void NoSuchFolderIsRefused() =>
        AssertRefused(CliRunner.Run("replay", fixture.Scratch.File("nowhere")), "no such bundle folder");

    private static void AssertRefused(CliRun run, string expected)
    {
        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.Single(run.ErrLines);
        Assert.Contains(expected, run.Err);
        Assert.DoesNotContain("reproduced:", run.Out);
    }
}

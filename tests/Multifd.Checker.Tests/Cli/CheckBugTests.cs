using System.Text.Json.Nodes;
using System.Xml.Linq;
using Multifd.Checker.Scenarios;
using Multifd.Cli.Bundles;

namespace Multifd.Checker.Tests.Cli;

/// <summary>`check` on a known-bug variant: exit code, report fields, JUnit, and the trace bundle.</summary>
[Collection(BugBundleCollection.Name)]
public class CheckBugTests(BugBundleFixture fixture)
{
    [Fact]
    public void ExitsTwoAndEndsWithTheBundleAndTheReplayCommand()
    {
        var run = fixture.Check;
        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Equal("", run.Err);
        var lines = run.OutLines;
        Assert.Equal($"bundle: {fixture.Bundle}", lines[^2]);
        Assert.Equal($"replay: dotnet run --project src/Multifd.Cli -- replay {fixture.Bundle}", lines[^1]);
        Assert.Contains("BUG: P10 NoHang", run.Out);
    }

    [Fact]
    public void ReportHasTheContractFields()
    {
        var report = JsonNode.Parse(File.ReadAllText(fixture.ReportPath))!.AsObject();
        Assert.Equal("bug", (string?)report["verdict"]);
        Assert.Equal("default", (string?)report["scenario"]);
        Assert.Equal(BugBundleFixture.Variant, (string?)report["variant"]);
        Assert.Equal("portfolio", (string?)report["strategy"]);
        Assert.Equal(1u, (uint?)report["seed"]);
        var iterations = (int)report["iterations"]!;
        Assert.InRange(iterations, 1, 20);
        Assert.True((double)report["elapsedSeconds"]! > 0);
        Assert.True((double)report["schedulesPerSecond"]! > 0);
        Assert.Equal(iterations, (int?)report["firstBugIteration"]);
        var violation = report["violations"]!.AsArray().Single()!;
        Assert.Equal("P10", (string?)violation["property"]);
        Assert.Equal("NoHang", (string?)violation["name"]);
        Assert.StartsWith("hang: destination: ", (string?)violation["message"]);
        Assert.Contains("load[dev0] waits in qemu_cond_wait dev0.load_bufs_buffer_ready_cond after vfio_load_state_device_buffer_starved", (string?)violation["message"]);
        Assert.Contains("main waits in qemu_cond_wait mis->load_threads.all_finished_cond", (string?)violation["message"]);
        Assert.Contains("Deadlock detected", (string?)violation["detail"]);
        Assert.Equal(fixture.Bundle, (string?)report["bundle"]);

        var decisions = report["decisionsPerSchedule"]!;
        Assert.True((long)decisions["min"]! > 0 && (long)decisions["max"]! >= (long)decisions["min"]!);
        Assert.NotNull(report["outcomes"]!.AsObject());
        Assert.NotNull(report["peakQueued"]!.AsObject());
        Assert.True((int)report["situations"]!["load-thread-starved"]! >= 1);
        Assert.NotNull(report["missedSituations"]!.AsArray());
        Assert.Equal(20, (int?)report["bounds"]!["iterations"]);
        Assert.Equal(20000, (int?)report["bounds"]!["maxSteps"]);
        Assert.StartsWith("1.7.11", (string?)report["tools"]!["coyote"]);
        Assert.Contains(".NET", (string?)report["tools"]!["dotnet"]);
        Assert.False(string.IsNullOrEmpty((string?)report["tools"]!["multifd"]));
        Assert.Matches("^[0-9a-f]{40}$", (string?)report["gitCommit"]);
        Assert.Single(report["scenarios"]!.AsArray());
        Assert.Equal(2, (int?)report["exitCode"]);
    }

    [Fact]
    public void JUnitHasOneFailingTestCaseWithThePropertyAndMessage()
    {
        var xml = XDocument.Load(fixture.JUnitPath);
        var testCase = xml.Descendants("testcase").Single();
        Assert.Equal("default", (string?)testCase.Attribute("name"));
        Assert.Equal($"multifd.{BugBundleFixture.Variant}", (string?)testCase.Attribute("classname"));
        var failure = testCase.Element("failure")!;
        Assert.Equal("P10", (string?)failure.Attribute("type"));
        Assert.StartsWith("P10 NoHang: hang: destination: ", (string?)failure.Attribute("message"));
        Assert.Contains("replay: dotnet run --project src/Multifd.Cli -- replay", failure.Value);
        var suite = xml.Descendants("testsuite").Single();
        Assert.Equal("1", (string?)suite.Attribute("tests"));
        Assert.Equal("1", (string?)suite.Attribute("failures"));
    }

    [Fact]
    public void BundleIsCompleteAndNothingElseIsLeftInTheOutFolder()
    {
        Assert.Equal([fixture.Bundle], Directory.GetFileSystemEntries(fixture.OutDirectory));
        foreach (var file in TraceBundle.Files)
        {
            Assert.True(File.Exists(Path.Combine(fixture.Bundle, file)), $"{file} missing");
        }

        var bundle = TraceBundle.Load(fixture.Bundle);
        Assert.Equal("P10", bundle.Property);
        Assert.Equal(BugBundleFixture.Variant, bundle.Scenario.Variant);
        Assert.Equal(20, bundle.Scenario.Exploration.Iterations);
        Assert.Equal(ModelsFolder.LoadScenario("default").Devices, bundle.Scenario.Devices);
        Assert.NotNull(JsonNode.Parse(bundle.Trace)!["Steps"]);
        Assert.Equal(fixture.Bundle, (string?)bundle.Report["bundle"]);

        var replay = File.ReadAllText(Path.Combine(fixture.Bundle, TraceBundle.ReplayFile));
        Assert.Contains($"dotnet run --project src/Multifd.Cli -- replay {fixture.Bundle}\n", replay);
        var timeline = File.ReadAllText(Path.Combine(fixture.Bundle, TraceBundle.TimelineFile));
        Assert.Contains("vfio_load_state_device_buffer_starved  (dev0) idx 0", timeline);
        Assert.EndsWith($"=> {bundle.Events.Failure}\n", timeline);
    }
}

using Multifd.Checker.Scenarios;
using Multifd.Cli.Bundles;

namespace Multifd.Checker.Tests.Cli;

/// <summary>Bundles are written whole or not at all; minimize writes a new, shorter or equal, replayable bundle.</summary>
[Collection(BugBundleCollection.Name)]
public class BundleTests(BugBundleFixture fixture)
{
    [Fact]
    public void FailedWriteLeavesNoHalfBundle()
    {
        var loaded = TraceBundle.Load(fixture.Bundle);
        var contents = new BundleContents(loaded.Trace, loaded.Scenario, "{}", "timeline", loaded.Events);
        var parent = fixture.Scratch.File("atomic");
        Directory.CreateDirectory(parent);
        var target = Path.Combine(parent, "bundle");
        File.WriteAllText(target, "a file where the bundle would go");

        Assert.ThrowsAny<IOException>(() => TraceBundle.Write(target, contents));
        Assert.Equal([target], Directory.GetFileSystemEntries(parent));
        Assert.Equal("a file where the bundle would go", File.ReadAllText(target));
    }

    [Fact]
    public void RewriteReplacesAnOldBundleWhole()
    {
        var target = fixture.Scratch.CopyOf(fixture.Bundle, "rewrite");
        File.WriteAllText(Path.Combine(target, "stale.txt"), "from an older run");
        var loaded = TraceBundle.Load(fixture.Bundle);
        TraceBundle.Write(target, new BundleContents(loaded.Trace, loaded.Scenario, "{}", "timeline", loaded.Events));

        Assert.Equal(TraceBundle.Files.Order(), Directory.GetFiles(target).Select(Path.GetFileName).Order());
        Assert.DoesNotContain(Directory.GetFileSystemEntries(Path.GetDirectoryName(target)!), e => Path.GetFileName(e).StartsWith('.'));
        Assert.Equal(ScenarioLoader.ToJson(loaded.Scenario), ScenarioLoader.ToJson(ScenarioLoader.LoadFile(Path.Combine(target, TraceBundle.ScenarioFile))));
    }

    [Fact]
    public void MinimizeSaysWhatItDidAndWritesAReplayableBundleBesideTheOld()
    {
        var source = fixture.Scratch.CopyOf(fixture.Bundle, "to-minimize");
        var run = CliRunner.Run("minimize", source, "--attempts", "3", "--iterations", "10", "--time-budget", "20");
        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Matches(@"minimize .*to-minimize: P10 NoHang, \d+ events \(\d+ without locks\), \d+ Coyote steps", run.Out);
        Assert.Contains("searched 3 times", run.Out);
        var minimized = source + "-min";
        if (run.Out.Contains("minimized: ", StringComparison.Ordinal))
        {
            Assert.Equal($"replay: dotnet run --project src/Multifd.Cli -- replay {minimized}", run.OutLines[^1]);
            var before = TraceBundle.Load(source).Events.Events.Count;
            var after = TraceBundle.Load(minimized).Events.Events.Count;
            Assert.True(after < before, $"{after} events is not shorter than {before}");
            Assert.Equal(2, CliRunner.Run("replay", minimized).ExitCode);
        }
        else
        {
            Assert.Contains("no shorter schedule found", run.Out);
            Assert.False(Directory.Exists(minimized));
        }
    }
}

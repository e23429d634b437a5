using Multifd.Checker.Scenarios;

namespace Multifd.Checker.Tests.Cli;

/// <summary>
/// The curated bundles in traces/ (QEMU findings) replay: `multifd replay` reproduces the same property, message
/// and events. A change to the scheduling points on a bundle's path breaks it: make it again with
/// `multifd check --scenario NAME --out traces` (see traces/README.md).
/// </summary>
public class CuratedTraceTests
{
    public static TheoryData<string> Bundles()
    {
        var traces = Path.Combine(Path.GetDirectoryName(ModelsFolder.Find()!)!, "traces");
        var data = new TheoryData<string>();
        foreach (var dir in Directory.GetDirectories(traces).Where(d => File.Exists(Path.Combine(d, "trace.json"))).Order(StringComparer.Ordinal))
        {
            data.Add(dir);
        }

        return data;
    }

    [Fact]
    public void TracesHoldTheFindingsBundles() => Assert.True(Bundles().Count >= 5, "traces/ lost its curated bundles");

    [Theory]
    [MemberData(nameof(Bundles))]
    public void BundleReplays(string bundle)
    {
        var run = CliRunner.Run("replay", bundle);
        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Contains("reproduced", run.Out);
    }
}

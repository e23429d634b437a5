using System.Text.Json.Nodes;
using Multifd.Cli.Bundles;

namespace Multifd.Checker.Tests.Cli;

/// <summary>
/// A deep variant that needs a fault and a delay: `check --exhaustive` at its depth writes the same kind of bundle as
/// sampling, `replay` reproduces it, and the report gives the violating schedule's depth.
/// </summary>
public sealed class DeepVariantCliTests : IDisposable
{
    private readonly TempFolder temp = new();

    public void Dispose() => temp.Dispose();

    [Fact]
    public void ExhaustiveSearchAtItsDepthWritesABundleThatReplays()
    {
        var report = temp.File("report.json");
        var outDirectory = temp.File("out");
        var run = CliRunner.Run("check", "--scenario", "small-1x2x1-after-iter-main-eof", "--variant", "cleanup-misses-iter-done-wake",
            "--exhaustive", "--delay-bound", "1", "--out", outDirectory, "--report", report);

        Assert.True(run.ExitCode == 2, run.ToString());
        var bundle = Path.Combine(outDirectory, "small-1x2x1-after-iter-main-eof-cleanup-misses-iter-done-wake-1");
        Assert.Equal($"bundle: {bundle}", run.OutLines[^2]);
        Assert.Contains("with at most 1 delay of scenario small-1x2x1-after-iter-main-eof (variant cleanup-misses-iter-done-wake) violates P10 NoHang",
            run.Out);

        var exhaustive = JsonNode.Parse(File.ReadAllText(report))!["exhaustive"]!;
        Assert.Equal("violation", (string?)exhaustive["end"]);
        Assert.Equal(1, (int?)exhaustive["violationDelays"]);
        Assert.Contains("MainChannelEof", File.ReadAllText(Path.Combine(bundle, "events.json")), StringComparison.Ordinal);

        var replay = CliRunner.Run("replay", bundle);
        Assert.True(replay.ExitCode == 2, replay.ToString());
        Assert.Contains($"reproduced: {TraceBundle.Load(bundle).Events.Failure}", replay.Out);
    }
}

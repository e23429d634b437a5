using System.Text.Json.Nodes;
using Multifd.Checker.Exploration;
using Multifd.Checker.Scenarios;
using Multifd.Cli.Bundles;

namespace Multifd.Checker.Tests.Cli;

/// <summary>
/// `check --exhaustive`: a planted bug that fits a small scope is found, with the same replayable bundle as sampling, and
/// the report states what was searched; a proof says so in the report; options that do not apply are refused.
/// </summary>
public sealed class ExhaustiveCliTests : IDisposable
{
    private readonly TempFolder temp = new();

    [Fact]
    public void PlantedBugInTheSmallScopeIsFoundWithABundleThatReplays()
    {
        var report = temp.File("report.json");
        var outDirectory = temp.File("out");
        var run = CliRunner.Run("check", "--scenario", "small-1x2x1", "--variant", "final-sync-strands-recv",
            "--exhaustive", "--delay-bound", "1", "--out", outDirectory, "--report", report);

        Assert.True(run.ExitCode == 2, run.ToString());
        var bundle = Path.Combine(outDirectory, "small-1x2x1-final-sync-strands-recv-1");
        Assert.Equal($"bundle: {bundle}", run.OutLines[^2]);
        Assert.Matches("exhaustive: schedule [0-9]+ with at most 1 delay of scenario small-1x2x1 \\(variant final-sync-strands-recv\\) violates P10 NoHang \\(it makes [0-9]+ preemptions and 1 delays\\)",
            run.Out);

        var json = JsonNode.Parse(File.ReadAllText(report))!;
        Assert.Equal("bug", (string?)json["verdict"]);
        Assert.Equal("exhaustive", (string?)json["strategy"]);
        var exhaustive = json["exhaustive"]!;
        Assert.False((bool)exhaustive["complete"]!);
        Assert.Equal("violation", (string?)exhaustive["end"]);
        Assert.Equal(1, (int?)exhaustive["delayBound"]);
        Assert.Null(exhaustive["preemptionBound"]);
        // the planted bug needs one delay since multifd_send parks instead of spinning: no delay-free schedule shows it
        Assert.Equal(1, (int?)exhaustive["violationDelays"]);

        var replay = CliRunner.Run("replay", bundle);
        Assert.True(replay.ExitCode == 2, replay.ToString());
        Assert.Contains($"reproduced: {TraceBundle.Load(bundle).Events.Failure}", replay.Out);
    }

    [Fact]
    public void ProofIsStatedInTheReportAndTheLastLine()
    {
        var report = temp.File("proof.json");
        var run = CliRunner.Run("check", "--scenario", "small-1x2x2", "--exhaustive", "--delay-bound", "1", "--report", report);

        Assert.True(run.ExitCode == 0, run.ToString());
        var exhaustive = JsonNode.Parse(File.ReadAllText(report))!["exhaustive"]!;
        Assert.True((bool)exhaustive["complete"]!);
        var schedules = (long)exhaustive["schedules"]!;
        var claim = $"all {schedules:N0} schedules with at most 1 delay of scenario small-1x2x2 (variant correct): no violation";
        Assert.Equal(claim, (string?)exhaustive["claim"]);
        Assert.Equal($"exhaustive: {claim}", run.OutLines[^1]);
        Assert.Equal("exhausted", (string?)exhaustive["end"]);
        Assert.Equal("none", (string?)exhaustive["reduction"]);
        Assert.Equal(0, (long?)exhaustive["pruned"]!["cutByStepBound"]);
        Assert.True((long)exhaustive["pruned"]!["beyondPreemptionBound"]! > 0);
        Assert.Null(exhaustive["maxSchedules"]);
    }

    [Fact]
    public void EstimateRunsProbesAndClaimsNothing()
    {
        var run = CliRunner.Run("check", "--scenario", "small-1x2x1", "--exhaustive", "--preemption-bound", "0", "--estimate", "5");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Matches("^exhaustive: about [0-9.E+]+ schedules with at most 0 preemptions of scenario small-1x2x1 .*Knuth's estimate from 5 random probes.*NOT a proof$",
            run.OutLines[^1]);
    }

    [Theory]
    [InlineData("--preemption-bound: only with --exhaustive", "--preemption-bound", "1")]
    [InlineData("--delay-bound: only with --exhaustive", "--delay-bound", "1")]
    [InlineData("--max-schedules: only with --exhaustive", "--max-schedules", "10")]
    [InlineData("--preemption-bound: must not be negative (got -1)", "--exhaustive", "--preemption-bound", "-1")]
    [InlineData("--max-schedules: must be at least 1 (got 0)", "--exhaustive", "--max-schedules", "0")]
    [InlineData("--strategy: does not apply to --exhaustive", "--exhaustive", "--strategy", "pct")]
    [InlineData("--iterations: does not apply to --exhaustive", "--exhaustive", "--iterations", "10")]
    [InlineData("--parallel: does not apply to --exhaustive", "--exhaustive", "--parallel", "2")]
    public void OptionsThatDoNotApplyAreRefusedInOneLine(string expected, params string[] args)
    {
        var report = temp.File("refused.json");
        var run = CliRunner.Run(["check", "--scenario", "small-1x2x1", "--report", report, .. args]);

        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.StartsWith($"multifd: {expected}", run.ErrLines.Single());
        Assert.False(File.Exists(report));
    }

    /// <summary>
    /// Every known-bug variant that the small scope can express is found by the exhaustive search on its first schedule
    /// (these bugs need no particular interleaving); its property is the one the manifest names for the variant.
    /// </summary>
    [Theory]
    [InlineData("cleanup-without-bql", "P7")]
    [InlineData("lock-order-inversion", "P7")]
    [InlineData("cleanup-lock-order-inversion", "P7")]
    [InlineData("config-also-on-main-channel", "P9")]
    public void InScopeVariantIsFoundOnTheFirstSchedule(string variant, string property)
    {
        var options = CheckOptions.For(ModelsFolder.LoadScenario("small-1x2x1"), variant) with
        {
            Exhaustive = new ExhaustiveOptions(null, null, DelayBound: 1),
        };
        var result = Explorer.Run(options);

        Assert.Equal(property, result.Violation?.Property);
        Assert.Equal(1, result.FirstBugIteration);
        Assert.NotNull(result.Trace);
        Assert.False(result.Exhaustive!.Complete);
    }

    /// <summary>
    /// A bug reached only through a random choice of the world (a partial write) is found: random choices are
    /// enumerated, not sampled. With no delay at all, the second schedule takes the other value of the first choice.
    /// </summary>
    [Fact]
    public void BugBehindARandomChoiceIsFoundWithNoDelay()
    {
        var options = CheckOptions.For(ModelsFolder.LoadScenario("variant-short-write-as-complete")) with
        {
            Exhaustive = new ExhaustiveOptions(null, null, DelayBound: 0),
        };
        var result = Explorer.Run(options);

        Assert.Equal("P1", result.Violation?.Property);
        Assert.Equal(0, result.Exhaustive!.ViolationDelays);
        Assert.InRange(result.FirstBugIteration ?? 0, 2, 10);
    }

    public void Dispose() => temp.Dispose();
}

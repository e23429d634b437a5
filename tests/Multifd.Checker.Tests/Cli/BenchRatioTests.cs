using Multifd.Checker.Benchmarks;

namespace Multifd.Checker.Tests.Cli;

/// <summary>
/// The rate targets of `multifd bench` read the median of per-round ratios (each round's model run against the faster
/// bare run of the same round), not a ratio of two separate medians (no timing is measured here).
/// </summary>
public class BenchRatioTests
{
    [Fact]
    public void TheTargetsReadTheMedianOfTheRoundsRatios()
    {
        // The machine's speed changes from round to round and the model runs at half the faster bare run of its own
        // round every time; which of the bare runs (pinned or free) is the faster one changes too. Separate medians
        // pair the model's middle run with a bare run of another round and read 0.75 x.
        var cost = Cost(model: [200, 300, 400], bareFixed: [400, 100, 800], bareFixedFree: [100, 600, 100]);
        Assert.Equal([0.5, 0.5, 0.5], cost.FixedRoundRatios);
        Assert.Equal(0.75, cost.Model.SchedulesPerSecond / cost.FixedReference.SchedulesPerSecond, 6);
        var target = Target(cost, "(a0)");
        Assert.True(target.Met, target.Measured);
        Assert.StartsWith("0.50 x (median of rounds 0.50, 0.50, 0.50)", target.Measured);

        var missed = Cost(model: [200, 300, 400], bareFixed: [410, 100, 810], bareFixedFree: [100, 610, 100]);
        Assert.False(Target(missed, "(a0)").Met, "separate medians would read 0.74 x and pass");
    }

    [Fact]
    public void ARoundBelowTheBarDoesNotSinkAMedianAboveIt_AndTheOtherWayRound()
    {
        var met = Cost(model: [250, 250, 250], bareFixed: [450, 450, 700], bareFixedFree: [400, 400, 400]);
        Assert.True(Target(met, "(a0)").Met);
        var missed = Cost(model: [250, 250, 250], bareFixed: [550, 550, 400], bareFixedFree: [400, 400, 400]);
        Assert.False(Target(missed, "(a0)").Met);
    }

    [Fact]
    public void TheMedianOfAnEvenCountIsTheMeanOfTheMiddleTwo()
    {
        Assert.Equal(0.5, CoyoteCost.MedianOr([0.4, 0.6], 9), 6);
        Assert.Equal(9, CoyoteCost.MedianOr([], 9));
    }

    [Fact]
    public void AReportWithoutRoundsFallsBackToTheMedians()
    {
        var cost = Cost(model: [300], bareFixed: [600], bareFixedFree: [500]);
        var old = new CoyoteCost(cost.BareRounds, cost.Bare, cost.Model, cost.BareSamples, cost.ModelSamples, cost.BareAsManyThreads,
            cost.BareFixed, cost.BareFree, cost.BareAsManyThreadsFree, cost.BareFixedFree);
        Assert.Empty(old.FixedRoundRatios);
        Assert.StartsWith("0.50 x (300.0 vs 600.0", Target(old, "(a0)").Measured);
    }

    private static TargetCheck Target(CoyoteCost cost, string tag)
    {
        var report = new BenchReport { Quick = false, Strategy = "portfolio", Build = "Release", Processors = 2, Coyote = cost };
        return BenchRunner.Targets(report).Single(t => t.Target.Contains(tag, StringComparison.Ordinal));
    }

    /// <summary>Rounds of schedules/s (1 s runs, 400 decisions a schedule); the (a) and (a') series copy the fixed one.</summary>
    private static CoyoteCost Cost(double[] model, double[] bareFixed, double[] bareFixedFree)
    {
        static List<RateSample> S(string name, double[] rates) => rates.Select(r => new RateSample(name, (int)r, 1, 400)).ToList();
        var m = S("default scenario", model);
        var f = S("fixed", bareFixed);
        var ff = S("fixed free", bareFixedFree);
        static RateSample Median(List<RateSample> s) => s.OrderBy(x => x.DecisionsPerSecond).ElementAt(s.Count / 2);
        return new CoyoteCost(38, Median(f), Median(m), f, m, Median(f), Median(f), Median(ff), Median(ff), Median(ff))
        {
            BareFreeSamples = ff,
            AsManyThreadsSamples = f,
            AsManyThreadsFreeSamples = ff,
            FixedSamples = f,
            FixedFreeSamples = ff,
        };
    }
}

using Multifd.Checker.Benchmarks;

namespace Multifd.Checker.Tests.Cli;

/// <summary>The `--parallel 2` target of `multifd bench`: which measurement it reads (no timing is measured here).</summary>
public class BenchParallelTests
{
    [Fact]
    public void WithALongRunTheTargetReadsItAndStillShowsTheShortRun()
    {
        var report = Report(longOne: Sample(12_000, 40), longTwo: Sample(12_000, 21)); // 1.90 x long, 1.27 x short
        var target = BenchRunner.Targets(report).Single(t => t.Target.StartsWith("--parallel 2", StringComparison.Ordinal));
        Assert.True(target.Met, target.Measured);
        Assert.StartsWith("1.90 x over 12,000 schedules", target.Measured);
        Assert.Contains("1.27 x over 2,000 schedules", target.Measured);

        var md = BenchMarkdown.Render(report, "multifd bench");
        Assert.Contains("| long run: 2 worker processes | 12,000 | 21.0 | 571.4 | 1.90 |", md);
        Assert.Contains("| speedup, long run |  |  | 1.90x |  |", md);
    }

    [Fact]
    public void ALongRunBelowTheBarMissesTheTarget()
    {
        var report = Report(longOne: Sample(12_000, 40), longTwo: Sample(12_000, 30));
        var target = BenchRunner.Targets(report).Single(t => t.Target.StartsWith("--parallel 2", StringComparison.Ordinal));
        Assert.False(target.Met, target.Measured);
    }

    [Fact]
    public void WithoutALongRunTheTargetReadsTheShortRun()
    {
        // --quick measures no long run
        Assert.Equal(0, new BenchOptions { Quick = true }.LongParallelSchedules);
        Assert.True(new BenchOptions().LongParallelSchedules >= 10_000);
        var report = Report(longOne: null, longTwo: null);
        var target = BenchRunner.Targets(report).Single(t => t.Target.StartsWith("--parallel 2", StringComparison.Ordinal));
        Assert.False(target.Met, target.Measured);
        Assert.StartsWith("1.27 x over 2,000 schedules", target.Measured);
        Assert.DoesNotContain("long run", BenchMarkdown.Render(report, "multifd bench --quick"));
    }

    private static RateSample Sample(int schedules, double seconds) => new("default scenario", schedules, seconds, 412);

    private static BenchReport Report(RateSample? longOne, RateSample? longTwo)
    {
        var one = Sample(2_000, 8);
        var two = Sample(2_000, 5);
        var cold = Sample(2_000, 6.35);
        return new BenchReport
        {
            Quick = longOne is null,
            Strategy = "portfolio",
            Build = "Release",
            Processors = 2,
            Parallel = new ParallelCost(one, two, 1.05, 1.93, two, 1.8, one, 1.4)
            {
                SchedulesPerRun = 2_000,
                OneCold = cold,
                OneColdCores = 1.1,
                LongOne = longOne,
                LongOneCores = longOne is null ? 0 : 1.02,
                LongTwo = longTwo,
                LongTwoCores = longTwo is null ? 0 : 1.90,
            },
        };
    }
}

using Multifd.Checker.Benchmarks;

namespace Multifd.Checker.Tests.Cli;

/// <summary>`multifd bench --section deep`: opt-in, its table, its ratio and its targets (no timing is measured here).</summary>
public class BenchDeepTests
{
    [Fact]
    public void TheDeepSectionRunsOnlyWhenAskedFor()
    {
        Assert.False(new BenchOptions().Runs("deep"));
        Assert.True(new BenchOptions().Runs("variants"));
        Assert.True(new BenchOptions { Sections = new HashSet<string> { "deep" } }.Runs("deep"));
        Assert.Contains(BenchOptions.AllSections, s => s.Name == "deep");
    }

    [Fact]
    public void TheTableGivesEveryStrategyTheRealThreadsAndTheRatioOrItsLowerBound()
    {
        var report = new BenchReport { Quick = true, Strategy = "portfolio", Build = "Debug", Processors = 2 };
        // Found by stress after 4 s, portfolio's median 0.02 s: 200x.
        report.Deep.Add(Deep("small-1x2x1/buffer-wait-after-unlock", 2, null, [0.01, 0.02, 0.03], new Stress(7, 4.0, "hang")));
        // Never found by stress in 3 s: the ratio is at least 3 / 0.5 = 6x.
        report.Deep.Add(Deep("small-1x2x1-main-eof/recv-terminate-skips-sem-sync", 0, "main-channel-eof", [0.5, 0.5, 0.5], new Stress(null, 3.0, null)));
        report.Targets.AddRange(BenchRunner.Targets(report));

        Assert.Equal(200, report.Deep[0].Ratio!.Value, 6);
        Assert.Null(report.Deep[1].Ratio);
        Assert.Equal(6, report.Deep[1].RatioAtLeast!.Value, 6);

        var md = BenchMarkdown.Render(report, "multifd bench --quick --section deep");
        Assert.Contains("| small-1x2x1/buffer-wait-after-unlock | P10 | 2 delays | 2.0 / 0.02 | 2.0 / 0.02 | 7 / 4.00 | 200x |", md);
        Assert.Contains("| small-1x2x1-main-eof/recv-terminate-skips-sem-sync | P10 | 0 delays + main-channel-eof | 2.0 / 0.50 | 2.0 / 0.50 | never in 7 runs, 3.0 s | > 6.00x |", md);

        var found = report.Targets.Single(t => t.Target.StartsWith("every deep variant", StringComparison.Ordinal));
        Assert.True(found.Met, found.Measured);
        var ratio = report.Targets.Single(t => t.Target.StartsWith("deep variants: time to first bug", StringComparison.Ordinal));
        Assert.False(ratio.Met); // one of two at >= 100x is not most
        Assert.Equal("1 of 2 (1 never found on real threads within the bounds)", ratio.Measured);
    }

    [Fact]
    public void AVariantThePortfolioMissesFailsTheTarget()
    {
        var report = new BenchReport { Quick = true, Strategy = "portfolio", Build = "Debug", Processors = 2 };
        report.Deep.Add(Deep("small-1x2x1/queued-size-update-outside-lock", 2, null, [11, 12, 13], new Stress(2, 0.01, "P6")));
        var target = BenchRunner.Targets(report).Single(t => t.Target.StartsWith("every deep variant", StringComparison.Ordinal));
        Assert.False(target.Met);
        Assert.Contains("missed: small-1x2x1/queued-size-update-outside-lock", target.Measured);
    }

    private sealed record Stress(int? RunsToBug, double Seconds, string? Found);

    private static DeepCost Deep(string label, int delays, string? fault, double[] seconds, Stress stress)
    {
        var trials = seconds.Select((s, i) => new SeedTrial((uint)(i + 1), 2, s, "P" + (label.Contains("queued") ? "6" : "10"))).ToList();
        var property = label.Contains("queued") ? "P6" : "P10";
        var strategies = new[] { "portfolio", "random" }
            .Select(s => new VariantCost(label, label.Split('/')[1], property, [property], trials) { Strategy = s }).ToList();
        var cost = new StressCost(label, property, [property], 7, stress.Seconds, stress.RunsToBug, stress.RunsToBug is null ? null : stress.Seconds,
            stress.Found, 0, 0);
        return new DeepCost(label, label.Split('/')[1], property, delays, fault, strategies, cost);
    }
}

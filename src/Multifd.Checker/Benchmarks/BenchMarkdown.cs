using System.Globalization;
using System.Text;

namespace Multifd.Checker.Benchmarks;

/// <summary>The benchmark's measurements as Markdown tables (docs/performance.md explains every column).</summary>
public static class BenchMarkdown
{
    public static string Render(BenchReport r, string command)
    {
        var md = new StringBuilder();
        Line(md, $"# multifd bench{(r.Quick ? " --quick" : "")}");
        Line(md);
        Line(md, F($"`{command}`: strategy {r.Strategy}, {r.Build} build, {r.Processors} processors, {r.ElapsedSeconds:F0} s") +
                 (r.LoadAtStart is null ? "" : $", load average {r.LoadAtStart} at the start and {r.LoadAtEnd} at the end") +
                 ". Ratios are taken within this run; absolute rates depend on the machine and its load.");
        Line(md);
        if (r.Interrupted)
        {
            Line(md, "**Interrupted** (SIGINT or SIGTERM): the tables below hold only the measurements completed before the signal.");
            Line(md);
        }

        if (r.Targets.Count > 0)
        {
            Table(md, ["target", "measured", "met"], r.Targets.Select(t => new[] { t.Target, t.Measured, t.Met ? "yes" : "**no**" }));
        }

        if (r.Coyote is { } c)
        {
            Line(md, "## (a)+(b) Coyote's bare cost and the default scenario");
            Line(md);
            Table(md, ["workload", "schedules/s", "decisions/schedule", "decisions/s", "ms/schedule"],
            [
                Rate(c.Bare, "(a) " + c.Bare.Workload),
                Rate(c.BareFree, "(a) " + c.BareFree.Workload),
                Rate(c.Model, "(b) default scenario (pinned, as a check runs)"),
                ["(b)/(a), the faster (a)", X(c.Model.SchedulesPerSecond / c.BareReference.SchedulesPerSecond), "", X(c.Ratio), ""],
                Rate(c.BareAsManyThreads, "(a') " + c.BareAsManyThreads.Workload),
                Rate(c.BareAsManyThreadsFree, "(a') " + c.BareAsManyThreadsFree.Workload),
                ["(b)/(a'), the faster (a')", X(c.Model.SchedulesPerSecond / c.AsManyThreadsReference.SchedulesPerSecond), "",
                    X(c.Model.DecisionsPerSecond / c.AsManyThreadsReference.DecisionsPerSecond), ""],
                Rate(c.BareFixed, "(a0) fixed " + c.BareFixed.Workload),
                Rate(c.BareFixedFree, "(a0) fixed " + c.BareFixedFree.Workload),
                ["(b)/(a0), the faster (a0)", X(c.Model.SchedulesPerSecond / c.FixedReference.SchedulesPerSecond), "", "", ""],
            ]);
            Line(md, $"Medians of {c.BareSamples.Count} alternated measurements of {c.Bare.Schedules} schedules each " +
                     $"(decisions/s of the runs: bare (a) pinned {Join(c.BareSamples)}; default {Join(c.ModelSamples)}). " +
                     "Each bare workload runs pinned to one CPU, as a check's threads are, and free; the ratios are taken " +
                     "against the faster of the two." +
                     (c.RoundRatios.Count == 0 ? "" :
                         " The targets read the median of the ratios taken round by round, each against the faster bare run of " +
                         $"the same round: (b)/(a') {JoinRatios(c.AsManyThreadsRoundRatios)}; (b)/(a) {JoinRatios(c.RoundRatios)}; " +
                         $"(b)/(a0) in schedules/s {JoinRatios(c.FixedRoundRatios)}."));
            Line(md);
        }

        if (r.Breakdown is { } b)
        {
            Line(md, F($"## Where the default scenario's {b.Total:F1} decisions per schedule come from"));
            Line(md);
            Table(md, ["Coyote step", "per schedule", "share"],
                b.PerType.OrderByDescending(kv => kv.Value).Select(kv => new[] { kv.Key, N1(kv.Value), P(kv.Value / b.Total) }));
            Line(md, $"Average of {b.Schedules} schedules (seeds 1..{b.Schedules}, each the first schedule of its engine).");
            Line(md);
        }

        if (r.Sites is { Count: > 0 } sites)
        {
            var total = sites.Sum(s => s.PerSchedule);
            Line(md, F($"## The default scenario's {total:F1} decisions per schedule by call site"));
            Line(md);
            Table(md, ["primitive", "called from", "per schedule", "share"],
                sites.Where(s => s.PerSchedule >= 1).Select(s => new[] { s.Primitive, s.Caller, N1(s.PerSchedule), P(s.PerSchedule / total) }));
            Line(md, "Sites with at least one decision per schedule; the primitive is the model's frame that reached the scheduling "
                + "point, the caller the first frame outside QEMU's synchronization wrappers. Schedules chosen uniformly at random "
                + "among the enabled operations.");
            Line(md);
        }

        if (r.Sizes.Count > 0)
        {
            Line(md, "## (c) Cost per schedule by size (devices x buffers x channels)");
            Line(md);
            Table(md, ["size", "schedules", "decisions/schedule", "ms/schedule", "schedules/s"],
                r.Sizes.Select(s => new[] { s.Size, I(s.Rate.Schedules), N1(s.Rate.DecisionsPerSchedule), N1(s.Rate.MsPerSchedule), N1(s.Rate.SchedulesPerSecond) }));
        }

        if (r.Variants.Count > 0)
        {
            Line(md, "## (d) Known-bug variants under Coyote: to the first violation, seeds 1.." + r.Variants[0].Trials.Count);
            Line(md);
            Table(md, ["manifest entry", "property", "found (per seed)", "median schedules", "median s", "matches"],
                r.Variants.Select(v => new[]
                {
                    v.Label, v.Property, string.Join(" ", v.Trials.Select(t => Trial(t, v.Property))), Maybe(v.MedianSchedules), N2(v.MedianSeconds),
                    v.Matches ? "yes" : "**no**",
                }));
        }

        if (r.Stress.Count > 0)
        {
            Line(md, "## (e) The same engine on real threads without Coyote");
            Line(md);
            var systematic = r.Variants.ToDictionary(v => v.Label, v => v.MedianSeconds);
            Table(md, ["manifest entry", "property", "runs", "s", "found", "runs to bug", "s to bug", "(e)/(d)", "slow runs", "threads left"],
                r.Stress.Select(s => new[]
                {
                    s.Label, s.Property, I(s.Runs), N1(s.Seconds), s.Found is null ? "never" : s.Found + (s.Matches ? "" : " (not the manifest's)"),
                    s.RunsToBug is { } k ? I(k) : "-", s.SecondsToBug is { } t ? N2(t) : "-", StressRatio(s, systematic),
                    I(s.SlowRuns), I(s.ThreadsLeaked),
                }));
        }

        if (r.Parallel is { } p)
        {
            Line(md, "## --parallel 2 against 1 (default scenario)");
            Line(md);
            Table(md, ["workers", "schedules", "s", "schedules/s", "cores busy (CPU s / s)"],
            [
                ["1 (pinned to a CPU)", I(p.One.Schedules), N1(p.One.Seconds), N1(p.One.SchedulesPerSecond), N2(p.OneCores)],
                ["2 worker processes, each pinned to a CPU", I(p.Two.Schedules), N1(p.Two.Seconds), N1(p.Two.SchedulesPerSecond), N2(p.TwoCores)],
                ["speedup", "", "", X(p.Speedup), ""],
                ["1, not pinned (--no-pin)", I(p.OneFree.Schedules), N1(p.OneFree.Seconds), N1(p.OneFree.SchedulesPerSecond), N2(p.OneFreeCores)],
                ["2 worker processes, not pinned", I(p.TwoFree.Schedules), N1(p.TwoFree.Seconds), N1(p.TwoFree.SchedulesPerSecond), N2(p.TwoFreeCores)],
                ["speedup, not pinned", "", "", X(p.FreeSpeedup), ""],
                ["1 pinned against 1 not pinned", "", "", X(p.PinnedGain), ""],
                .. (p.TwoThreads is { } t
                    ? new[]
                    {
                        new[] { "2 threads of one process, pinned", I(t.Schedules), N1(t.Seconds), N1(t.SchedulesPerSecond), N2(p.TwoThreadsCores) },
                        ["speedup, threads", "", "", X(p.ThreadsSpeedup), ""],
                    }
                    : []),
                .. (p.OneCold is { } cold
                    ? new[]
                    {
                        new[] { "1 in a worker process started cold (as a plain `check` starts)", I(cold.Schedules), N1(cold.Seconds), N1(cold.SchedulesPerSecond), N2(p.OneColdCores) },
                        ["speedup, 2 worker processes against 1 started cold", "", "", X(p.ColdSpeedup), ""],
                    }
                    : []),
                .. (p.LongOne is { } lo && p.LongTwo is { } lt
                    ? new[]
                    {
                        new[] { "long run: 1 in a worker process started cold", I(lo.Schedules), N1(lo.Seconds), N1(lo.SchedulesPerSecond), N2(p.LongOneCores) },
                        ["long run: 2 worker processes", I(lt.Schedules), N1(lt.Seconds), N1(lt.SchedulesPerSecond), N2(p.LongTwoCores)],
                        ["speedup, long run", "", "", X(p.LongSpeedup), ""],
                    }
                    : []),
            ]);
            Line(md, $"`check --parallel 2` of {I(p.SchedulesPerRun)} schedules runs its workers as "
                + (p.CheckUsesProcesses
                    ? "worker processes, each started cold; so does a plain `check`, whose lone worker the first row measures warm (in this process, "
                      + "its code compiled by the earlier rows): the target reads the speedup against a lone worker started cold"
                    : "threads of one process (too short a run to pay for a process's start): the target reads that speedup")
                + "."
                + (p.LongTwo is { } l
                    ? $" The long run ({I(l.Schedules)} schedules, measured once) is what the target reads: there each worker's start and JIT, "
                      + "about 1.5 s of CPU that a lone worker spends mostly on the CPU it leaves idle, are a small part of the run."
                    : ""));
            Line(md);
        }

        if (r.Memory is { } m)
        {
            Line(md, "## (f) Memory over one long exploration of the default scenario");
            Line(md);
            Table(md, ["after schedules", "managed heap (MiB, after full GC)", "working set (MiB)"],
            [
                [I(m.Small.Schedules), Mib(m.Small.ManagedBytes), Mib(m.Small.WorkingSetBytes)],
                [I(m.Large.Schedules), Mib(m.Large.ManagedBytes), Mib(m.Large.WorkingSetBytes)],
                ["growth", SignedPercent(m.ManagedGrowth), SignedPercent(m.WorkingSetGrowth)],
            ]);
            Line(md, $"Peak working set of the whole bench process: {Mib(m.PeakWorkingSetBytes)} MiB.");
            Line(md);
        }

        if (r.Strategies.Count > 0)
        {
            Line(md, "## Strategies: rate on the default scenario, median seconds to each variant's bug");
            Line(md);
            var labels = r.Strategies[0].Variants.Select(v => v.Label).ToList();
            Table(md, ["strategy", "schedules/s", .. labels, "worst"],
                r.Strategies.Select(s => new[] { s.Strategy, N1(s.Rate.SchedulesPerSecond) }
                    .Concat(s.Variants.Select(v => v.Matches ? N2(v.MedianSeconds) : $"{N2(v.MedianSeconds)} ({Mismatch(v)})"))
                    .Append(N2(s.Variants.Max(v => v.MedianSeconds)))
                    .ToArray()));
        }

        if (r.Deep.Count > 0)
        {
            Line(md, "## Deep known-bug variants: every strategy, and real threads (docs/deep-variants.md)");
            Line(md);
            var strategies = r.Deep[0].Strategies.Select(v => v.Strategy).ToList();
            Table(md, ["manifest entry", "property", "depth", .. strategies.Select(s => s + " median schedules / s"), "real threads: runs / s to bug",
                    "ratio (real / " + strategies[0] + ")"],
                r.Deep.Select(d => new[] { d.Label, d.Property, Depth(d) }
                    .Concat(d.Strategies.Select(v => $"{Maybe(v.MedianSchedules)} / {N2(v.MedianSeconds)}" + (v.Matches ? "" : $" ({Mismatch(v)})")))
                    .Append(d.Stress.Found is null ? $"never in {I(d.Stress.Runs)} runs, {N1(d.Stress.Seconds)} s"
                        : $"{I(d.Stress.RunsToBug ?? 0)} / {N2(d.Stress.SecondsToBug ?? 0)}" + (d.Stress.Matches ? "" : $" ({d.Stress.Found}, not the manifest's)"))
                    .Append(d.Ratio is { } x ? X(x) : d.RatioAtLeast is { } y ? $"> {X(y)}" : "-")
                    .ToArray()));
            Line(md, $"Medians over seeds 1..{r.Deep[0].Portfolio.Trials.Count}, each search stopping at the first violation; a search that found nothing counts as unbounded. " +
                     "Depth: the fewest delays of a complete exhaustive search that finds the bug (one fewer is proved clean), and the fault it needs.");
            Line(md);
        }

        return md.ToString();
    }

    private static string Depth(DeepCost d) => $"{d.Delays} delay{(d.Delays == 1 ? "" : "s")}" + (d.Fault is null ? "" : $" + {d.Fault}");

    private static string Mismatch(VariantCost v) => string.Join(" ", v.Trials.Select(t => Trial(t, v.Property)));

    /// <summary>The schedule that found the bug; "none" within the bounds; with the property if it is not the manifest's first.</summary>
    private static string Trial(SeedTrial t, string expected) =>
        t.Schedules is not { } k ? "none" : t.Property == expected ? I(k) : $"{I(k)}({t.Property})";

    private static string F(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private static string StressRatio(StressCost s, IReadOnlyDictionary<string, double> systematic)
    {
        if (!systematic.TryGetValue(s.Label, out var d) || d <= 0)
        {
            return "-";
        }

        return s.SecondsToBug is { } t ? X(t / d) : $"> {X(s.Seconds / d)}";
    }

    private static string[] Rate(RateSample s, string name) =>
        [name, N1(s.SchedulesPerSecond), N1(s.DecisionsPerSchedule), I((long)s.DecisionsPerSecond), N2(s.MsPerSchedule)];

    private static string Join(IEnumerable<RateSample> samples) => string.Join(", ", samples.Select(s => I((long)s.DecisionsPerSecond)));

    private static string JoinRatios(IEnumerable<double> ratios) => string.Join(", ", ratios.Select(X));

    private static void Table(StringBuilder md, string[] header, IEnumerable<string[]> rows)
    {
        Line(md, "| " + string.Join(" | ", header) + " |");
        Line(md, "|" + string.Concat(header.Select(_ => "---|")));
        foreach (var row in rows)
        {
            Line(md, "| " + string.Join(" | ", row.Select(c => c.Replace("|", "\\|", StringComparison.Ordinal))) + " |");
        }

        Line(md);
    }

    private static void Line(StringBuilder md, string text = "") => md.Append(text).Append('\n');

    private static string I(long v) => v.ToString("N0", CultureInfo.InvariantCulture);

    private static string N1(double v) => v.ToString("F1", CultureInfo.InvariantCulture);

    private static string N2(double v) => v.ToString("F2", CultureInfo.InvariantCulture);

    private static string P(double v) => v.ToString("P0", CultureInfo.InvariantCulture);

    private static string X(double v) => v.ToString(v >= 100 ? "F0" : "F2", CultureInfo.InvariantCulture) + "x";

    private static string Mib(long bytes) => (bytes / 1048576.0).ToString("F1", CultureInfo.InvariantCulture);

    private static string Maybe(double? v) => v is { } x ? N1(x) : "never";

    /// <summary>A growth as "+2.2%" or "-1.7%"; one that rounds to zero as "+0.0%" (not "-+0.0%" for a tiny negative).</summary>
    public static string SignedPercent(double growth) =>
        (Math.Round(growth, 3) + 0.0).ToString("+0.0%;-0.0%", CultureInfo.InvariantCulture);
}

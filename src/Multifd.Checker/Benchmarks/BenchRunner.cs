using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Runtime.InteropServices;
using Multifd.Checker.Exploration;
using Multifd.Checker.Scenarios;
using Multifd.Engine;

namespace Multifd.Checker.Benchmarks;

/// <summary>A known-bug variant as the manifest states it.</summary>
public sealed record KnownBug(ManifestEntry Entry, Scenario Scenario, ProtocolVariant Variant)
{
    /// <summary>The manifest's property and its alsoProperties.</summary>
    public IReadOnlyList<string> Accepted => [Entry.Property!, .. Entry.AlsoProperties ?? []];
}

/// <summary>Runs the benchmark's sections in one process and gathers their measurements and the targets' verdicts.</summary>
public static class BenchRunner
{
    /// <summary>The sizes of section (c): devices x buffers x channels.</summary>
    public static readonly IReadOnlyList<(int Devices, int Buffers, int Channels)> Sizes = [(1, 2, 1), (2, 4, 2), (4, 8, 4)];

    /// <summary>The manifest's bug entries whose variant is not "correct" (the variant-* scenarios among them), but the deep ones.</summary>
    public static IReadOnlyList<KnownBug> KnownBugs(string models) => Bugs(models).Where(b => b.Entry.Deep is null).ToList();

    /// <summary>The manifest's deep known-bug entries (with "deep"), in the manifest's order.</summary>
    public static IReadOnlyList<KnownBug> DeepBugs(string models) => Bugs(models).Where(b => b.Entry.Deep is not null).ToList();

    private static IReadOnlyList<KnownBug> Bugs(string models) =>
        Manifest.Load(models).Scenarios
            .Where(e => !e.ExpectsPass)
            .Select(e =>
            {
                var scenario = ModelsFolder.LoadScenario(e.Scenario);
                return new KnownBug(e, scenario, Variants.Parse(e.Variant ?? scenario.Variant));
            })
            .Where(b => b.Variant != ProtocolVariant.Correct)
            .ToList();

    /// <summary>The build configuration, with "(optimized)" where a Debug build's code is compiled optimized
    /// (src/Directory.Build.props), so that a reader can tell its rates from an unoptimized build's.</summary>
    static string BuildName()
    {
        var assembly = typeof(BenchRunner).Assembly;
        var configuration = assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "unknown";
        var jitOptimizerDisabled = assembly.GetCustomAttribute<System.Diagnostics.DebuggableAttribute>()?.IsJITOptimizerDisabled ?? false;
        return configuration != "Release" && !jitOptimizerDisabled ? $"{configuration} (optimized)" : configuration;
    }

    public static BenchReport Run(BenchOptions options, Action<string> log)
    {
        var models = ModelsFolder.Find() ?? throw new ScenarioException("models", "", "models/ not found (run from the repository)");
        var report = new BenchReport
        {
            Quick = options.Quick,
            Strategy = options.Strategy,
            Build = BuildName(),
            Processors = Environment.ProcessorCount,
            LoadAtStart = LoadAverage(),
        };
        var total = Stopwatch.StartNew();
        var defaults = CheckOptions.For(ModelsFolder.LoadScenario("default")) with
        {
            Strategy = options.Strategy,
            Seed = 1,
            WorkerProcess = options.WorkerProcess,
        };

        if (options.Runs("coyote"))
        {
            log("coyote: bare Coyote and the default scenario, alternated");
            report.Coyote = CoyoteRates.Compare(defaults, options.RateSchedules, options.RateRepeats);
        }

        if (options.Runs("breakdown"))
        {
            log("breakdown: decisions by scheduling-point type");
            report.Breakdown = CoyoteRates.Breakdown(defaults, options.BreakdownSchedules);
            log("breakdown: decisions by call site");
            report.Sites = SiteProfiler.Profile(defaults, options.BreakdownSchedules * 10);
        }

        if (options.Runs("sizes"))
        {
            foreach (var (d, b, c) in Sizes)
            {
                if (options.Interrupted)
                {
                    break;
                }

                log($"sizes: {d}x{b}x{c}");
                var sized = defaults with { Scenario = CoyoteRates.Sized(d, b, c) };
                report.Sizes.Add(new SizeCost(d, b, c, CoyoteRates.Scenario(sized, options.SizeSchedules, sized.Scenario.Name)));
            }
        }

        if (options.Runs("parallel"))
        {
            log("parallel: --parallel 1 and 2 (worker processes), pinned and not, and 2 threads of one process, alternated");
            report.Parallel = MeasureParallel(defaults, options);
        }

        if (options.Runs("memory"))
        {
            log($"memory: {options.MemorySchedules.Large} schedules of the default scenario");
            report.Memory = MeasureMemory(defaults, options.MemorySchedules, options.Interrupt);
        }

        var bugs = options.Runs("variants") || options.Runs("stress") || options.Runs("strategies") ? KnownBugs(models) : [];
        if (options.Runs("variants"))
        {
            foreach (var bug in bugs)
            {
                if (options.Interrupted)
                {
                    break;
                }

                log($"variants: {bug.Entry.Label}");
                report.Variants.Add(SearchVariant(bug, options.Strategy, options.VariantSeeds, options.VariantSecondsCap, options));
            }
        }

        if (options.Runs("strategies"))
        {
            foreach (var strategy in Strategies.Names)
            {
                if (options.Interrupted)
                {
                    break;
                }

                log($"strategies: {strategy}");
                var rate = CoyoteRates.Scenario(defaults with { Strategy = strategy }, options.RateSchedules, "default scenario");
                report.Strategies.Add(new StrategyCost(strategy, rate,
                    bugs.Select(b => SearchVariant(b, strategy, options.VariantSeeds, options.StrategySecondsCap, options)).ToList()));
            }
        }

        // Before stress, whose hung runs leave threads behind; its own stress loops come after all its searches.
        if (options.Runs("deep"))
        {
            RunDeep(models, options, report, log);
        }

        // Last: a hung real-thread run leaves threads behind (see StressLoop).
        if (options.Runs("stress"))
        {
            foreach (var bug in bugs)
            {
                if (options.Interrupted)
                {
                    break;
                }

                log($"stress: {bug.Entry.Label} on real threads");
                report.Stress.Add(StressLoop.Run(bug.Entry.Label, bug.Entry.Property!, bug.Accepted, bug.Scenario, bug.Variant, options));
            }
        }

        report.ElapsedSeconds = total.Elapsed.TotalSeconds;
        report.Interrupted = options.Interrupted;
        report.LoadAtEnd = LoadAverage();
        report.Targets.AddRange(Targets(report));
        return report;
    }

    /// <summary>(d) one variant: one search per seed 1..<paramref name="seeds"/>, each stopping at the first violation or the bounds.</summary>
    public static VariantCost SearchVariant(KnownBug bug, string strategy, int seeds, int secondsCap, BenchOptions options)
    {
        var trials = new List<SeedTrial>();
        for (uint seed = 1; seed <= seeds; seed++)
        {
            var result = Explorer.Run(Expectations.OptionsFor(bug.Entry, bug.Scenario) with
            {
                Strategy = strategy,
                Seed = seed,
                Iterations = options.VariantScheduleCap,
                TimeBudgetSeconds = secondsCap,
            }, null, options.Interrupt);
            if (result.Interrupted && result.Violation is null)
            {
                break; // an interrupted search measured nothing
            }

            trials.Add(new SeedTrial(seed, result.FirstBugIteration, result.ElapsedSeconds,
                result.Violation?.Property ?? (result.InternalError is null ? null : "internal")));
        }

        return new VariantCost(bug.Entry.Label, Variants.NameOf(bug.Variant), bug.Entry.Property!, bug.Accepted, trials) { Strategy = strategy };
    }

    /// <summary>
    /// The deep section: every deep variant searched by every strategy (the default, portfolio, first), then each on
    /// real threads (last, as a hung run leaves threads behind).
    /// </summary>
    private static void RunDeep(string models, BenchOptions options, BenchReport report, Action<string> log)
    {
        var searches = new List<(KnownBug Bug, List<VariantCost> Costs)>();
        var strategies = Strategies.Names.OrderBy(s => s == options.Strategy ? 0 : 1).ToList();
        foreach (var bug in DeepBugs(models))
        {
            var costs = new List<VariantCost>();
            foreach (var strategy in strategies)
            {
                if (options.Interrupted)
                {
                    return;
                }

                log($"deep: {bug.Entry.Label} with {strategy}");
                costs.Add(SearchVariant(bug, strategy, options.VariantSeeds, options.DeepSecondsCap, options));
            }

            searches.Add((bug, costs));
        }

        foreach (var (bug, costs) in searches)
        {
            if (options.Interrupted)
            {
                return;
            }

            log($"deep: {bug.Entry.Label} on real threads");
            var stress = StressLoop.Run(bug.Entry.Label, bug.Entry.Property!, bug.Accepted, bug.Scenario, bug.Variant, options);
            report.Deep.Add(new DeepCost(bug.Entry.Label, Variants.NameOf(bug.Variant), bug.Entry.Property!, bug.Entry.Deep!.Delays,
                bug.Entry.Deep.Fault, costs, stress));
        }
    }

    private static ParallelCost MeasureParallel(CheckOptions defaults, BenchOptions options)
    {
        var repeats = options.Quick ? 1 : 2;
        var check = defaults with { Iterations = options.ParallelSchedules, Parallel = 2 };
        var checkUsesProcesses = Explorer.UsesWorkerProcesses(check);
        defaults = defaults with { WorkerProcessMinSeconds = 0 }; // the process rows measure processes at any length
        var one = new List<RateSample>();
        var two = new List<RateSample>();
        var free = new List<RateSample>();
        var oneFree = new List<RateSample>();
        var threads = new List<RateSample>();
        var oneCold = new List<RateSample>();
        var cpu = new double[6];
        for (var i = 0; i < repeats; i++)
        {
            one.Add(Timed(() => CoyoteRates.Scenario(defaults, options.ParallelSchedules, "--parallel 1"), ref cpu[0]));
            two.Add(Timed(() => CoyoteRates.Scenario(defaults, options.ParallelSchedules, "--parallel 2", parallel: 2), ref cpu[1]));
            free.Add(Timed(() => CoyoteRates.Scenario(defaults with { PinWorkers = false }, options.ParallelSchedules,
                "--parallel 2, not pinned", parallel: 2), ref cpu[2]));
            oneFree.Add(Timed(() => CoyoteRates.Scenario(defaults with { PinWorkers = false }, options.ParallelSchedules,
                "--parallel 1, not pinned"), ref cpu[3]));
            if (defaults.WorkerProcess is not null)
            {
                threads.Add(Timed(() => CoyoteRates.Scenario(defaults with { WorkerProcess = null }, options.ParallelSchedules,
                    "--parallel 2, threads of one process", parallel: 2), ref cpu[4]));
                oneCold.Add(Timed(() => CoyoteRates.Scenario(defaults with { LoneWorkerProcess = true }, options.ParallelSchedules,
                    "--parallel 1, a worker process started cold"), ref cpu[5]));
            }
        }

        RateSample? longOne = null, longTwo = null;
        double longOneCpu = 0, longTwoCpu = 0;
        if (options.LongParallelSchedules > 0 && defaults.WorkerProcess is not null && !options.Interrupted)
        {
            var n = options.LongParallelSchedules;
            longOne = Timed(() => CoyoteRates.Scenario(defaults with { LoneWorkerProcess = true }, n,
                "--parallel 1, a worker process started cold, long run"), ref longOneCpu);
            longTwo = Timed(() => CoyoteRates.Scenario(defaults, n, "--parallel 2, long run", parallel: 2), ref longTwoCpu);
        }

        var oneSample = Pool(one);
        var twoSample = Pool(two);
        var freeSample = Pool(free);
        var oneFreeSample = Pool(oneFree);
        var threadsSample = threads.Count > 0 ? Pool(threads) : null;
        var oneColdSample = oneCold.Count > 0 ? Pool(oneCold) : null;
        return new ParallelCost(oneSample, twoSample, cpu[0] / oneSample.Seconds, cpu[1] / twoSample.Seconds, freeSample,
            cpu[2] / freeSample.Seconds, oneFreeSample, cpu[3] / oneFreeSample.Seconds, threadsSample,
            threadsSample is null ? 0 : cpu[4] / threadsSample.Seconds) {
            CheckUsesProcesses = checkUsesProcesses,
            SchedulesPerRun = options.ParallelSchedules,
            OneCold = oneColdSample,
            OneColdCores = oneColdSample is null ? 0 : cpu[5] / oneColdSample.Seconds,
            LongOne = longOne,
            LongOneCores = longOne is null ? 0 : longOneCpu / longOne.Seconds,
            LongTwo = longTwo,
            LongTwoCores = longTwo is null ? 0 : longTwoCpu / longTwo.Seconds,
        };
    }

    /// <summary>
    /// Runs <paramref name="measure"/> and adds the CPU seconds it took to <paramref name="cpuSeconds"/>: this process's
    /// and that of the worker processes it started and waited for.
    /// </summary>
    private static RateSample Timed(Func<RateSample> measure, ref double cpuSeconds)
    {
        using var self = Process.GetCurrentProcess();
        var before = self.TotalProcessorTime.TotalSeconds + ChildrenCpuSeconds();
        var sample = measure();
        self.Refresh();
        cpuSeconds += self.TotalProcessorTime.TotalSeconds + ChildrenCpuSeconds() - before;
        return sample;
    }

    /// <summary>The CPU seconds of this process's ended children (Linux getrusage(RUSAGE_CHILDREN); 0 elsewhere).</summary>
    private static double ChildrenCpuSeconds()
    {
        if (!OperatingSystem.IsLinux() || getrusage(-1, out var usage) != 0)
        {
            return 0;
        }

        return usage.UserSeconds + usage.UserMicroseconds / 1e6 + usage.SystemSeconds + usage.SystemMicroseconds / 1e6;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct RUsage
    {
        public long UserSeconds;
        public long UserMicroseconds;
        public long SystemSeconds;
        public long SystemMicroseconds;
        [MarshalAs(UnmanagedType.ByValArray, SizeConst = 14)]
        public long[] Rest;
    }

    [DllImport("libc")]
    private static extern int getrusage(int who, out RUsage usage);

    /// <summary>The first three fields of /proc/loadavg, or null where there is none.</summary>
    private static string? LoadAverage()
    {
        try
        {
            return File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static RateSample Pool(List<RateSample> samples) => new(samples[0].Workload, samples.Sum(s => s.Schedules),
        samples.Sum(s => s.Seconds), samples.Sum(s => s.DecisionsPerSchedule * s.Schedules) / samples.Sum(s => s.Schedules));

    /// <summary>(f) one exploration of the default scenario, sampled after a full collection at two schedule counts.</summary>
    private static MemoryCost? MeasureMemory(CheckOptions defaults, (int Small, int Large) at, CancellationToken interrupt)
    {
        MemorySample? small = null;
        MemorySample? large = null;
        Explorer.Run(defaults with { Iterations = at.Large }, new SyncProgress(p =>
        {
            if (p.Schedules == at.Small || p.Schedules == at.Large)
            {
                var sample = new MemorySample(p.Schedules, GC.GetTotalMemory(forceFullCollection: true), Environment.WorkingSet);
                if (p.Schedules == at.Small)
                {
                    small = sample;
                }
                else
                {
                    large = sample;
                }
            }
        }), interrupt);
        if (interrupt.IsCancellationRequested && large is null)
        {
            return null; // interrupted before the second sample
        }

        using var self = Process.GetCurrentProcess();
        return new MemoryCost(small ?? throw new InvalidOperationException("memory: the small sample was not taken"),
            large ?? throw new InvalidOperationException("memory: the large sample was not taken"), self.PeakWorkingSet64);
    }

    /// <summary>" (median of rounds 0.48, 0.52, 0.55)": the per-round ratios a target's median was taken of; empty without rounds.</summary>
    private static string Rounds(IReadOnlyList<double> ratios) =>
        ratios.Count == 0 ? "" : $" (median of rounds {string.Join(", ", ratios.Select(x => F($"{x:F2}")))})";

    /// <summary>The targets of issues 8 and 16, judged on this run's ratios.</summary>
    public static IEnumerable<TargetCheck> Targets(BenchReport r)
    {
        if (r.Coyote is { } c)
        {
            var equal = CoyoteCost.MedianOr(c.AsManyThreadsRoundRatios, c.Model.DecisionsPerSecond / c.AsManyThreadsReference.DecisionsPerSecond);
            yield return new TargetCheck("default scenario decisions/s >= 0.8 x bare Coyote at equal thread count (a')",
                F($"{equal:F2} x{Rounds(c.AsManyThreadsRoundRatios)} ({c.Model.DecisionsPerSecond:F0} vs {c.AsManyThreadsReference.DecisionsPerSecond:F0} decisions/s, medians)"), equal >= 0.8);
            var three = CoyoteCost.MedianOr(c.RoundRatios, c.Ratio);
            yield return new TargetCheck("default scenario decisions/s >= 0.45 x bare Coyote with 3 threads (a)",
                F($"{three:F2} x{Rounds(c.RoundRatios)} ({c.Model.DecisionsPerSecond:F0} vs {c.BareReference.DecisionsPerSecond:F0} decisions/s, medians)"), three >= 0.45);
            var fixedRatio = CoyoteCost.MedianOr(c.FixedRoundRatios, c.Model.SchedulesPerSecond / c.FixedReference.SchedulesPerSecond);
            yield return new TargetCheck("default scenario schedules/s >= 0.5 x the fixed 3-thread bare workload (a0)",
                F($"{fixedRatio:F2} x{Rounds(c.FixedRoundRatios)} ({c.Model.SchedulesPerSecond:F1} vs {c.FixedReference.SchedulesPerSecond:F1} schedules/s, medians)"), fixedRatio >= 0.5);
        }

        if (r.Variants.Count > 0)
        {
            var slow = r.Variants.Where(v => v.MedianSeconds > 2 || !v.Matches).ToList();
            var worst = r.Variants.MaxBy(v => v.MedianSeconds)!;
            yield return new TargetCheck("every known-bug variant found (its manifest property) in a median <= 2 s",
                F($"worst median {worst.MedianSeconds:F2} s ({worst.Label})") + (slow.Count == 0 ? "" : $"; missed: {string.Join(", ", slow.Select(v => v.Label))}"),
                slow.Count == 0);
        }

        if (r.Stress.Count > 0 && r.Variants.Count > 0)
        {
            var pairs = r.Stress.Join(r.Variants, s => s.Label, v => v.Label, (s, v) => (s, v)).ToList();
            var short100 = pairs.Where(p => p.s.SecondsToBug is not { } t || t >= 100 * Math.Max(p.v.MedianSeconds, 1e-3)).ToList();
            var never = pairs.Count(p => p.s.SecondsToBug is null);
            yield return new TargetCheck("time to first bug >= 100x shorter than the real-thread stress loop (or it never finds it)",
                $"{short100.Count} of {pairs.Count} variants ({never} never found on real threads)", short100.Count == pairs.Count);
        }

        if (r.Deep.Count > 0)
        {
            var slow = r.Deep.Where(d => d.Portfolio.MedianSeconds > 10 || !d.Portfolio.Matches).ToList();
            var worst = r.Deep.MaxBy(d => d.Portfolio.MedianSeconds)!;
            yield return new TargetCheck("every deep variant found by the default strategy (its manifest property) in a median <= 10 s",
                F($"worst median {worst.Portfolio.MedianSeconds:F2} s ({worst.Label})") + (slow.Count == 0 ? "" : $"; missed: {string.Join(", ", slow.Select(d => d.Label))}"),
                slow.Count == 0);
            var fast = r.Deep.Count(d => (d.Ratio ?? d.RatioAtLeast ?? 0) >= 100);
            var never = r.Deep.Count(d => d.Stress.Found is null);
            yield return new TargetCheck("deep variants: time to first bug >= 100x shorter than real-thread stress (or stress never finds it) for most",
                $"{fast} of {r.Deep.Count} ({never} never found on real threads within the bounds)", fast * 2 > r.Deep.Count);
        }

        if (r.Parallel is { } p2)
        {
            var shortRun = F($"{p2.CheckSpeedup:F2} x over {p2.SchedulesPerRun:N0} schedules ({(p2.CheckUsesProcesses ? (p2.OneCold is null ? "worker processes" : "worker processes against one started cold") : "threads")}, as check runs this many schedules)");
            yield return p2.LongTwo is { } longTwo
                ? new TargetCheck("--parallel 2 >= 1.7 x schedules/s (over a long run)",
                    F($"{p2.LongSpeedup:F2} x over {longTwo.Schedules:N0} schedules (worker processes against one started cold); ") + shortRun
                        + ", where each worker's start and JIT weigh more",
                    p2.LongSpeedup >= 1.7)
                : new TargetCheck("--parallel 2 >= 1.7 x schedules/s", shortRun, p2.CheckSpeedup >= 1.7);
        }

        if (r.Memory is { } m)
        {
            yield return new TargetCheck($"memory flat (+-10%) from {m.Small.Schedules} to {m.Large.Schedules} schedules",
                F($"managed heap {BenchMarkdown.SignedPercent(m.ManagedGrowth)}, working set {BenchMarkdown.SignedPercent(m.WorkingSetGrowth)}"), Math.Abs(m.ManagedGrowth) <= 0.10);
        }
    }

    private static string F(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    /// <summary>An IProgress that reports on the caller's thread (Progress&lt;T&gt; posts to the thread pool).</summary>
    private sealed class SyncProgress(Action<ExplorationProgress> report) : IProgress<ExplorationProgress>
    {
        public void Report(ExplorationProgress value) => report(value);
    }
}

namespace Multifd.Checker.Benchmarks;

/// <summary>One timed exploration: how many schedules, how long, how many decisions per schedule.</summary>
public sealed record RateSample(string Workload, int Schedules, double Seconds, double DecisionsPerSchedule)
{
    public double SchedulesPerSecond => Seconds > 0 ? Schedules / Seconds : 0;

    public double DecisionsPerSecond => SchedulesPerSecond * DecisionsPerSchedule;

    public double MsPerSchedule => Schedules > 0 ? Seconds * 1000 / Schedules : 0;
}

/// <summary>(a) and (b): Coyote's bare cost and the default scenario's, measured alternately in one run.</summary>
/// <remarks>
/// The default scenario runs as a check runs it (its threads pinned to a CPU, <see cref="Exploration.CorePinning"/>).
/// Each bare workload runs both pinned and free, and the faster of the two is its reference: pinning slows the bare
/// workloads (their hand-offs gain from a woken thread spinning on the other core), so a reference measured only
/// pinned would flatter the model.
/// </remarks>
/// <param name="BareRounds">Rounds of the bare workload, tuned to the default scenario's decisions per schedule.</param>
public sealed record CoyoteCost(
    int BareRounds,
    RateSample Bare,
    RateSample Model,
    IReadOnlyList<RateSample> BareSamples,
    IReadOnlyList<RateSample> ModelSamples,
    RateSample BareAsManyThreads,
    RateSample BareFixed,
    RateSample BareFree,
    RateSample BareAsManyThreadsFree,
    RateSample BareFixedFree)
{
    /// <summary>Median decisions/s of the default scenario over the median of the faster bare workload (a).</summary>
    public double Ratio => Model.DecisionsPerSecond / BareReference.DecisionsPerSecond;

    /// <summary>(a): the faster of the bare workload pinned and free.</summary>
    public RateSample BareReference => Faster(Bare, BareFree);

    /// <summary>(a'): the faster of the bare workload with the model's thread count, pinned and free.</summary>
    public RateSample AsManyThreadsReference => Faster(BareAsManyThreads, BareAsManyThreadsFree);

    /// <summary>(a0): the faster of the fixed bare workload, pinned and free.</summary>
    public RateSample FixedReference => Faster(BareFixed, BareFixedFree);

    private static RateSample Faster(RateSample a, RateSample b) => a.SchedulesPerSecond >= b.SchedulesPerSecond ? a : b;

    /// <summary>Every round's bare workload run free (the rounds of <see cref="BareSamples"/>, in order).</summary>
    public IReadOnlyList<RateSample> BareFreeSamples { get; init; } = [];

    /// <summary>Every round's bare workload with the model's thread count, pinned.</summary>
    public IReadOnlyList<RateSample> AsManyThreadsSamples { get; init; } = [];

    /// <summary>Every round's bare workload with the model's thread count, free.</summary>
    public IReadOnlyList<RateSample> AsManyThreadsFreeSamples { get; init; } = [];

    /// <summary>Every round's fixed bare workload, pinned.</summary>
    public IReadOnlyList<RateSample> FixedSamples { get; init; } = [];

    /// <summary>Every round's fixed bare workload, free.</summary>
    public IReadOnlyList<RateSample> FixedFreeSamples { get; init; } = [];

    /// <summary>(b)/(a) in decisions/s, round by round: the model against the faster bare run of the same round.</summary>
    public IReadOnlyList<double> RoundRatios => PerRound(BareSamples, BareFreeSamples, s => s.DecisionsPerSecond);

    /// <summary>(b)/(a') in decisions/s, round by round.</summary>
    public IReadOnlyList<double> AsManyThreadsRoundRatios => PerRound(AsManyThreadsSamples, AsManyThreadsFreeSamples, s => s.DecisionsPerSecond);

    /// <summary>(b)/(a0) in schedules/s, round by round.</summary>
    public IReadOnlyList<double> FixedRoundRatios => PerRound(FixedSamples, FixedFreeSamples, s => s.SchedulesPerSecond);

    /// <summary>
    /// The median of <paramref name="ratios"/>, or <paramref name="fallback"/> when there are none (a report written
    /// before the rounds were kept). The targets read these: the two runs of one round are seconds apart, so a ratio
    /// within a round cancels the machine's slower and faster minutes, which a ratio of two separate medians does not.
    /// </summary>
    public static double MedianOr(IReadOnlyList<double> ratios, double fallback) =>
        VariantCost.Median(ratios.Select(r => (double?)r)) ?? fallback;

    private IReadOnlyList<double> PerRound(IReadOnlyList<RateSample> pinned, IReadOnlyList<RateSample> free, Func<RateSample, double> measure)
    {
        var n = Math.Min(ModelSamples.Count, Math.Min(pinned.Count, free.Count));
        return Enumerable.Range(0, n)
            .Select(i => measure(Faster(pinned[i], free[i])) is var reference and > 0 ? measure(ModelSamples[i]) / reference : 0)
            .ToList();
    }
}

/// <summary>Average decisions per schedule by Coyote scheduling-point type (Acquire, Pause, Default, ...).</summary>
public sealed record DecisionBreakdown(int Schedules, double Total, IReadOnlyDictionary<string, double> PerType);

/// <summary>(c) the cost of one schedule at one size.</summary>
public sealed record SizeCost(int Devices, int Buffers, int Channels, RateSample Rate)
{
    public string Size => $"{Devices}x{Buffers}x{Channels}";
}

/// <summary>One search for a variant's bug.</summary>
/// <param name="Schedules">The schedule that violated a property, or null if none did within the bounds.</param>
public sealed record SeedTrial(uint Seed, int? Schedules, double Seconds, string? Property);

/// <summary>(d) a known-bug variant under Coyote: the searches with seeds 1..N and their medians.</summary>
/// <param name="Label">The manifest entry ("default/lock-order-inversion", "variant-single-wait-cleanup").</param>
/// <param name="Property">The manifest's property; <paramref name="Accepted"/> adds its alsoProperties.</param>
public sealed record VariantCost(string Label, string Variant, string Property, IReadOnlyList<string> Accepted, IReadOnlyList<SeedTrial> Trials)
{
    /// <summary>The strategy searched with.</summary>
    public string Strategy { get; init; } = "";

    /// <summary>Every search found a property the manifest expects.</summary>
    public bool Matches => Trials.All(t => t.Property is { } p && Accepted.Contains(p));

    public double? MedianSchedules => Median(Trials.Select(t => (double?)t.Schedules));

    public double MedianSeconds => Median(Trials.Select(t => (double?)t.Seconds)) ?? 0;

    /// <summary>The median, where a search that found nothing counts as unbounded (null when half or more found nothing).</summary>
    public static double? Median(IEnumerable<double?> values)
    {
        var sorted = values.Select(v => v ?? double.PositiveInfinity).Order().ToList();
        if (sorted.Count == 0)
        {
            return null;
        }

        var m = sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
        return double.IsPositiveInfinity(m) ? null : m;
    }
}

/// <summary>(e) a known-bug variant on real threads without Coyote: a bounded stress loop of seeded runs.</summary>
/// <param name="Runs">Runs done (until the bug, or the bounds).</param>
/// <param name="RunsToBug">The run that showed the bug (1-based), or null.</param>
/// <param name="Found">The property violated, "hang" for a run that never ended, or null.</param>
/// <param name="SlowRuns">Runs that passed the per-run timeout but ended within the grace (not hangs).</param>
/// <param name="ThreadsLeaked">Threads of a hung run still blocked after its channels were shut down (left behind).</param>
public sealed record StressCost(
    string Label,
    string Property,
    IReadOnlyList<string> Accepted,
    int Runs,
    double Seconds,
    int? RunsToBug,
    double? SecondsToBug,
    string? Found,
    int SlowRuns,
    int ThreadsLeaked)
{
    /// <summary>A property the manifest expects; a hang stands for P10 (no progress) and P8 (a thread that never ends) alike.</summary>
    public bool Matches => Found is { } f && (Accepted.Contains(f) || (f == "hang" && Accepted.Any(p => p is "P10" or "P8")));
}

/// <summary>
/// check --parallel 2 against --parallel 1, the same schedules, in one run: as a check runs them (the second worker in
/// a worker process of its own, started for the measurement; each worker's threads pinned to a CPU, waiting for their
/// turn without spinning) and with the threads left free (<c>--no-pin</c>).
/// </summary>
/// <param name="OneCores">The CPU time of the process and its worker processes over the wall time while one worker ran (cores kept busy).</param>
/// <param name="TwoCores">The same while two workers ran: below 2 on a 2-core machine when something else takes a core.</param>
/// <param name="TwoFree">Two workers with their threads left free to run on any CPU (not pinned), for comparison.</param>
/// <param name="TwoFreeCores">Cores busy while <paramref name="TwoFree"/> ran.</param>
/// <param name="OneFree">One worker with its threads left free.</param>
/// <param name="OneFreeCores">Cores busy while <paramref name="OneFree"/> ran.</param>
/// <param name="TwoThreads">Two pinned workers as threads of one process (how --parallel ran before worker processes).</param>
/// <param name="TwoThreadsCores">Cores busy while <paramref name="TwoThreads"/> ran.</param>
public sealed record ParallelCost(RateSample One, RateSample Two, double OneCores, double TwoCores, RateSample TwoFree,
    double TwoFreeCores, RateSample OneFree, double OneFreeCores, RateSample? TwoThreads = null, double TwoThreadsCores = 0)
{
    /// <summary>Two worker threads in one process against one worker.</summary>
    public double ThreadsSpeedup => TwoThreads is { } t ? Ratio(t, One) : 0;

    /// <summary>Schedules of each measurement.</summary>
    public int SchedulesPerRun { get; init; }

    /// <summary>Whether `check --parallel 2` of <see cref="SchedulesPerRun"/> schedules runs worker processes (else threads).</summary>
    public bool CheckUsesProcesses { get; init; } = true;

    /// <summary>
    /// One pinned worker in a worker process of its own, started cold for each measurement as a plain `check` process
    /// starts (its runtime, its JIT): what `check --parallel 2`'s worker processes, also started cold, replace.
    /// </summary>
    public RateSample? OneCold { get; init; }

    /// <summary>Cores busy while <see cref="OneCold"/> ran.</summary>
    public double OneColdCores { get; init; }

    /// <summary>Two worker processes against one, each started cold: as `check --parallel 2` against `check`.</summary>
    public double ColdSpeedup => OneCold is { } c ? Ratio(Two, c) : 0;

    /// <summary>One long run of a lone worker in a worker process started cold (BenchOptions.LongParallelSchedules).</summary>
    public RateSample? LongOne { get; init; }

    /// <summary>Cores busy while <see cref="LongOne"/> ran.</summary>
    public double LongOneCores { get; init; }

    /// <summary>The same long run by two worker processes, as `check --parallel 2` runs it.</summary>
    public RateSample? LongTwo { get; init; }

    /// <summary>Cores busy while <see cref="LongTwo"/> ran.</summary>
    public double LongTwoCores { get; init; }

    /// <summary>Two worker processes against one started cold, over the long run; 0 when it was not measured.</summary>
    public double LongSpeedup => LongOne is { } o && LongTwo is { } t ? Ratio(t, o) : 0;

    /// <summary>
    /// The speedup of the mode `check --parallel 2` uses for this many schedules, against what `check` alone runs:
    /// worker processes against a lone worker started cold (as a plain `check` process starts), threads against a lone
    /// worker of the same process.
    /// </summary>
    public double CheckSpeedup => CheckUsesProcesses
        ? (OneCold is null ? Speedup : ColdSpeedup)
        : (TwoThreads is null ? Speedup : ThreadsSpeedup);

    public double Speedup => Ratio(Two, One);

    /// <summary>Two free workers against one free worker.</summary>
    public double FreeSpeedup => Ratio(TwoFree, OneFree);

    /// <summary>One pinned worker against one free worker: what pinning gives a plain check.</summary>
    public double PinnedGain => Ratio(One, OneFree);

    private static double Ratio(RateSample a, RateSample b) => b.SchedulesPerSecond > 0 ? a.SchedulesPerSecond / b.SchedulesPerSecond : 0;
}

/// <summary>Memory after a full collection, and the process working set, at a number of schedules.</summary>
public sealed record MemorySample(int Schedules, long ManagedBytes, long WorkingSetBytes);

/// <summary>(f) memory at two points of one long exploration.</summary>
public sealed record MemoryCost(MemorySample Small, MemorySample Large, long PeakWorkingSetBytes)
{
    public double ManagedGrowth => Small.ManagedBytes > 0 ? (double)Large.ManagedBytes / Small.ManagedBytes - 1 : 0;

    public double WorkingSetGrowth => Small.WorkingSetBytes > 0 ? (double)Large.WorkingSetBytes / Small.WorkingSetBytes - 1 : 0;
}

/// <summary>One strategy's rate on the default scenario and its medians to each variant's bug.</summary>
public sealed record StrategyCost(string Strategy, RateSample Rate, IReadOnlyList<VariantCost> Variants);

/// <summary>
/// A deep known-bug variant (docs/deep-variants.md): its measured depth, the searches of every strategy, and the same
/// engine on real threads.
/// </summary>
/// <param name="Delays">The manifest's minimal depth: delays of the exhaustive search that first finds it.</param>
/// <param name="Fault">The fault it needs (kebab-case), or null.</param>
/// <param name="Strategies">One search per strategy (seeds 1..N each), the checker's default (portfolio) first.</param>
public sealed record DeepCost(string Label, string Variant, string Property, int Delays, string? Fault,
    IReadOnlyList<VariantCost> Strategies, StressCost Stress)
{
    /// <summary>The default strategy's searches.</summary>
    public VariantCost Portfolio => Strategies[0];

    /// <summary>Real-thread seconds to the bug over the portfolio's median seconds; null if stress never found it (see <see cref="RatioAtLeast"/>).</summary>
    public double? Ratio => Stress.SecondsToBug is { } t && Stress.Matches && Portfolio.MedianSeconds > 0 ? t / Portfolio.MedianSeconds : null;

    /// <summary>When stress never found the bug: its whole time over the portfolio's median, a lower bound of the ratio.</summary>
    public double? RatioAtLeast => Ratio is null && Portfolio.MedianSeconds > 0 ? Stress.Seconds / Portfolio.MedianSeconds : null;
}

/// <summary>A target of the benchmark (issues 8 and 16) and whether this run met it.</summary>
public sealed record TargetCheck(string Target, string Measured, bool Met);

/// <summary>Everything one `multifd bench` run measured.</summary>
public sealed record BenchReport
{
    public required bool Quick { get; init; }

    public required string Strategy { get; init; }

    /// <summary>The build configuration of the checker (Release or Debug).</summary>
    public required string Build { get; init; }

    public required int Processors { get; init; }

    /// <summary>/proc/loadavg when the run started and when it ended (Linux), to read the rates against.</summary>
    public string? LoadAtStart { get; init; }

    public string? LoadAtEnd { get; set; }

    public double ElapsedSeconds { get; set; }

    /// <summary>An interrupt (SIGINT, SIGTERM) stopped the run: the measurements present are those it completed.</summary>
    public bool Interrupted { get; set; }

    public CoyoteCost? Coyote { get; set; }

    public DecisionBreakdown? Breakdown { get; set; }

    /// <summary>Decisions per schedule by call site (random choices among the enabled operations).</summary>
    public IReadOnlyList<SiteDecisions>? Sites { get; set; }

    public List<SizeCost> Sizes { get; } = [];

    public List<VariantCost> Variants { get; } = [];

    public List<StressCost> Stress { get; } = [];

    public ParallelCost? Parallel { get; set; }

    public MemoryCost? Memory { get; set; }

    public List<StrategyCost> Strategies { get; } = [];

    public List<DeepCost> Deep { get; } = [];

    public List<TargetCheck> Targets { get; } = [];
}

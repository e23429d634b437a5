namespace Multifd.Checker.Benchmarks;

/// <summary>What `multifd bench` measures and how long it may take: the full run (a few minutes) or --quick (CI smoke).</summary>
public sealed record BenchOptions
{
    /// <summary>The sections, in the order they run.</summary>
    public static readonly IReadOnlyList<(string Name, string Description)> AllSections =
    [
        ("coyote", "(a)+(b) Coyote's bare cost against the default scenario, alternated, same strategy and decisions/schedule"),
        ("breakdown", "where the default scenario's decisions come from, by Coyote scheduling-point type"),
        ("sizes", "(c) cost per schedule at 1x2x1, 2x4x2 and 4x8x4 (devices x buffers x channels)"),
        ("parallel", "check --parallel 2 (worker processes) against 1 on the default scenario, and 2 threads of one process"),
        ("memory", "(f) managed heap and working set after 1k and 10k schedules of the default scenario"),
        ("variants", "(d) schedules and seconds to the first violation per known-bug variant, seeds 1..5"),
        ("strategies", "(opt-in) schedules/s and time to each variant's bug for every strategy"),
        ("deep", "(opt-in) per deep known-bug variant: schedules and seconds to the first violation for every strategy, real-thread stress of the same engine, and the ratio"),
        ("stress", "(e) the same engine on real threads without Coyote: runs and seconds until each variant's bug (runs last)"),
    ];

    public bool Quick { get; init; }

    /// <summary>The strategy measured (the checker's default).</summary>
    public string Strategy { get; init; } = "portfolio";

    /// <summary>Sections to run; empty: every section but the opt-in ones ("strategies", "deep").</summary>
    public IReadOnlySet<string> Sections { get; init; } = new HashSet<string>();

    /// <summary>Cancelled by an interrupt (SIGINT, SIGTERM): no further measurement starts, the report holds those done.</summary>
    public CancellationToken Interrupt { get; init; }

    public bool Interrupted => Interrupt.IsCancellationRequested;

    public bool Runs(string section) =>
        !Interrupted && (Sections.Count == 0 ? section is not ("strategies" or "deep") : Sections.Contains(section));

    /// <summary>Schedules per measurement of (a) and (b), and how many times each is measured (alternating).</summary>
    public int RateSchedules => Quick ? 100 : 300;

    public int RateRepeats => Quick ? 2 : 5;

    /// <summary>Schedules of the full decision-type breakdown (one engine per schedule).</summary>
    public int BreakdownSchedules => Quick ? 5 : 20;

    public int SizeSchedules => Quick ? 20 : 100;

    /// <summary>Seeds 1..N per known-bug variant.</summary>
    public int VariantSeeds => Quick ? 3 : 5;

    /// <summary>Bounds of one search for a variant's bug.</summary>
    public int VariantScheduleCap => 5000;

    public int VariantSecondsCap => Quick ? 15 : 60;

    /// <summary>The time bound of one search of the strategy comparison (slow strategies would otherwise dominate it).</summary>
    public int StrategySecondsCap => Quick ? 5 : 20;

    /// <summary>The time bound of one search for a deep variant's bug (its acceptance: a median of at most 10 s).</summary>
    public int DeepSecondsCap => Quick ? 10 : 30;

    /// <summary>Bounds of the real-thread stress loop per variant.</summary>
    public int StressRuns => Quick ? 200 : 2000;

    public double StressSeconds => Quick ? 3 : 20;

    /// <summary>A real-thread run not done after this is suspected hung; it is declared hung if still not done after the grace.</summary>
    public TimeSpan StressRunTimeout => TimeSpan.FromSeconds(Quick ? 0.5 : 1);

    public TimeSpan StressGrace => TimeSpan.FromSeconds(Quick ? 1 : 2);

    /// <summary>
    /// Schedules per --parallel measurement: enough that the worker processes' start and warm-up (about 2 s of each
    /// process's first blocks, docs/performance.md) does not decide the ratio, as in the long runs --parallel is for.
    /// </summary>
    public int ParallelSchedules => Quick ? 400 : 2000;

    /// <summary>
    /// Schedules of the one long --parallel measurement (not in --quick): long enough that what each worker process
    /// spends once (its start and its JIT, about 1.5 s of CPU, docs/performance.md) is a small part of its run, as in the
    /// long runs --parallel is for. 0: not measured.
    /// </summary>
    public int LongParallelSchedules => Quick ? 0 : 12_000;

    /// <summary>How `check --parallel` starts its worker processes (the CLI's own executable); null: worker threads only.</summary>
    public Exploration.WorkerLaunch? WorkerProcess { get; init; }

    /// <summary>The two schedule counts at which memory is sampled, in one run.</summary>
    public (int Small, int Large) MemorySchedules => Quick ? (200, 2000) : (1000, 10000);
}

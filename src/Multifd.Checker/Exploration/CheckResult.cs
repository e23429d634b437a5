using Multifd.Checker.Scenarios;
using Multifd.Simulation;

namespace Multifd.Checker.Exploration;

/// <summary>A property that failed, as the checker reports it.</summary>
/// <param name="Property">"P1".."P13" or "P5b", "P10" for a hang (Coyote's deadlock detection), "P8" for a liveness bug.</param>
/// <param name="Name">The property's name, e.g. "LoadsInIndexOrder".</param>
public sealed record Violation(string Property, string Name, string Message)
{
    /// <summary>The violated clause reads only QEMU's trace events: a QEMU log of the schedule shows it too.</summary>
    public bool SeenInQemuTrace { get; init; }
}

/// <summary>Everything one exploration found and measured.</summary>
public sealed record CheckResult
{
    public required CheckOptions Options { get; init; }

    public int SchedulesExplored { get; init; }

    /// <summary>The seed blocks explored (whole or in part), in index order.</summary>
    public IReadOnlyList<SeedBlock> SeedBlocks { get; init; } = [];

    public double ElapsedSeconds { get; init; }

    public double SchedulesPerSecond => ElapsedSeconds > 0 ? SchedulesExplored / ElapsedSeconds : 0;

    /// <summary>Scheduling decisions per schedule (Coyote's fair steps): min, average, max.</summary>
    public (long Min, double Avg, long Max) Decisions { get; init; }

    /// <summary>The failing schedule's number (1-based) in the whole run: block index * schedules per seed + its iteration.</summary>
    public int? FirstBugIteration { get; init; }

    /// <summary>The seed of the Coyote exploration that found the violation (its seed block's seed).</summary>
    public uint? FirstBugSeed { get; init; }

    public Violation? Violation { get; init; }

    /// <summary>Coyote's reproducible trace of the failing schedule.</summary>
    public string? Trace { get; init; }

    /// <summary>The failing schedule's timeline.</summary>
    public IReadOnlyList<TimelineEntry>? Timeline { get; init; }

    /// <summary>How many schedules ended in success and in each kind of clean failure.</summary>
    public IReadOnlyDictionary<string, int> Outcomes { get; init; } = new Dictionary<string, int>();

    /// <summary>Per device: the peak queued count and bytes over all explored schedules.</summary>
    public IReadOnlyDictionary<string, (ulong Count, ulong Bytes)> PeakQueued { get; init; } = new Dictionary<string, (ulong, ulong)>();

    /// <summary>Per device: the most bytes the destination allocated at once for its buffers over all schedules (P13's accounting).</summary>
    public IReadOnlyDictionary<string, ulong> PeakAllocated { get; init; } = new Dictionary<string, ulong>();

    /// <summary>How many schedules reached each situation.</summary>
    public IReadOnlyDictionary<string, int> Situations { get; init; } = new Dictionary<string, int>();

    /// <summary>Faults injected over all schedules, by kind (kebab-case).</summary>
    public IReadOnlyDictionary<string, int> FaultsByKind { get; init; } = new Dictionary<string, int>();

    /// <summary>Faults injected over all schedules, by "kind in QEMU function" (the function of the thread where it landed).</summary>
    public IReadOnlyDictionary<string, int> FaultsByFunction { get; init; } = new Dictionary<string, int>();

    /// <summary>How many schedules took each error-path site (<see cref="Engine.Core.ErrorPathSites"/>).</summary>
    public IReadOnlyDictionary<string, int> Sites { get; init; } = new Dictionary<string, int>();

    /// <summary>With <see cref="CheckOptions.RequireSites"/>: the error-path sites no schedule took.</summary>
    public IReadOnlyList<string> MissedSites { get; init; } = [];

    /// <summary>Situations the scenario must reach that no schedule reached.</summary>
    public IReadOnlyList<string> MissedSituations { get; init; } = [];

    /// <summary>Calls Coyote saw that it does not control (should be none).</summary>
    public IReadOnlyList<string> Uncontrolled { get; init; } = [];

    /// <summary>An error of the checker itself (not a protocol bug).</summary>
    public string? InternalError { get; init; }

    /// <summary>For an exhaustive search: how far it got and what it proves; null for sampling.</summary>
    public ExhaustiveSummary? Exhaustive { get; init; }
    /// <summary>The run was stopped by an interrupt (SIGINT, SIGTERM) before it explored all it was asked to.</summary>
    public bool Interrupted { get; init; }

    public bool FoundBug => Violation is not null;

    public Scenario Scenario => Options.Scenario;
}

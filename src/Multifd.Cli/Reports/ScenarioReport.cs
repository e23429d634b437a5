using System.Text.Json;
using System.Text.Json.Serialization;

namespace Multifd.Cli.Reports;

/// <summary>A violated property as the report states it.</summary>
/// <param name="Message">What failed, with the values (for a hang: what each thread was last doing).</param>
/// <param name="Detail">The checker's raw message where it differs (e.g. Coyote's deadlock report).</param>
public sealed record ViolationReport(
    string Property,
    string Name,
    string Message,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Detail = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Scenario = null);

public sealed record DecisionsReport(long Min, double Avg, long Max);

public sealed record QueuePeakReport(ulong Count, ulong Bytes);

/// <summary>The bounds the exploration ran with.</summary>
/// <param name="Iterations">Schedules asked for (null: only the time budget bounds the run); a run stops earlier at a bug.</param>
public sealed record BoundsReport(int? Iterations, int? TimeBudgetSeconds, int MaxSteps, uint LivenessTemperatureThreshold);

/// <param name="Shard">"K/N", or null for the whole run.</param>
/// <param name="SeedBlocks">Seed blocks explored (whole or in part).</param>
/// <param name="Workers">"processes" when each worker ran in a process of its own, "threads" when they ran in the
/// checker's process (a lone worker, or a run too short to pay for a process's start).</param>
public sealed record SpreadReport(int Parallel, string? Shard, int SchedulesPerSeed, int SeedBlocks, string Workers = "threads");

/// <summary>An exhaustive search's result (see Multifd.Checker.Exploration.ExhaustiveSummary for each field).</summary>
/// <param name="Complete">True only for a proof: every schedule within the bound ran, none was cut, none violated anything.</param>
/// <param name="Pruned">What the search did not run: alternatives beyond the preemption bound, schedules cut by the step bound.</param>
/// <param name="Estimate">Only for --estimate: Knuth's estimate of the schedules and its relative standard error.</param>
public sealed record ExhaustiveReport(
    bool Complete,
    long Schedules,
    int? PreemptionBound,
    int? DelayBound,
    long? MaxSchedules,
    string End,
    PrunedReport Pruned,
    int MaxPreemptions,
    int MaxDelays,
    int? ViolationPreemptions,
    int? ViolationDelays,
    ChoicesReport ChoicesPerSchedule,
    string Reduction,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] EstimateReport? Estimate,
    string Claim);

/// <summary>Per schedule, on average: scheduling decisions with more than one enabled operation, split into those where
/// the current operation could go on (a switch is a preemption) and those where it blocked, ended or yielded (a free
/// choice, unbounded by --preemption-bound).</summary>
public sealed record ChoicesReport(double Branching, double PreemptionPoints, double FreeChoices);

public sealed record EstimateReport(double Schedules, double RelativeStandardError, long Probes);

/// <param name="BeyondPreemptionBound">Alternatives not taken because they would exceed the preemption bound.</param>
/// <param name="CutByStepBound">Schedules stopped by the step bound (any makes the result not a proof).</param>
public sealed record PrunedReport(long BeyondPreemptionBound, long CutByStepBound);

public sealed record ToolsReport(string Multifd, string Coyote, string Dotnet);

/// <summary>
/// What one `check` of one scenario found (the JSON report's fields; docs/cli.md lists them). The report file
/// holds the same fields for all scenarios together, plus "scenarios" (one of these each), "tools" and "gitCommit".
/// </summary>
public sealed record ScenarioReport
{
    /// <summary>
    /// "pass" (no violation), "bug" (a property violated), "interrupted" (SIGINT or SIGTERM stopped the run before it
    /// explored all it was asked to, and nothing was violated until then) or "error" (the checker itself failed).
    /// </summary>
    public required string Verdict { get; init; }

    /// <summary>"SIGINT" or "SIGTERM" for an interrupted run, else null.</summary>
    public string? InterruptedBy { get; init; }

    /// <summary>The exit code this scenario alone gives.</summary>
    public required int ExitCode { get; init; }

    public required string Scenario { get; init; }

    public string? ScenarioFile { get; init; }

    public required string Variant { get; init; }

    public required string Strategy { get; init; }

    public required uint Seed { get; init; }

    /// <summary>Schedules explored.</summary>
    public required int Iterations { get; init; }

    public required double ElapsedSeconds { get; init; }

    public required double SchedulesPerSecond { get; init; }

    public int? FirstBugIteration { get; init; }

    /// <summary>The seed of the Coyote exploration (seed block) that found the violation, or null.</summary>
    public uint? FirstBugSeed { get; init; }

    /// <summary>How the run was spread: explorations side by side, the shard run, schedules per seed block, blocks explored.</summary>
    public SpreadReport? Spread { get; init; }

    public IReadOnlyList<ViolationReport> Violations { get; init; } = [];

    /// <summary>The trace bundle written for the violation, or null.</summary>
    public string? Bundle { get; init; }

    public DecisionsReport? DecisionsPerSchedule { get; init; }

    public IReadOnlyDictionary<string, int> Outcomes { get; init; } = new Dictionary<string, int>();

    /// <summary>Per device: the peak queued buffer count and bytes over all schedules.</summary>
    public IReadOnlyDictionary<string, QueuePeakReport> PeakQueued { get; init; } = new Dictionary<string, QueuePeakReport>();

    /// <summary>
    /// Per device: the most bytes the destination allocated at once for its buffers over all schedules — the load_bufs
    /// array, the queued payloads and the recv threads' payload buffers (P13 DestinationMemoryBounded's accounting).
    /// </summary>
    public IReadOnlyDictionary<string, ulong> PeakAllocatedBytes { get; init; } = new Dictionary<string, ulong>();

    /// <summary>How many schedules reached each situation.</summary>
    public IReadOnlyDictionary<string, int> Situations { get; init; } = new Dictionary<string, int>();

    public IReadOnlyList<string> MustReach { get; init; } = [];

    /// <summary>
    /// Knobs the scenario turns on that QEMU as merged does not have (the count limit x-migration-max-queued-buffers,
    /// proposed in the reviewed series, v2..v6, dc15bcb035, not merged), one line each; empty for QEMU's knob set.
    /// </summary>
    public IReadOnlyList<string> UnmergedKnobs { get; init; } = [];

    /// <summary>Must-reach situations no schedule reached: a pass with any of these is inconclusive (exit 1).</summary>
    public IReadOnlyList<string> MissedSituations { get; init; } = [];

    /// <summary>With --require-sites: error-path sites no schedule took; a pass with any of these is inconclusive (exit 1).</summary>
    public IReadOnlyList<string> MissedSites { get; init; } = [];

    /// <summary>Faults injected over all schedules, per kind and per "kind in QEMU function" where they landed.</summary>
    public FaultsReport FaultsInjected { get; init; } = new(new Dictionary<string, int>(), new Dictionary<string, int>());

    /// <summary>The engine's error-path sites (ErrorPathSites): how many schedules took each, and those none took.</summary>
    public SitesReport ErrorPathSites { get; init; } = new(new Dictionary<string, int>(), []);

    /// <summary>Calls Coyote saw that it does not control (should be none).</summary>
    public IReadOnlyList<string> Uncontrolled { get; init; } = [];

    public string? InternalError { get; init; }

    public required BoundsReport Bounds { get; init; }

    /// <summary>For `check --exhaustive`: what the search ran and what it proves (docs/exhaustive.md); absent when sampling.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public ExhaustiveReport? Exhaustive { get; init; }

    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };
}

/// <summary>Faults injected: per kind, and per "kind in function" (the QEMU function of the thread where the fault landed).</summary>
public sealed record FaultsReport(IReadOnlyDictionary<string, int> ByKind, IReadOnlyDictionary<string, int> ByFunction);

/// <summary>Error-path sites: how many schedules took each site reached, and the ids of the sites no schedule took.</summary>
public sealed record SitesReport(IReadOnlyDictionary<string, int> Reached, IReadOnlyList<string> NotReached)
{
    public static SitesReport Of(IReadOnlyDictionary<string, int> counts) => new(
        new SortedDictionary<string, int>(counts.ToDictionary()),
        [.. Engine.Core.ErrorPathSites.All.Select(s => s.Id).Where(id => !counts.ContainsKey(id))]);
}

using Multifd.Checker.Scenarios;
using Multifd.Engine;

namespace Multifd.Checker.Exploration;

/// <summary>One exploration: a scenario, a protocol variant, and how to search.</summary>
public sealed record CheckOptions
{
    public required Scenario Scenario { get; init; }

    public ProtocolVariant Variant { get; init; }

    public int Iterations { get; init; } = 200;

    /// <summary>Stop after this many seconds even if iterations remain (null: no limit).</summary>
    public int? TimeBudgetSeconds { get; init; }

    public string Strategy { get; init; } = "portfolio";

    public uint Seed { get; init; } = 1;

    public int MaxSteps { get; init; } = 20000;

    /// <summary>
    /// Coyote's liveness temperature threshold (hot-state steps before a liveness bug). P8's monitor is hot from the
    /// first thread start until every thread ended, so this must exceed the length of a legitimate schedule: half the
    /// step bound.
    /// </summary>
    public uint LivenessTemperatureThreshold { get; init; } = 10000;

    /// <summary>Explorations run side by side in this process (seed blocks handed out in order); 1: one after another.</summary>
    public int Parallel { get; init; } = 1;

    /// <summary>
    /// How to start a worker process. With it, <see cref="Parallel"/> N &gt;= 2 and a run long enough
    /// (<see cref="WorkerProcessMinSeconds"/>), each of the N workers runs in a process of its own
    /// (<see cref="Exploration.WorkerProcess"/>) and this one hands out the blocks; otherwise the N workers are threads
    /// of this process (a lone worker always is). The schedules explored are the same either way.
    /// </summary>
    public WorkerLaunch? WorkerProcess { get; init; }

    /// <summary>
    /// Worker processes are used only for a run whose work per worker is at least this many seconds, estimated at
    /// <see cref="EstimatedSchedulesPerSecond"/> and bounded by <see cref="TimeBudgetSeconds"/>; a shorter run's
    /// workers are threads, because a process's start and warm-up (about 1.5 s here) would cost more than the
    /// garbage collector the threads share (docs/performance.md). 0: always processes (tests).
    /// </summary>
    public double WorkerProcessMinSeconds { get; init; } = DefaultWorkerProcessMinSeconds;

    public const double DefaultWorkerProcessMinSeconds = 10;

    /// <summary>
    /// For the bench: a lone worker (<see cref="Parallel"/> 1) runs in a worker process too, started cold as a plain
    /// `check` process starts, so that `--parallel 2` is compared with what a user runs instead of with a worker whose
    /// code this process has already compiled. <c>check</c> never sets it.
    /// </summary>
    public bool LoneWorkerProcess { get; init; }

    /// <summary>A worker's rate assumed by <see cref="WorkerProcessMinSeconds"/>: the default scenario's, about.</summary>
    public const double EstimatedSchedulesPerSecond = 100;

    /// <summary>
    /// Keeps each worker's threads on a CPU of its own, waiting for their turn without spinning (Linux; see
    /// <see cref="CorePinning"/>); a lone worker stays on the CPU it started on. Changes where threads run and how they
    /// wait, never which schedules are explored. <c>check --no-pin</c> turns it off.
    /// </summary>
    public bool PinWorkers { get; init; } = true;

    /// <summary>The part of the run's seed blocks this process explores (see <see cref="SeedPlan"/>).</summary>
    public Shard Shard { get; init; } = Shard.Whole;

    /// <summary>
    /// Schedules per seed block: one Coyote testing engine explores this many schedules with one seed. Fixed for a run,
    /// so that the same options give the same schedules however the run is spread over threads and shards.
    /// </summary>
    public int SchedulesPerSeed { get; init; } = DefaultSchedulesPerSeed;

    public const int DefaultSchedulesPerSeed = 100;

    /// <summary>Every error-path site must be taken by some schedule, else a pass is inconclusive (check --require-sites).</summary>
    public bool RequireSites { get; init; }

    /// <summary>A trace to replay instead of searching.</summary>
    public string? ReplayTrace { get; init; }

    /// <summary>Enumerate the schedules (depth-first, see <see cref="ScheduleTree"/>) instead of sampling them; null: sample.</summary>
    public ExhaustiveOptions? Exhaustive { get; init; }

    public static CheckOptions For(Scenario scenario, string? variant = null) => new()
    {
        Scenario = scenario,
        Variant = Variants.Parse(variant ?? scenario.Variant),
        Iterations = scenario.Exploration.Iterations,
        Strategy = scenario.Exploration.Strategy,
        Seed = scenario.Exploration.Seed,
        MaxSteps = scenario.Exploration.MaxSteps,
        LivenessTemperatureThreshold = (uint)Math.Max(1000, scenario.Exploration.MaxSteps / 2),
    };
}

/// <summary>The bounds of an exhaustive search.</summary>
/// <param name="PreemptionBound">At most this many preemptions per schedule; null: no preemption bound.</param>
/// <param name="MaxSchedules">Stop (without a proof) after this many schedules; null: no limit.</param>
/// <param name="DelayBound">At most this many delays per schedule; null: no delay bound.</param>
/// <param name="EstimateProbes">Run no search: estimate the bounded search's schedule count from this many random probes.</param>
public sealed record ExhaustiveOptions(int? PreemptionBound, long? MaxSchedules, int? DelayBound = null, int? EstimateProbes = null);

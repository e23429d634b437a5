using System.Diagnostics;
using System.Text.RegularExpressions;
using Microsoft.Coyote;
using Microsoft.Coyote.Logging;
using Microsoft.Coyote.Runtime;
using Microsoft.Coyote.SystematicTesting;
using Multifd.Checker.Harness;
using Multifd.Simulation;

namespace Multifd.Checker.Exploration;

/// <summary>Progress of a running exploration (all of its seed blocks together).</summary>
public sealed record ExplorationProgress(int Schedules, int Target, double ElapsedSeconds, int Bugs);

/// <summary>
/// Runs a scenario under Coyote's controlled scheduler, many schedules, and gathers what they found:
/// the first violation (with its trace and timeline), outcomes, queue peaks and situation coverage.
/// The schedules are cut into seed blocks (<see cref="SeedPlan"/>), explored one after another or by
/// <see cref="CheckOptions.Parallel"/> workers side by side, each block by its own Coyote testing engine.
/// </summary>
public static partial class Explorer
{
    /// <summary>Coyote's hang watchdog timeout for every exploration (see <see cref="Configure"/>).</summary>
    public const uint DeadlockTimeoutMilliseconds = 60_000;

    /// <param name="interrupt">When cancelled, the run stops after the schedule each worker is exploring (an interrupted run).</param>
    public static CheckResult Run(CheckOptions options, IProgress<ExplorationProgress>? progress = null, CancellationToken interrupt = default)
    {
        if (options.ReplayTrace is not null)
        {
            var replay = new SeedBlock(0, options.Seed, 1, 0);
            return BlockMerge.Merge(options, [RunBlock(options, replay, null, null)], 0);
        }

        if (options.Exhaustive is not null)
        {
            return RunExhaustive(options, progress, interrupt);
        }

        return new ParallelExploration(options, progress, interrupt).Run();
    }

    /// <summary>
    /// Whether a run with <paramref name="options"/> explores in worker processes (<see cref="CheckOptions.WorkerProcess"/>):
    /// two workers or more, each with at least <see cref="CheckOptions.WorkerProcessMinSeconds"/> of work.
    /// </summary>
    public static bool UsesWorkerProcesses(CheckOptions options) =>
        ParallelExploration.UsesWorkerProcesses(options, new SeedPlan(options));

    /// <summary>Explores one seed block with its own testing engine.</summary>
    /// <param name="shouldStop">Asked after each schedule: true stops the block there.</param>
    /// <param name="onSchedule">Told after each schedule (for progress).</param>
    /// <remarks>
    /// Returns only once the engine's last schedule has ended: the time budget is kept by <paramref name="shouldStop"/>
    /// between schedules, never by Coyote's testing timeout, whose Run() returns while a schedule still runs (that
    /// schedule then runs on beside whatever the process does next, after its engine was disposed).
    /// </remarks>
    internal static BlockResult RunBlock(CheckOptions options, SeedBlock block, Func<bool>? shouldStop, Action<bool>? onSchedule)
    {
        var collector = new Collector(options);
        var configuration = Configure(options with { Seed = block.Seed, Iterations = block.Schedules });
        var stopwatch = Stopwatch.StartNew();
        using var engine = TestingEngine.Create(configuration, collector.Iteration);
        engine.SetLogger(new MemoryLogger(VerbosityLevel.Error));
        engine.RegisterStartIterationCallBack(i => collector.Started = (int)i + 1);
        engine.RegisterEndIterationCallBack(i =>
        {
            ScheduleThreads.JoinAll(collector.Runtime);
            collector.Runtime = null;
            collector.Finish();
            onSchedule?.Invoke(engine.TestReport.NumOfFoundBugs > 0);
            // (Stop() returns Run() before Coyote has gathered the last schedule's statistics: Schedules below counts
            // the schedules started.)
            if (shouldStop?.Invoke() == true)
            {
                engine.Stop();
            }
        });
        engine.Run();
        stopwatch.Stop();

        var report = engine.TestReport;
        var paths = report.NumOfExploredFairPaths + report.NumOfExploredUnfairPaths;
        var bug = report.NumOfFoundBugs > 0 ? report.BugReports.First() : null;
        var violation = bug is null ? null : Classify(bug);
        if (violation is not null && collector.Violation is { } v && v.PropertyId == violation.Property && v.Detail == violation.Message)
        {
            violation = violation with { SeenInQemuTrace = v.SeenInQemuTrace };
        }

        var internalError = violation?.Property == "internal" ? violation.Message : null;
        return new BlockResult
        {
            Block = block,
            Schedules = Math.Max(paths, collector.Started),
            ElapsedSeconds = stopwatch.Elapsed.TotalSeconds,
            Decisions = DecisionsOf(report),
            FirstBugIteration = bug is null ? null : collector.Started,
            Violation = internalError is null ? violation : null,
            InternalError = internalError,
            Trace = bug is null ? null : engine.ReproducibleTrace,
            Timeline = bug is null && options.ReplayTrace is null ? null : collector.FailingTimeline(),
            Outcomes = collector.Outcomes,
            PeakQueued = collector.Peaks,
            PeakAllocated = collector.Allocated,
            Situations = collector.SituationCounts,
            FaultsByKind = collector.FaultsByKind,
            FaultsByFunction = collector.FaultsByFunction,
            Sites = collector.SiteCounts,
            Uncontrolled = [.. report.UncontrolledInvocations],
        };
    }

    /// <summary>
    /// Scheduling decisions per schedule as Coyote counts them (every scheduling step and every controlled random
    /// choice): of the fair schedules if there were any (fair strategies), else of the unfair ones.
    /// </summary>
    public static DecisionStats DecisionsOf(TestReport report)
    {
        var fair = report.NumOfExploredFairPaths > 0;
        return new DecisionStats(
            fair ? report.MinExploredFairSteps : report.MinExploredUnfairSteps,
            fair ? report.TotalExploredFairSteps : report.TotalExploredUnfairSteps,
            fair ? report.MaxExploredFairSteps : report.MaxExploredUnfairSteps,
            fair ? report.NumOfExploredFairPaths : report.NumOfExploredUnfairPaths);
    }

    /// <summary>The Coyote configuration for an exploration (or a replay).</summary>
    public static Configuration Configure(CheckOptions options)
    {
        var c = Configuration.Create()
            .WithTestingIterations((uint)options.Iterations)
            .WithRandomGeneratorSeed(options.Seed)
            .WithMaxSchedulingSteps((uint)options.MaxSteps)
            .WithLivenessTemperatureThreshold(options.LivenessTemperatureThreshold)
            .WithPartiallyControlledConcurrencyAllowed(false)
            .WithTelemetryEnabled(false)
            .WithConsoleLoggingEnabled(false)
            // Coyote's trace analysis builds an execution graph of every schedule (about 1.7 MB per schedule of the default
            // scenario) for statistics we do not report; the schedules explored are the same without it, at half the cost.
            .WithTraceAnalysisEnabled(false)
            // Coyote's wall-clock hang watchdog: a schedule that takes no scheduling step for this long is reported as a
            // "Potential deadlock or hang" (P10). At Coyote's default of 1 s a loaded machine (a GC pause, 2 cores shared)
            // tripped it in ordinary schedules, and worse: the watchdog detaches the runtime from its own thread, so the
            // operation running at that moment is not stopped; its next wait on an empty controlled SemaphoreSlim then
            // loops without end in Coyote's wait loop, queueing itself on every turn (hundreds of MB a second:
            // docs/ci.md). Our code has no uncontrolled blocking (BannedSymbols.txt), so a deadlock is found
            // deterministically and this watchdog only catches a loop with no scheduling point: 60 s still finds that.
            .WithDeadlockTimeout(DeadlockTimeoutMilliseconds);

        if (options.ReplayTrace is { } trace)
        {
            return c.WithReproducibleTrace(trace);
        }

        return options.Strategy switch
        {
            "random" => c.WithRandomStrategy(),
            "pct" => c.WithPrioritizationStrategy(false),
            "fair-pct" => c.WithPrioritizationStrategy(true),
            "probabilistic" => c.WithProbabilisticStrategy(),
            "q-learning" => c.WithQLearningStrategy(),
            _ => c, // the default: a fair portfolio of strategies rotated across schedules
        };
    }

    /// <summary>Maps a Coyote bug report to the property it violates.</summary>
    public static Violation Classify(string bugReport)
    {
        var m = PropertyMessage().Match(bugReport);
        if (m.Success)
        {
            return new Violation(m.Groups[1].Value, m.Groups[2].Value, m.Groups[3].Value.Trim());
        }

        if (bugReport.Contains("Deadlock detected", StringComparison.Ordinal)
            || bugReport.Contains("Potential deadlock", StringComparison.Ordinal))
        {
            return new Violation("P10", "NoHang", bugReport.Trim());
        }

        if (bugReport.Contains("liveness bug", StringComparison.Ordinal))
        {
            return new Violation("P8", "EveryThreadTerminates", bugReport.Trim());
        }

        return new Violation("internal", "InternalError", bugReport.Trim());
    }

    [GeneratedRegex(@"^(P\d+[a-z]?) ([A-Za-z]+): (.*)$", RegexOptions.Singleline)]
    private static partial Regex PropertyMessage();

    /// <summary>The per-iteration test body and what it gathers across iterations.</summary>
    internal sealed class Collector(CheckOptions options)
    {
        public int Started;

        public MigrationRun? Current;

        /// <summary>The current schedule's Coyote runtime (for <see cref="ScheduleThreads"/>).</summary>
        public object? Runtime;

        /// <summary>The property violation of the current schedule (the one Coyote reports), if a property failed.</summary>
        public Specifications.PropertyViolation? Violation;

        /// <summary>How many timeline entries the current schedule had when Coyote reported its failure.</summary>
        public int? FailureStep;

        public Dictionary<string, int> Outcomes { get; } = [];

        public Dictionary<string, (ulong Count, ulong Bytes)> Peaks { get; } = [];

        public Dictionary<string, ulong> Allocated { get; } = [];

        public Dictionary<string, int> SituationCounts { get; } = [];

        /// <summary>Faults injected over all schedules, by kind and by "kind in function".</summary>
        public Dictionary<string, int> FaultsByKind { get; } = [];

        public Dictionary<string, int> FaultsByFunction { get; } = [];

        /// <summary>How many schedules took each error-path site.</summary>
        public Dictionary<string, int> SiteCounts { get; } = [];

        public void Iteration(ICoyoteRuntime runtime)
        {
            CorePinning.PinCurrentThread();
            Runtime = ScheduleThreads.CurrentRuntime();
            Violation = null;
            var run = Current = new MigrationRun(options.Scenario, options.Variant, new CoyoteChoices(), v =>
            {
                Violation ??= v;
                Microsoft.Coyote.Specifications.Specification.Assert(false, v.Message);
            });
            FailureStep = null;
            // After a failure Coyote tears the schedule down and threads unwind, emitting events that are no part
            // of the failing schedule: the timeline ends where the failure was reported.
            runtime.OnFailure += _ => FailureStep ??= run.Bridge.Timeline.Count;
            run.Execute();
        }

        /// <summary>The current schedule's timeline, up to its failure if it failed.</summary>
        public List<TimelineEntry>? FailingTimeline() =>
            Current?.Bridge.Timeline.Take(FailureStep ?? int.MaxValue).ToList();

        /// <summary>Accounts the schedule that just ended (whatever way it ended).</summary>
        public void Finish()
        {
            if (Current is null)
            {
                return;
            }

            if (Current.Outcome is { } outcome)
            {
                Outcomes[outcome.Label] = Outcomes.GetValueOrDefault(outcome.Label) + 1;
            }

            foreach (var (device, peak) in Current.Peaks.Peaks)
            {
                var old = Peaks.GetValueOrDefault(device);
                Peaks[device] = (Math.Max(old.Count, peak.Count), Math.Max(old.Bytes, peak.Bytes));
            }

            foreach (var (device, bytes) in Current.Properties.Get<Specifications.DestinationMemoryBounded>().Peaks)
            {
                Allocated[device] = Math.Max(Allocated.GetValueOrDefault(device), bytes);
            }

            foreach (var situation in Current.Situations.Counts.Keys)
            {
                SituationCounts[situation] = SituationCounts.GetValueOrDefault(situation) + 1;
            }

            foreach (var f in Current.FaultsInjected)
            {
                var kind = Scenarios.FaultNames.Of(f.Fault);
                FaultsByKind[kind] = FaultsByKind.GetValueOrDefault(kind) + 1;
                var at = $"{kind} in {f.Function}";
                FaultsByFunction[at] = FaultsByFunction.GetValueOrDefault(at) + 1;
            }

            Current.CollectSites();
            foreach (var site in Current.SitesReached)
            {
                SiteCounts[site] = SiteCounts.GetValueOrDefault(site) + 1;
            }
        }
    }
}

using System.Diagnostics;
using System.Globalization;
using Microsoft.Coyote.Logging;
using Microsoft.Coyote.SystematicTesting;

namespace Multifd.Checker.Exploration;

/// <summary>What an exhaustive search did, and exactly what it proves.</summary>
/// <param name="Complete">True only when every schedule within the bound ran to its end and none violated a property,
/// no schedule was cut by the step bound, no uncontrolled concurrency was seen, and every replay was deterministic.</param>
/// <param name="Schedules">Schedules run.</param>
/// <param name="PreemptionBound">The bound on preemptions per schedule; null: none.</param>
/// <param name="DelayBound">The bound on delays per schedule; null: none.</param>
/// <param name="MaxSchedules">The schedule limit; null: none.</param>
/// <param name="End">How the search ended: exhausted, violation, max-schedules, time-budget, nondeterminism, error.</param>
/// <param name="BeyondPreemptionBound">Alternatives not taken because they exceed the bound (each heads unexplored schedules).</param>
/// <param name="CutByStepBound">Schedules stopped by the step bound (their continuations unexplored).</param>
/// <param name="MaxPreemptions">The most preemptions an explored schedule made.</param>
/// <param name="ViolationPreemptions">The violating schedule's preemptions, or null.</param>
/// <param name="Branchings">Scheduling decisions with more than one enabled operation, over all schedules.</param>
/// <param name="PreemptionPoints">Of those, the ones where the current operation was still enabled (a switch is a preemption).</param>
/// <param name="EstimatedSchedules">Estimate mode: Knuth's estimate of the bounded search's schedules (mean over the probes).</param>
/// <param name="EstimateStandardError">Estimate mode: the standard error of that mean, relative to it.</param>
/// <param name="Claim">The result in one sentence: the proof, or why it is not one.</param>
public sealed record ExhaustiveSummary(
    bool Complete,
    long Schedules,
    int? PreemptionBound,
    int? DelayBound,
    long? MaxSchedules,
    string End,
    long BeyondPreemptionBound,
    long CutByStepBound,
    int MaxPreemptions,
    int MaxDelays,
    int? ViolationPreemptions,
    int? ViolationDelays,
    long Branchings,
    long PreemptionPoints,
    double? EstimatedSchedules,
    double? EstimateStandardError,
    string Claim)
{
    /// <summary>" with at most 2 preemptions and at most 1 delay", or "" for an unbounded search.</summary>
    public static string BoundText(int? preemptionBound, int? delayBound)
    {
        static string Plural(int n, string noun) => n == 1 ? $"1 {noun}" : $"{n} {noun}s";
        var parts = new List<string>();
        if (preemptionBound is { } pb)
        {
            parts.Add($"at most {Plural(pb, "preemption")}");
        }

        if (delayBound is { } db)
        {
            parts.Add($"at most {Plural(db, "delay")}");
        }

        return parts.Count == 0 ? "" : " with " + string.Join(" and ", parts);
    }
}

public static partial class Explorer
{
    /// <summary>
    /// Enumerates the scenario's schedules (within <see cref="ExhaustiveOptions.PreemptionBound"/>) with one Coyote
    /// testing engine whose strategy is a <see cref="ScheduleTree"/>; stops at the first violation, like sampling, with
    /// the failing schedule's trace and timeline for the same bundle.
    /// </summary>
    public static CheckResult RunExhaustive(CheckOptions options, IProgress<ExplorationProgress>? progress = null,
        CancellationToken interrupt = default)
    {
        var search = options.Exhaustive ?? throw new ArgumentException("not an exhaustive search", nameof(options));
        var tree = search.EstimateProbes is { } probes
            ? new ScheduleTree(search.PreemptionBound, search.DelayBound, probes, options.TimeBudgetSeconds, options.MaxSteps, (int)options.Seed)
            : new ScheduleTree(search.PreemptionBound, search.DelayBound, search.MaxSchedules, options.TimeBudgetSeconds, options.MaxSteps);
        var collector = new Collector(options);
        var configuration = Configure(options with { Strategy = "random", Iterations = int.MaxValue, TimeBudgetSeconds = null });
        using var pinned = CorePinning.Enter(CorePinning.CpuFor(0, 1, options.PinWorkers));
        var stopwatch = Stopwatch.StartNew();
        using var engine = TestingEngine.Create(configuration, collector.Iteration);
        engine.SetLogger(new MemoryLogger(VerbosityLevel.Error));
        try
        {
            CoyoteStrategyHook.Install(engine, configuration, tree);
        }
        catch (CoyoteInternalsException e)
        {
            tree.StopAtError(e.Message);
            return new CheckResult
            {
                Options = options,
                InternalError = $"exhaustive mode unavailable: {e.Message}",
                Exhaustive = Summarize(options, tree, null, []),
            };
        }

        var target = (int)Math.Min(int.MaxValue, search.EstimateProbes ?? search.MaxSchedules ?? int.MaxValue);
        engine.RegisterStartIterationCallBack(i => collector.Started = (int)i + 1);
        engine.RegisterEndIterationCallBack(i =>
        {
            ScheduleThreads.JoinAll(collector.Runtime);
            collector.Runtime = null;
            tree.EndSchedule();
            collector.Finish();
            if (interrupt.IsCancellationRequested)
            {
                tree.StopAtInterrupt();
            }

            var bugs = engine.TestReport.NumOfFoundBugs;
            progress?.Report(new ExplorationProgress((int)Math.Min(int.MaxValue, tree.Schedules), target, stopwatch.Elapsed.TotalSeconds, bugs));
        });
        engine.Run();
        stopwatch.Stop();

        var report = engine.TestReport;
        var bug = report.NumOfFoundBugs > 0 ? report.BugReports.First() : null;
        var violation = bug is null ? null : Classify(bug);
        var internalError = violation?.Property == "internal" ? violation.Message : null;
        if (internalError is not null)
        {
            tree.StopAtError(internalError);
        }
        else if (violation is not null)
        {
            tree.StopAtViolation();
        }

        var block = new BlockResult
        {
            Block = new SeedBlock(0, options.Seed, (int)Math.Min(int.MaxValue, tree.Schedules), 0),
            Schedules = (int)Math.Min(int.MaxValue, tree.Schedules),
            ElapsedSeconds = stopwatch.Elapsed.TotalSeconds,
            Decisions = tree.Schedules == 0 ? new DecisionStats(0, 0, 0, 0)
                : new DecisionStats(tree.DecisionsMin, tree.DecisionsTotal, tree.DecisionsMax, tree.Schedules),
            FirstBugIteration = bug is null ? null : collector.Started,
            Violation = internalError is null ? violation : null,
            InternalError = internalError ?? (tree.End == SearchEnd.Nondeterminism ? $"exhaustive search: {tree.Error}" : null),
            Trace = bug is null ? null : engine.ReproducibleTrace,
            Timeline = bug is null ? null : collector.FailingTimeline(),
            Outcomes = collector.Outcomes,
            PeakQueued = collector.Peaks,
            Situations = collector.SituationCounts,
            FaultsByKind = collector.FaultsByKind,
            FaultsByFunction = collector.FaultsByFunction,
            Sites = collector.SiteCounts,
            Uncontrolled = [.. report.UncontrolledInvocations],
        };
        var result = BlockMerge.Merge(options, [block], stopwatch.Elapsed.TotalSeconds);
        return result with
        {
            Exhaustive = Summarize(options, tree, result.Violation, result.Uncontrolled),
            Interrupted = tree.End == SearchEnd.Interrupted,
        };
    }

    /// <summary>
    /// Runs the exhaustive search over any test body (for <see cref="CalibrationModel"/>): the tree it walked and Coyote's
    /// report. Throws <see cref="CoyoteInternalsException"/> when the hook cannot be installed.
    /// </summary>
    public static (ScheduleTree Tree, TestReport Report) ExploreBody(Action body, ExhaustiveOptions search, int maxSteps = 10000)
    {
        var tree = new ScheduleTree(search.PreemptionBound, search.DelayBound, search.MaxSchedules, null, maxSteps);
        var configuration = Microsoft.Coyote.Configuration.Create()
            .WithTestingIterations(int.MaxValue)
            .WithMaxSchedulingSteps((uint)maxSteps)
            .WithPartiallyControlledConcurrencyAllowed(false)
            .WithTelemetryEnabled(false)
            .WithConsoleLoggingEnabled(false)
            .WithTraceAnalysisEnabled(false)
            .WithDeadlockTimeout(DeadlockTimeoutMilliseconds)
            .WithRandomStrategy();
        using var engine = TestingEngine.Create(configuration, body);
        engine.SetLogger(new MemoryLogger(VerbosityLevel.Error));
        CoyoteStrategyHook.Install(engine, configuration, tree);
        engine.RegisterEndIterationCallBack(_ => tree.EndSchedule());
        engine.Run();
        if (engine.TestReport.NumOfFoundBugs > 0)
        {
            tree.StopAtViolation();
        }

        return (tree, engine.TestReport);
    }

    private static ExhaustiveSummary Summarize(CheckOptions options, ScheduleTree tree, Violation? violation, IReadOnlyList<string> uncontrolled)
    {
        var search = options.Exhaustive!;
        var bound = ExhaustiveSummary.BoundText(search.PreemptionBound, search.DelayBound);
        var scope = $"scenario {options.Scenario.Name} (variant {Variants.NameOf(options.Variant)})";
        var count = tree.Schedules.ToString("N0", CultureInfo.InvariantCulture);
        var notProof = new List<string>();
        if (tree.CutByStepBound > 0)
        {
            notProof.Add($"{tree.CutByStepBound} schedules were cut by the step bound of {options.MaxSteps}");
        }

        if (uncontrolled.Count > 0)
        {
            notProof.Add($"Coyote saw concurrency it does not control ({string.Join(", ", uncontrolled)})");
        }

        var estimating = search.EstimateProbes is not null;
        var complete = !estimating && tree.Exhausted && violation is null && notProof.Count == 0;
        double? estimate = null, error = null;
        if (estimating && tree.ProbeEstimates.Count > 0)
        {
            var values = tree.ProbeEstimates;
            var mean = values.Average();
            var variance = values.Count > 1 ? values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1) : 0;
            estimate = mean;
            error = mean > 0 ? Math.Sqrt(variance / values.Count) / mean : 0;
        }

        string claim;
        if (violation is not null)
        {
            claim = $"schedule {count}{bound} of {scope} violates {violation.Property} {violation.Name} "
                + $"(it makes {tree.Preemptions} preemptions and {tree.Delays} delays); the search stopped there";
        }
        else if (estimating)
        {
            claim = estimate is { } e
                ? $"about {e.ToString("G3", CultureInfo.InvariantCulture)} schedules{bound} of {scope} (Knuth's estimate from "
                    + $"{tree.ProbeEstimates.Count} random probes, standard error {error!.Value.ToString("P0", CultureInfo.InvariantCulture)}); "
                    + "no search was run, this is NOT a proof"
                : $"no probe of {scope} completed; no search was run, this is NOT a proof";
        }
        else if (complete)
        {
            claim = $"all {count} {(tree.Schedules == 1 ? "schedule" : "schedules")}{bound} of {scope}: no violation";
        }
        else
        {
            var why = tree.End switch
            {
                SearchEnd.MaxSchedules => $"stopped at --max-schedules {search.MaxSchedules} with schedules left",
                SearchEnd.Interrupted => "stopped by an interrupt with schedules left",
                SearchEnd.TimeBudget => $"stopped at the time budget of {options.TimeBudgetSeconds} s with schedules left",
                SearchEnd.Nondeterminism => $"stopped: a replayed schedule did not repeat itself ({tree.Error})",
                SearchEnd.Error => $"stopped: {tree.Error}",
                SearchEnd.Exhausted => "ran every schedule",
                _ => "stopped",
            };
            notProof.Insert(0, why);
            claim = $"{count} schedules{bound} of {scope} without a violation, but NOT a proof: {string.Join("; ", notProof)}";
        }

        return new ExhaustiveSummary(
            Complete: complete,
            Schedules: tree.Schedules,
            PreemptionBound: search.PreemptionBound,
            DelayBound: search.DelayBound,
            MaxSchedules: search.MaxSchedules,
            End: Variants.Kebab((tree.End ?? SearchEnd.Error).ToString()),
            BeyondPreemptionBound: tree.BeyondBound,
            CutByStepBound: tree.CutByStepBound,
            MaxPreemptions: tree.MaxPreemptions,
            MaxDelays: tree.MaxDelays,
            ViolationPreemptions: violation is null ? null : tree.Preemptions,
            ViolationDelays: violation is null ? null : tree.Delays,
            Branchings: tree.Branchings,
            PreemptionPoints: tree.PreemptionPoints,
            EstimatedSchedules: estimate,
            EstimateStandardError: error,
            Claim: claim);
    }
}

using System.Text.Json;
using System.Text.Json.Nodes;
using Multifd.Checker;
using Multifd.Checker.Exploration;
using Multifd.Cli.Bundles;
using Multifd.Cli.Rendering;

namespace Multifd.Cli.Reports;

/// <summary>Turns what the explorer found into the report's fields, and writes report files.</summary>
public static class ReportBuilder
{
    /// <summary>The violation as reported: a hang is explained from the timeline in QEMU's terms.</summary>
    public static ViolationReport? ViolationOf(CheckResult result)
    {
        if (result.Violation is not { } v)
        {
            return null;
        }

        if (v.Property == "P10" && result.Timeline is { Count: > 0 } timeline)
        {
            var events = timeline.Select(EventRecord.From).ToList();
            return new ViolationReport(v.Property, v.Name, HangExplanation.Explain(events), v.Message);
        }

        return new ViolationReport(v.Property, v.Name, v.Message);
    }

    /// <param name="interruption">The signals of the run: a result it stopped early is "interrupted" (unless it found a bug).</param>
    public static ScenarioReport For(CheckResult result, string? scenarioFile, string? bundle, Interruption? interruption = null)
    {
        var options = result.Options;
        var violation = ViolationOf(result);
        var interrupted = result.Interrupted && interruption is not null;
        var verdict = result.InternalError is not null ? "error" : violation is not null ? "bug" : interrupted ? "interrupted" : "pass";
        var exitCode = verdict switch
        {
            "error" => ExitCodes.Internal,
            "bug" => ExitCodes.Bug,
            "interrupted" => interruption!.ExitCode,
            _ => result.MissedSituations.Count > 0 || result.MissedSites.Count > 0 ? ExitCodes.BadInput : ExitCodes.Pass,
        };
        return new ScenarioReport
        {
            Verdict = verdict,
            ExitCode = exitCode,
            Scenario = options.Scenario.Name,
            ScenarioFile = scenarioFile,
            Variant = Variants.NameOf(options.Variant),
            Strategy = options.ReplayTrace is not null ? "replay" : result.Exhaustive is not null ? "exhaustive" : options.Strategy,
            Seed = options.Seed,
            InterruptedBy = interrupted ? interruption!.SignalName : null,
            Iterations = result.SchedulesExplored,
            ElapsedSeconds = Math.Round(result.ElapsedSeconds, 3),
            SchedulesPerSecond = Math.Round(result.SchedulesPerSecond, 2),
            FirstBugIteration = result.FirstBugIteration,
            FirstBugSeed = result.FirstBugSeed,
            Spread = new SpreadReport(options.Parallel, options.Shard.IsWhole ? null : options.Shard.ToString(),
                options.SchedulesPerSeed, result.SeedBlocks.Count, Explorer.UsesWorkerProcesses(options) ? "processes" : "threads"),
            Violations = violation is null ? [] : [violation],
            Bundle = bundle,
            DecisionsPerSchedule = new DecisionsReport(result.Decisions.Min, Math.Round(result.Decisions.Avg, 1), result.Decisions.Max),
            Outcomes = new SortedDictionary<string, int>(result.Outcomes.ToDictionary()),
            PeakQueued = new SortedDictionary<string, QueuePeakReport>(
                result.PeakQueued.ToDictionary(kv => kv.Key, kv => new QueuePeakReport(kv.Value.Count, kv.Value.Bytes))),
            PeakAllocatedBytes = new SortedDictionary<string, ulong>(result.PeakAllocated.ToDictionary()),
            Situations = new SortedDictionary<string, int>(result.Situations.ToDictionary()),
            MustReach = options.Scenario.MustReach,
            UnmergedKnobs = Checker.Scenarios.UnmergedKnobs.Of(options.Scenario),
            MissedSituations = interrupted ? [] : result.MissedSituations,
            MissedSites = interrupted ? [] : result.MissedSites,
            FaultsInjected = new FaultsReport(new SortedDictionary<string, int>(result.FaultsByKind.ToDictionary()),
                new SortedDictionary<string, int>(result.FaultsByFunction.ToDictionary())),
            ErrorPathSites = SitesReport.Of(result.Sites),
            Uncontrolled = result.Uncontrolled,
            InternalError = result.InternalError,
            Bounds = new BoundsReport(options.Iterations >= Commands.CheckCommand.UnboundedIterations ? null : options.Iterations,
                options.TimeBudgetSeconds, options.MaxSteps, options.LivenessTemperatureThreshold),
            Exhaustive = result.Exhaustive is { } e
                ? new ExhaustiveReport(e.Complete, e.Schedules, e.PreemptionBound, e.DelayBound, e.MaxSchedules, e.End,
                    new PrunedReport(e.BeyondPreemptionBound, e.CutByStepBound), e.MaxPreemptions, e.MaxDelays, e.ViolationPreemptions,
                    e.ViolationDelays, Choices(e), "none",
                    e.EstimatedSchedules is { } est ? new EstimateReport(Math.Round(est), Math.Round(e.EstimateStandardError ?? 0, 3), e.Schedules) : null,
                    e.Claim)
                : null,
        };
    }

    private static ChoicesReport Choices(ExhaustiveSummary e)
    {
        double PerSchedule(long n) => e.Schedules > 0 ? Math.Round((double)n / e.Schedules, 1) : 0;
        return new ChoicesReport(PerSchedule(e.Branchings), PerSchedule(e.PreemptionPoints), PerSchedule(e.Branchings - e.PreemptionPoints));
    }

    /// <summary>The fields of several scenario checks together (one scenario: its own fields).</summary>
    public static ScenarioReport Combine(IReadOnlyList<ScenarioReport> reports)
    {
        if (reports.Count == 1)
        {
            return reports[0];
        }

        static string Join(IEnumerable<string> values) => string.Join(",", values.Distinct());
        var elapsed = reports.Sum(r => r.ElapsedSeconds);
        var schedules = reports.Sum(r => r.Iterations);
        var firstBug = reports.FirstOrDefault(r => r.Verdict == "bug");
        var decisions = reports.Select(r => r.DecisionsPerSchedule).OfType<DecisionsReport>().ToList();
        return new ScenarioReport
        {
            Verdict = reports.Any(r => r.Verdict == "error") ? "error" : firstBug is not null ? "bug"
                : reports.Any(r => r.Verdict == "interrupted") ? "interrupted" : "pass",
            InterruptedBy = reports.Select(r => r.InterruptedBy).FirstOrDefault(i => i is not null),
            ExitCode = reports.Select(r => r.ExitCode).Aggregate(ExitCodes.Pass, ExitCodes.Worst),
            Scenario = Join(reports.Select(r => r.Scenario)),
            Variant = Join(reports.Select(r => r.Variant)),
            Strategy = Join(reports.Select(r => r.Strategy)),
            Seed = reports[0].Seed,
            Iterations = schedules,
            ElapsedSeconds = Math.Round(elapsed, 3),
            SchedulesPerSecond = elapsed > 0 ? Math.Round(schedules / elapsed, 2) : 0,
            FirstBugIteration = firstBug?.FirstBugIteration,
            FirstBugSeed = firstBug?.FirstBugSeed,
            Spread = reports[0].Spread is { } spread
                ? spread with { SeedBlocks = reports.Sum(r => r.Spread?.SeedBlocks ?? 0) }
                : null,
            Violations = [.. reports.SelectMany(r => r.Violations.Select(v => v with { Scenario = r.Scenario }))],
            Bundle = reports.Select(r => r.Bundle).FirstOrDefault(b => b is not null),
            DecisionsPerSchedule = decisions.Count == 0 ? null : new DecisionsReport(
                decisions.Min(d => d.Min),
                Math.Round(reports.Where(r => r.DecisionsPerSchedule is not null)
                    .Sum(r => r.DecisionsPerSchedule!.Avg * r.Iterations) / Math.Max(1, schedules), 1),
                decisions.Max(d => d.Max)),
            Outcomes = Sum(reports.Select(r => r.Outcomes)),
            PeakQueued = new SortedDictionary<string, QueuePeakReport>(reports.SelectMany(r => r.PeakQueued)
                .GroupBy(kv => kv.Key)
                .ToDictionary(g => g.Key, g => new QueuePeakReport(g.Max(kv => kv.Value.Count), g.Max(kv => kv.Value.Bytes)))),
            PeakAllocatedBytes = new SortedDictionary<string, ulong>(reports.SelectMany(r => r.PeakAllocatedBytes)
                .GroupBy(kv => kv.Key).ToDictionary(g => g.Key, g => g.Max(kv => kv.Value))),
            Situations = Sum(reports.Select(r => r.Situations)),
            MustReach = [.. reports.SelectMany(r => r.MustReach.Select(s => $"{r.Scenario}: {s}"))],
            UnmergedKnobs = [.. reports.SelectMany(r => r.UnmergedKnobs.Select(k => $"{r.Scenario}: {k}"))],
            MissedSituations = [.. reports.SelectMany(r => r.MissedSituations.Select(s => $"{r.Scenario}: {s}"))],
            Uncontrolled = [.. reports.SelectMany(r => r.Uncontrolled).Distinct()],
            InternalError = reports.Select(r => r.InternalError).FirstOrDefault(e => e is not null),
            Bounds = reports[0].Bounds,
        };
    }

    /// <summary>The report file's JSON: the combined fields, then every scenario's own, the tools and the commit.</summary>
    public static JsonObject Document(IReadOnlyList<ScenarioReport> reports, string? repositoryRoot)
    {
        var document = (JsonObject)JsonSerializer.SerializeToNode(Combine(reports), ScenarioReport.Json)!;
        document["scenarios"] = JsonSerializer.SerializeToNode(reports, ScenarioReport.Json);
        document["tools"] = JsonSerializer.SerializeToNode(ToolInfo.Versions(), ScenarioReport.Json);
        document["gitCommit"] = ToolInfo.GitCommit(repositoryRoot ?? Directory.GetCurrentDirectory());
        return document;
    }

    public static string ToJson(JsonObject document) => document.ToJsonString(ScenarioReport.Json) + "\n";

    private static SortedDictionary<string, int> Sum(IEnumerable<IReadOnlyDictionary<string, int>> counts)
    {
        var sum = new SortedDictionary<string, int>();
        foreach (var (key, value) in counts.SelectMany(c => c))
        {
            sum[key] = sum.GetValueOrDefault(key) + value;
        }

        return sum;
    }
}

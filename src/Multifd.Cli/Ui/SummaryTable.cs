using System.Globalization;
using Multifd.Cli.Reports;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Multifd.Cli.Ui;

/// <summary>The end-of-check summary of one scenario: a two-column table.</summary>
public static class SummaryTable
{
    public static void Write(IAnsiConsole console, ScenarioReport r)
    {
        var table = new Table().Border(console.Profile.Capabilities.Unicode ? TableBorder.Rounded : TableBorder.Ascii)
            .Title(new TableTitle($"{r.Scenario} ({r.Variant})"))
            .AddColumn("") .AddColumn("");
        table.ShowHeaders = false;
        table.Columns[0].NoWrap();

        Row(table, "verdict", Verdict(r));
        if (r.UnmergedKnobs.Count > 0)
        {
            Row(table, "unmerged knobs", Join(r.UnmergedKnobs));
        }

        var asked = r.Bounds.Iterations is { } n ? $"{n}" : "unbounded";
        var budget = r.Bounds.TimeBudgetSeconds is { } b ? $", budget {b} s" : "";
        var spread = r.Spread is { } s && (s.Parallel > 1 || s.Shard is not null)
            ? $", {s.SeedBlocks} seed blocks" + (s.Parallel > 1 ? $", {s.Parallel} in parallel" : "") + (s.Shard is { } k ? $", shard {k}" : "")
            : "";
        if (r.Exhaustive is { } e)
        {
            var bound = Multifd.Checker.Exploration.ExhaustiveSummary.BoundText(e.PreemptionBound, e.DelayBound).Trim();
            var limit = e.MaxSchedules is { } m ? $", limit {m}" : "";
            var mode = e.Estimate is not null ? "random probes estimating the exhaustive search" : "exhaustive";
            Row(table, "schedules", $"{r.Iterations} ({mode}{(bound.Length > 0 ? ", " + bound : ", unbounded")}{limit}, max {r.Bounds.MaxSteps} steps{budget}), "
                + Invariant($"{r.SchedulesPerSecond:F1}/s"));
            Row(table, "exhaustive", (e.Complete ? "PROOF: " : "") + e.Claim);
        }
        else
        {
            Row(table, "schedules", $"{r.Iterations} of {asked} ({r.Strategy}, seed {r.Seed}, max {r.Bounds.MaxSteps} steps{budget}{spread}), "
                + Invariant($"{r.SchedulesPerSecond:F1}/s"));
        }
        if (r.DecisionsPerSchedule is { } d)
        {
            Row(table, "decisions/schedule", Invariant($"min {d.Min}, avg {d.Avg:F1}, max {d.Max}"));
        }

        Row(table, "outcomes", r.Outcomes.Count == 0 ? "none completed" : Join(r.Outcomes.Select(kv => $"{kv.Key} {kv.Value}")));
        Row(table, "peak queued", r.PeakQueued.Count == 0 ? "no buffer queued"
            : Join(r.PeakQueued.Select(kv => $"{kv.Key} {kv.Value.Count} buffers / {kv.Value.Bytes} bytes")));
        if (r.PeakAllocatedBytes.Count > 0)
        {
            Row(table, "peak allocated", Join(r.PeakAllocatedBytes.Select(kv => $"{kv.Key} {kv.Value} bytes")));
        }

        Row(table, "situations reached", r.Situations.Count == 0 ? "none" : Join(r.Situations.Select(kv => $"{kv.Key} {kv.Value}")));
        var missed = r.MissedSituations.Count > 0 ? Join(r.MissedSituations) + " (must reach)" : "none of the must-reach";
        var notReached = Commands.ListCommand.SituationNames().Where(s => !r.Situations.ContainsKey(s) && !r.MissedSituations.Contains(s)).ToList();
        Row(table, "situations missed", notReached.Count == 0 ? missed : $"{missed}; not reached: {Join(notReached)}");
        if (r.FaultsInjected.ByKind.Count > 0)
        {
            Row(table, "faults injected", Join(r.FaultsInjected.ByFunction.Select(kv => $"{kv.Key} {kv.Value}")));
        }

        var sites = r.ErrorPathSites;
        Row(table, "error-path sites", $"{sites.Reached.Count} of {sites.Reached.Count + sites.NotReached.Count} reached"
            + (r.MissedSites.Count > 0 ? $"; required but not reached: {Join(r.MissedSites)}" : ""));
        foreach (var v in r.Violations)
        {
            Row(table, "violation", $"{v.Property} {v.Name}: {v.Message}");
            Row(table, "first bug at", $"schedule {r.FirstBugIteration}" + (r.FirstBugSeed is { } fs && fs != r.Seed ? $" (seed block seed {fs})" : ""));
        }

        if (r.InternalError is { } error)
        {
            Row(table, "internal error", error);
        }

        if (r.Uncontrolled.Count > 0)
        {
            Row(table, "uncontrolled calls", Join(r.Uncontrolled));
        }

        Row(table, "elapsed", Invariant($"{r.ElapsedSeconds:F1} s"));
        console.Write(table);
    }

    private static string Verdict(ScenarioReport r) => r.Verdict switch
    {
        "bug" => $"BUG: {string.Join("; ", r.Violations.Select(v => v.Property + " " + v.Name))}",
        "error" => "ERROR: the checker failed",
        "interrupted" => $"INTERRUPTED by {r.InterruptedBy}: no violation in the schedules explored before it",
        _ when r.MissedSituations.Count > 0 => "INCONCLUSIVE: passed, but missed must-reach situations",
        _ when r.MissedSites.Count > 0 => "INCONCLUSIVE: passed, but left error-path sites untaken (--require-sites)",
        _ => "pass",
    };

    private static void Row(Table table, string key, string value) =>
        table.AddRow(new IRenderable[] { new Text(key), new Text(value) });

    private static string Join(IEnumerable<string> items) => string.Join(", ", items);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

using Multifd.Checker.Scenarios;

namespace Multifd.Checker.Exploration;

/// <summary>Holds an exploration's result to its manifest entry.</summary>
public static class Expectations
{
    /// <summary>The options to explore an entry with: its scenario's, under the entry's variant.</summary>
    public static CheckOptions OptionsFor(ManifestEntry entry, Scenario scenario) => CheckOptions.For(scenario, entry.Variant);

    /// <summary>What in the result contradicts the entry; empty when the entry holds.</summary>
    public static IReadOnlyList<string> Judge(ManifestEntry entry, CheckResult result)
    {
        var problems = new List<string>();
        var explored = $"{result.SchedulesExplored} schedules";
        if (result.InternalError is { } internalError)
        {
            problems.Add($"internal error: {internalError}");
        }

        if (result.Uncontrolled.Count > 0)
        {
            problems.Add($"calls Coyote does not control: {string.Join(", ", result.Uncontrolled)}");
        }

        if (!entry.ExpectsPass)
        {
            if (result.Violation is null)
            {
                problems.Add($"expected {entry.ExpectedProperties()} to be violated, but {explored} violated nothing");
            }
            else if (!entry.Accepts(result.Violation.Property))
            {
                problems.Add($"expected {entry.ExpectedProperties()} to be violated, but {result.Violation.Property} {result.Violation.Name} was " +
                             $"(schedule {result.FirstBugIteration}): {result.Violation.Message}");
            }

            return problems;
        }

        if (result.Violation is { } v)
        {
            problems.Add($"expected a pass, but schedule {result.FirstBugIteration} violated {v.Property} {v.Name}: {v.Message}");
        }

        if (result.MissedSites.Count > 0)
        {
            problems.Add($"{explored} never took error-path sites {string.Join(", ", result.MissedSites)} (--require-sites)");
        }

        if (result.MissedSituations.Count > 0)
        {
            problems.Add($"{explored} never reached {string.Join(", ", result.MissedSituations)} (mustReach)");
        }

        var failures = result.Outcomes.Where(o => o.Key != "success").ToList();
        var summary = string.Join(", ", result.Outcomes.Select(o => $"{o.Key} {o.Value}"));
        switch (entry.CleanFailures)
        {
            case CleanFailures.Never when failures.Count > 0:
                problems.Add($"expected every schedule to succeed, got {summary}");
                break;
            case CleanFailures.Required when failures.Count == 0:
                problems.Add($"expected some schedule to fail cleanly, got {summary}");
                break;
        }

        if (entry.FailureKinds is { } kinds)
        {
            var unexpected = failures.Where(f => !kinds.Contains(f.Key["failed:".Length..])).Select(f => f.Key).ToList();
            if (unexpected.Count > 0)
            {
                problems.Add($"failures other than {string.Join(", ", kinds)}: {string.Join(", ", unexpected)}");
            }
        }

        return problems;
    }
}

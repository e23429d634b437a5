using Multifd.Checker;
using Multifd.Checker.Exploration;
using Multifd.Cli.Reports;

namespace Multifd.Cli.Bundles;

/// <summary>How a replay compared with its bundle.</summary>
/// <param name="Reproduced">The same property failed with the same message after the same sequence of events.</param>
/// <param name="Divergence">Where and how the replay differed (null when reproduced).</param>
public sealed record ReplayOutcome(bool Reproduced, string? Divergence, EventLog? Actual, CheckResult Result);

/// <summary>
/// Re-runs a bundle's Coyote trace with its scenario and variant, and compares the failure and the event sequence
/// with what the bundle recorded.
/// </summary>
public static class Replayer
{
    public static CheckOptions OptionsFor(LoadedBundle bundle) => CheckOptions.For(bundle.Scenario) with
    {
        ReplayTrace = bundle.Trace,
        Iterations = 1,
        LivenessTemperatureThreshold = bundle.LivenessTemperatureThreshold,
    };

    public static ReplayOutcome Replay(LoadedBundle bundle)
    {
        var result = Explorer.Run(OptionsFor(bundle));
        if (result.InternalError is { } internalError)
        {
            throw new UsageException(
                $"{bundle.Directory}: the trace does not replay on this model: {Program.OneLine(internalError)}");
        }

        var violation = ReportBuilder.ViolationOf(result);
        var actual = result.Timeline is null
            ? null
            : EventLog.From(violation?.Property ?? "none", violation?.Name ?? "", violation?.Message ?? "", result.Timeline);
        var divergence = Compare(bundle.Events, actual);
        if (divergence is not null)
        {
            divergence += violation is null
                ? "; the replay ended with no violation (Coyote could not follow the trace to the failure)"
                : $"; the replay ended with {violation.Property} {violation.Name}: {violation.Message}";
        }

        return new ReplayOutcome(divergence is null, divergence, actual, result);
    }

    /// <summary>The first difference between the recorded and the replayed failure, or null if they are the same.</summary>
    public static string? Compare(EventLog expected, EventLog? actual)
    {
        if (actual is null)
        {
            return $"the replay recorded no events (Coyote could not follow the trace); expected {expected.Events.Count} events ending in {expected.Failure}";
        }

        var common = Math.Min(expected.Events.Count, actual.Events.Count);
        for (var i = 0; i < common; i++)
        {
            if (expected.Events[i].Identity != actual.Events[i].Identity)
            {
                return $"diverged at step {expected.Events[i].Step}: expected {expected.Events[i].Identity}, got {actual.Events[i].Identity}";
            }
        }

        if (expected.Events.Count > common)
        {
            return $"diverged at step {expected.Events[common].Step}: expected {expected.Events[common].Identity}, "
                + $"but the replay ended after {actual.Events.Count} events with {actual.Failure}";
        }

        if (actual.Events.Count > common)
        {
            return $"diverged at step {actual.Events[common].Step}: the bundle ended after {expected.Events.Count} events, "
                + $"but the replay went on with {actual.Events[common].Identity}";
        }

        if (expected.Property != actual.Property || expected.Message != actual.Message)
        {
            return $"same {common} events, different failure: expected {expected.Failure}, got {actual.Failure}";
        }

        return null;
    }
}

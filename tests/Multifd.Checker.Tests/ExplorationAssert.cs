using Multifd.Checker.Exploration;

namespace Multifd.Checker.Tests;

/// <summary>Two explorations explored the same schedules: the counts no timing can change.</summary>
internal static class ExplorationAssert
{
    public static void SameSchedules(CheckResult expected, CheckResult actual)
    {
        Assert.Equal(expected.SchedulesExplored, actual.SchedulesExplored);
        Assert.Equal(expected.Decisions, actual.Decisions);
        Assert.Equal(expected.Outcomes.OrderBy(kv => kv.Key), actual.Outcomes.OrderBy(kv => kv.Key));
        Assert.Equal(expected.Situations.OrderBy(kv => kv.Key), actual.Situations.OrderBy(kv => kv.Key));
        Assert.Equal(expected.PeakQueued.OrderBy(kv => kv.Key), actual.PeakQueued.OrderBy(kv => kv.Key));
    }
}

using Multifd.Checker.Exploration;
using Multifd.Checker.Scenarios;

namespace Multifd.Checker.Tests;

/// <summary>
/// The exhaustive mode (`check --exhaustive`): the Coyote hook enumerates every schedule of a model whose outcomes are
/// known, once each; bounds shrink the search; a model that does not replay deterministically is refused; the small
/// scopes of models/ are proved; and a planted bug in a small scope is found, with a bundle that replays.
/// </summary>
public class ExhaustiveTests
{
    /// <summary>C(4, 2) = 6 interleavings of two threads' two critical sections, each with both booleans.</summary>
    private const int CalibrationOutcomes = 12;

    [Fact]
    public void UnboundedSearchReachesEveryOutcomeOfTheCalibrationModelAndEndsComplete()
    {
        var model = new CalibrationModel(sections: 2);
        var (tree, report) = Explorer.ExploreBody(model.Run, new ExhaustiveOptions(null, null));

        Assert.Equal(SearchEnd.Exhausted, tree.End);
        Assert.Null(tree.Error);
        Assert.Equal(0, report.NumOfFoundBugs);
        Assert.Empty(report.UncontrolledInvocations);
        Assert.Equal(0, tree.CutByStepBound);
        Assert.Equal(tree.Schedules, model.Runs);
        Assert.Equal(CalibrationOutcomes, model.Outcomes.Count);
        Assert.All(model.Outcomes, o => Assert.Matches("^[ab]{4}[+-]$", o));
        // Every schedule is a distinct path of the decision tree: at least as many schedules as outcomes, and Coyote
        // counted each as one explored path.
        Assert.True(tree.Schedules >= CalibrationOutcomes, $"{tree.Schedules} schedules");
        Assert.Equal(tree.Schedules, report.NumOfExploredUnfairPaths);
    }

    [Fact]
    public void BoundsKeepOnlyTheSchedulesWithinThemAndNeverLoseTheRandomChoices()
    {
        ScheduleTree Search(int? preemptions, int? delays, out CalibrationModel model)
        {
            model = new CalibrationModel(sections: 2);
            var (tree, _) = Explorer.ExploreBody(model.Run, new ExhaustiveOptions(preemptions, null, delays));
            Assert.Equal(SearchEnd.Exhausted, tree.End);
            return tree;
        }

        var none = Search(null, null, out var all);
        var delay0 = Search(null, 0, out var roundRobin);
        var preempt0 = Search(0, null, out var nonPreemptive);
        var preempt1 = Search(1, null, out var onePreemption);

        // Delay bound 0 is the round-robin scheduler alone: one interleaving, both booleans.
        Assert.Equal(2, delay0.Schedules);
        Assert.Equal(2, roundRobin.Outcomes.Count);
        Assert.Equal(0, delay0.MaxDelays);
        Assert.True(delay0.BeyondBound > 0);

        Assert.True(preempt0.Schedules < preempt1.Schedules && preempt1.Schedules < none.Schedules,
            $"preemption bound 0: {preempt0.Schedules}, 1: {preempt1.Schedules}, none: {none.Schedules}");
        Assert.Equal(0, preempt0.MaxPreemptions);
        Assert.Equal(1, preempt1.MaxPreemptions);
        // Without preemptions a thread runs until it blocks or ends: the main thread ('a') goes on after starting 'b' and
        // hands over only when it waits in Join, so 'b' runs all its sections after 'a'.
        Assert.Equal(["aabb+", "aabb-"], nonPreemptive.Outcomes.Order(StringComparer.Ordinal));
        Assert.Subset(all.Outcomes.ToHashSet(), onePreemption.Outcomes.ToHashSet());
        Assert.Equal(CalibrationOutcomes, all.Outcomes.Count);
    }

    [Fact]
    public void MaxSchedulesStopsTheSearchWithoutAClaim()
    {
        var options = CheckOptions.For(ModelsFolder.LoadScenario("small-1x2x1")) with
        {
            Exhaustive = new ExhaustiveOptions(null, MaxSchedules: 3),
        };
        var result = Explorer.Run(options);

        var summary = result.Exhaustive!;
        Assert.False(summary.Complete);
        Assert.Equal(3, summary.Schedules);
        Assert.Equal("max-schedules", summary.End);
        Assert.Contains("NOT a proof", summary.Claim);
        Assert.Contains("--max-schedules 3", summary.Claim);
    }

    [Fact]
    public void AModelThatDoesNotReplayItselfIsRefused()
    {
        var runs = 0;
        // From the second schedule on, each thread takes the lock twice instead of once: the replayed prefix finds a
        // thread still running where the first schedule saw it end.
        void Body() => new CalibrationModel(sections: Interlocked.Increment(ref runs) > 1 ? 2 : 1).Run();

        var (tree, _) = Explorer.ExploreBody(Body, new ExhaustiveOptions(null, null));

        Assert.Equal(SearchEnd.Nondeterminism, tree.End);
        Assert.Contains("replay", tree.Error);
    }

    [Theory]
    [InlineData("small-1x2x1")]
    [InlineData("small-1x2x2")]
    public void SmallScopeIsProvedWithAtMostOneDelay(string scenario)
    {
        var options = CheckOptions.For(ModelsFolder.LoadScenario(scenario)) with
        {
            Exhaustive = new ExhaustiveOptions(null, null, DelayBound: 1),
        };
        var result = Explorer.Run(options);

        var summary = result.Exhaustive!;
        Assert.True(summary.Complete, summary.Claim + result.InternalError);
        Assert.Null(result.Violation);
        Assert.Empty(result.Uncontrolled);
        Assert.Equal(0, summary.CutByStepBound);
        Assert.Equal(1, summary.MaxDelays);
        Assert.Equal(result.SchedulesExplored, summary.Schedules);
        Assert.Equal(summary.Schedules, result.Outcomes.GetValueOrDefault("success"));
        Assert.Equal($"all {summary.Schedules:N0} schedules with at most 1 delay of scenario {scenario} (variant correct): no violation",
            summary.Claim);
    }

    /// <summary>
    /// A small scope with one fault (faultPoints io): the fault's placement is a controlled choice, so the exhaustive
    /// search enumerates every placement; with no delay there is one schedule per injection point (4 reads of data_fd:
    /// 2 buffers, the end of data, the config; 1 config load for the load thread), and every schedule fails cleanly.
    /// </summary>
    [Theory]
    [InlineData("small-1x2x1-device-read-error", 4)]
    [InlineData("small-1x2x1-load-thread-failure", 1)]
    public void SmallScopeWithOneFaultIsProvedForEveryFaultPoint(string scenario, int faultPoints)
    {
        var options = CheckOptions.For(ModelsFolder.LoadScenario(scenario));
        var placements = Explorer.Run(options with { Exhaustive = new ExhaustiveOptions(null, null, DelayBound: 0) });
        Assert.True(placements.Exhaustive!.Complete, placements.Exhaustive.Claim);
        Assert.Equal(faultPoints, placements.SchedulesExplored);

        var result = Explorer.Run(options with { Exhaustive = new ExhaustiveOptions(null, null, DelayBound: 1) });
        var summary = result.Exhaustive!;
        Assert.True(summary.Complete, summary.Claim + result.InternalError);
        Assert.Null(result.Violation);
        Assert.Equal(0, summary.CutByStepBound);
        Assert.True(summary.Schedules > placements.SchedulesExplored);
        Assert.Equal(summary.Schedules, result.Outcomes.GetValueOrDefault("failed:device"));
        Assert.Equal(summary.Schedules, result.FaultsByKind.Values.Sum());
    }
}

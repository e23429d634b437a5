using Microsoft.Coyote.SystematicTesting;
using Multifd.Checker.Exploration;
using Multifd.Checker.Scenarios;
using Multifd.Engine.Core;
using Multifd.Simulation;
using Xunit.Abstractions;

namespace Multifd.Checker.Tests;

/// <summary>
/// A QEMU thread started on a pooled OS thread (CoyoteThreadLauncher) makes exactly the decisions of Coyote's start of a
/// task on a new OS thread, and its join those of Coyote's wait on the task: an exploration is the same either way.
/// Alone: the test swaps the process-wide launcher and counts what went through it.
/// </summary>
[Collection(AloneCollection.Name)]
public class CoyoteThreadLauncherTests(ITestOutputHelper output)
{
    [Fact]
    public void TheLauncherFindsCoyotesInternals()
    {
        Assert.Null(CoyoteThreadLauncher.Start(() => { })); // outside a test: the engine starts a task
        // Coyote 1.7.11's CreateControlledOperation, OnStarted, the runtime's thread maps and the like: a Coyote upgrade
        // that moves them fails here instead of silently falling back to a new OS thread per QEMU thread
        Assert.True(CoyoteThreadLauncher.Supported);
    }

    [Theory]
    [InlineData("gap-recv-failure-after-eof-check", null)] // a hang (P10): Coyote finds every thread paused
    [InlineData("default", null)]
    [InlineData("four-devices-four-channels", null)] // more threads
    [InlineData("fault-anywhere-device-write", null)] // failed migrations: threads that end early, error paths
    [InlineData("tight-byte-limit", null)] // the merged size limit: a violation (P10) after a few schedules
    [InlineData("default", "cleanup-without-bql")] // a violation (P7): the first failing schedule is the same
    [InlineData("default", "load-thread-at-setup")] // a violation found by a thread started early
    public void PooledThreadsExploreWhatCoyotesThreadsExplore(string scenario, string? variant)
    {
        var options = CheckOptions.For(ModelsFolder.LoadScenario(scenario), variant) with { Iterations = 40, SchedulesPerSeed = 10 };
        CoyoteHints.Install(); // the harness's hooks, as MigrationRun installs them

        var (startedBefore, createdBefore) = (CoyoteThreadLauncher.Started, CoyoteThreadLauncher.ThreadsCreated);
        var pooled = Explorer.Run(options);
        var (started, created) = (CoyoteThreadLauncher.Started - startedBefore, CoyoteThreadLauncher.ThreadsCreated - createdBefore);

        CheckResult coyote;
        long startedDuringCoyote;
        SchedulerHints.InstallThreadLauncher(_ => null); // every QEMU thread a task on a new OS thread, as Coyote starts it
        try
        {
            startedBefore = CoyoteThreadLauncher.Started;
            coyote = Explorer.Run(options);
            startedDuringCoyote = CoyoteThreadLauncher.Started - startedBefore;
        }
        finally
        {
            CoyoteHints.Install();
        }

        output.WriteLine($"{scenario}/{variant}: pooled {pooled.ElapsedSeconds:F2}s, {started} QEMU threads on {created} new OS threads; " +
            $"Coyote's threads {coyote.ElapsedSeconds:F2}s; {pooled.SchedulesExplored} schedules, decisions avg {pooled.Decisions.Avg:F1}, " +
            $"violation {pooled.Violation?.Property}");
        Assert.True(started >= 2 * pooled.SchedulesExplored, $"{started} QEMU threads through the launcher in {pooled.SchedulesExplored} schedules");
        // The pool grows to one schedule's threads at most (fewer when earlier tests filled it), whatever the schedules.
        var perSchedule = (started + pooled.SchedulesExplored - 1) / pooled.SchedulesExplored;
        Assert.True(created <= 2 * perSchedule, $"{created} OS threads created for {started} QEMU threads in {pooled.SchedulesExplored} schedules: the pool is not reused");
        Assert.Equal(0, startedDuringCoyote);
        ExplorationAssert.SameSchedules(coyote, pooled);
        Assert.Equal(coyote.Violation, pooled.Violation);
        Assert.Equal(coyote.FirstBugIteration, pooled.FirstBugIteration);
        Assert.Equal(coyote.Trace, pooled.Trace); // Coyote's trace: every decision and its type (Create, Pause, ...)
        Assert.Equal(coyote.Sites.OrderBy(kv => kv.Key), pooled.Sites.OrderBy(kv => kv.Key));
        Assert.Empty(pooled.Uncontrolled);
        Assert.Null(pooled.InternalError);
        Assert.Null(coyote.InternalError);
    }

    /// <summary>
    /// What ends a thread's body reaches the thread that joins it as a task wait delivers it (an AggregateException),
    /// and the thread's operation still completes (the schedule goes on); the pooled thread then serves the next schedule.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)] // the same test on Coyote's own threads: what the launcher must match
    public void AnExceptionOfTheBodyReachesTheJoinAsFromATask(bool pooled)
    {
        CoyoteHints.Install();
        if (!pooled)
        {
            SchedulerHints.InstallThreadLauncher(_ => null);
        }

        var configuration = Explorer.Configure(CheckOptions.For(ModelsFolder.LoadScenario("default")) with { Iterations = 20 });
        var seen = new List<string>();
        var startedBefore = CoyoteThreadLauncher.Started;
        using var engine = TestingEngine.Create(configuration, () =>
        {
            QemuThread.Adopt("main");
            var failing = QemuThread.Create("failing", _ => throw new InvalidOperationException("body failed"));
            var fine = QemuThread.Create("fine", _ => { });
            string outcome;
            try
            {
                failing.Join();
                outcome = "no exception";
            }
            catch (AggregateException e) when (e.InnerException is InvalidOperationException { Message: "body failed" })
            {
                outcome = "aggregate";
            }

            fine.Join();
            lock (seen)
            {
                seen.Add(outcome);
            }
        });
        try
        {
            engine.Run();
        }
        finally
        {
            CoyoteHints.Install();
        }

        Assert.Equal(0, engine.TestReport.NumOfFoundBugs);
        Assert.Equal(20, seen.Count);
        Assert.All(seen, o => Assert.Equal("aggregate", o));
        Assert.Equal(pooled ? 40 : 0, CoyoteThreadLauncher.Started - startedBefore);
    }
}

using Multifd.Checker.Exploration;
using Multifd.Checker.Scenarios;
using Multifd.Engine.Core;
using Multifd.Simulation;
using Xunit.Abstractions;

namespace Multifd.Checker.Tests;

/// <summary>
/// The mutexes' and channels' lock under Coyote (CoyoteMutexGate) makes exactly the decisions of Coyote's own monitor,
/// and a blocked thread's wake-up (CoyoteWakeup) those of Coyote's wait on a task: an exploration is the same either
/// way. Alone: the test swaps the process-wide factories and counts what went through them.
/// </summary>
[Collection(AloneCollection.Name)]
public class CoyoteMutexGateTests(ITestOutputHelper output)
{
    [Fact]
    public void TheGateFindsCoyotesInternals()
    {
        Assert.Null(CoyoteWakeup.Create()); // outside a test: the engine's task wake-up
        // Coyote 1.7.11's CoyoteRuntime.ScheduleNextOperation, ControlledOperation.PauseWithResource and the like: a Coyote
        // upgrade that moves them fails here instead of silently falling back to Coyote's slower monitor
        Assert.True(CoyoteMutexGate.Supported);
        Assert.IsType<CoyoteMutexGate>(CoyoteMutexGate.Create());
    }

    [Theory]
    [InlineData("gap-recv-failure-after-eof-check", null)] // a hang (P10): Coyote finds every thread paused
    [InlineData("default", null)]
    [InlineData("four-devices-four-channels", null)] // more threads on each lock
    [InlineData("fault-anywhere-device-write", null)] // failed migrations: error paths and their locks
    [InlineData("tight-byte-limit", null)] // the merged size limit: a violation (P10) after a few schedules
    [InlineData("default", "cleanup-without-bql")] // a violation (P7): the first failing schedule is the same
    public void TheGateExploresWhatCoyotesMonitorExplores(string scenario, string? variant)
    {
        var options = CheckOptions.For(ModelsFolder.LoadScenario(scenario), variant) with { Iterations = 40, SchedulesPerSeed = 10 };
        CoyoteHints.Install(); // the harness's hooks, as MigrationRun installs them

        var (before, waitsBefore) = (CoyoteMutexGate.ControlledAcquisitions, CoyoteWakeup.ControlledWaits);
        var gate = Explorer.Run(options);
        var (viaGate, viaWakeup) = (CoyoteMutexGate.ControlledAcquisitions - before, CoyoteWakeup.ControlledWaits - waitsBefore);

        CheckResult monitor;
        long viaGateDuringMonitor;
        long viaWakeupDuringMonitor;
        SchedulerHints.InstallMutexGate(() => null); // every lock on Coyote's rewritten monitor
        SchedulerHints.InstallWakeup(() => null); // every wait on a task completion source
        try
        {
            (before, waitsBefore) = (CoyoteMutexGate.ControlledAcquisitions, CoyoteWakeup.ControlledWaits);
            monitor = Explorer.Run(options);
            viaGateDuringMonitor = CoyoteMutexGate.ControlledAcquisitions - before;
            viaWakeupDuringMonitor = CoyoteWakeup.ControlledWaits - waitsBefore;
        }
        finally
        {
            CoyoteHints.Install();
        }

        output.WriteLine($"{scenario}/{variant}: gate {gate.ElapsedSeconds:F2}s, {viaGate} locks and {viaWakeup} waits through it; " +
            $"monitor {monitor.ElapsedSeconds:F2}s; {gate.SchedulesExplored} schedules, decisions avg {gate.Decisions.Avg:F1}, violation {gate.Violation?.Property}");
        Assert.True(viaGate > 10 * gate.SchedulesExplored, $"{viaGate} locks through the gate in {gate.SchedulesExplored} schedules");
        Assert.True(viaWakeup >= gate.SchedulesExplored, $"{viaWakeup} waits through a wake-up in {gate.SchedulesExplored} schedules");
        Assert.Equal(0, viaGateDuringMonitor);
        Assert.Equal(0, viaWakeupDuringMonitor);
        ExplorationAssert.SameSchedules(monitor, gate);
        Assert.Equal(monitor.Violation, gate.Violation);
        Assert.Equal(monitor.FirstBugIteration, gate.FirstBugIteration);
        Assert.Equal(monitor.Trace, gate.Trace); // Coyote's trace: every decision and its type (Acquire, Pause, ...)
        Assert.Equal(monitor.Sites.OrderBy(kv => kv.Key), gate.Sites.OrderBy(kv => kv.Key));
        Assert.Empty(gate.Uncontrolled);
        Assert.Null(gate.InternalError);
    }
}

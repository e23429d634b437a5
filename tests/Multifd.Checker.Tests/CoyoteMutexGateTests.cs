using Multifd.Checker.Exploration;
using Multifd.Checker.Scenarios;
using Multifd.Engine.Core;
using Multifd.Simulation;
using Xunit.Abstractions;

namespace Multifd.Checker.Tests;

/// <summary>
/// The mutexes' and channels' lock under Coyote (CoyoteMutexGate) makes exactly the decisions of Coyote's own monitor:
/// an exploration is the same with either. Alone: the test swaps the process-wide gate factory and counts acquisitions.
/// </summary>
[Collection(AloneCollection.Name)]
public class CoyoteMutexGateTests(ITestOutputHelper output)
{
    [Fact]
    public void TheGateFindsCoyotesInternals()
    {
        // Coyote 1.7.11's CoyoteRuntime.ScheduleNextOperation, ControlledOperation.PauseWithResource and the like: a Coyote
        // upgrade that moves them fails here instead of silently falling back to Coyote's slower monitor
        Assert.True(CoyoteMutexGate.Supported);
        Assert.IsType<CoyoteMutexGate>(CoyoteMutexGate.Create());
    }

    [Theory]
    [InlineData("default", null)]
    [InlineData("four-devices-four-channels", null)] // more threads on each lock
    [InlineData("fault-anywhere-device-write", null)] // failed migrations: error paths and their locks
    [InlineData("tight-byte-limit", null)] // the merged size limit: a violation (P10) after a few schedules
    [InlineData("default", "cleanup-without-bql")] // a violation (P12): the first failing schedule is the same
    public void TheGateExploresWhatCoyotesMonitorExplores(string scenario, string? variant)
    {
        var options = CheckOptions.For(ModelsFolder.LoadScenario(scenario), variant) with { Iterations = 40, SchedulesPerSeed = 10 };
        CoyoteHints.Install(); // the harness's hooks, as MigrationRun installs them

        var before = CoyoteMutexGate.ControlledAcquisitions;
        var gate = Explorer.Run(options);
        var viaGate = CoyoteMutexGate.ControlledAcquisitions - before;

        CheckResult monitor;
        long viaGateDuringMonitor;
        SchedulerHints.InstallMutexGate(() => null); // every lock on Coyote's rewritten monitor
        try
        {
            before = CoyoteMutexGate.ControlledAcquisitions;
            monitor = Explorer.Run(options);
            viaGateDuringMonitor = CoyoteMutexGate.ControlledAcquisitions - before;
        }
        finally
        {
            CoyoteHints.Install();
        }

        output.WriteLine($"{scenario}/{variant}: gate {gate.ElapsedSeconds:F2}s, {viaGate} locks through it; " +
            $"monitor {monitor.ElapsedSeconds:F2}s; {gate.SchedulesExplored} schedules, decisions avg {gate.Decisions.Avg:F1}");
        Assert.True(viaGate > 10 * gate.SchedulesExplored, $"{viaGate} locks through the gate in {gate.SchedulesExplored} schedules");
        Assert.Equal(0, viaGateDuringMonitor);
        Assert.Equal(monitor.SchedulesExplored, gate.SchedulesExplored);
        Assert.Equal(monitor.Decisions, gate.Decisions);
        Assert.Equal(monitor.Outcomes.OrderBy(kv => kv.Key), gate.Outcomes.OrderBy(kv => kv.Key));
        Assert.Equal(monitor.Situations.OrderBy(kv => kv.Key), gate.Situations.OrderBy(kv => kv.Key));
        Assert.Equal(monitor.PeakQueued.OrderBy(kv => kv.Key), gate.PeakQueued.OrderBy(kv => kv.Key));
        Assert.Equal(monitor.Violation, gate.Violation);
        Assert.Equal(monitor.FirstBugIteration, gate.FirstBugIteration);
        Assert.Equal(monitor.Trace, gate.Trace); // Coyote's trace: every decision and its type (Acquire, Pause, ...)
        Assert.Equal(monitor.Sites.OrderBy(kv => kv.Key), gate.Sites.OrderBy(kv => kv.Key));
        Assert.Empty(gate.Uncontrolled);
        Assert.Null(gate.InternalError);
    }
}

using System.Diagnostics;
using System.Reflection;
using Microsoft.Coyote.SystematicTesting;
using Multifd.Checker.Exploration;
using Multifd.Checker.Scenarios;
using Multifd.Engine.Core;
using Xunit.Abstractions;

namespace Multifd.Checker.Tests;

/// <summary>
/// The test host's memory runaway (docs/ci.md): Coyote's wall-clock hang watchdog, at its default of 1 s, detached a
/// schedule that merely took no step for a while (a loaded machine), from the watchdog's own thread. The operation
/// running at that moment was not stopped, and its next wait on an empty controlled semaphore looped without end in
/// Coyote's SemaphoreSlim wait loop, queueing itself on each turn (a ControlledOperation[] doubling to 1 GiB).
/// </summary>
public class HangWatchdogTests(ITestOutputHelper output)
{
    [Fact]
    public void ExplorationsNeverUseCoyotesTestingTimeoutAndAWatchdogOfMinutes()
    {
        var options = CheckOptions.For(ModelsFolder.LoadScenario("default")) with { Iterations = 10, TimeBudgetSeconds = 5 };
        var configuration = Explorer.Configure(options);
        // Coyote's testing timeout (internal): with it, Run() returns while a schedule still runs.
        var timeout = typeof(Microsoft.Coyote.Configuration).GetField("TestingTimeout", BindingFlags.NonPublic | BindingFlags.Instance);
        Assert.NotNull(timeout);
        Assert.Equal(0, Convert.ToInt64(timeout.GetValue(configuration)));
        Assert.Equal(Explorer.DeadlockTimeoutMilliseconds, configuration.DeadlockTimeout);
        Assert.True(configuration.DeadlockTimeout >= 30_000);
    }

    /// <summary>
    /// A schedule whose running thread takes 3 s between two scheduling steps (as a starved or GC-paused thread does)
    /// and then waits on a semaphore: with the exploration's configuration it ends normally. With Coyote's default
    /// watchdog it was reported as a hang (a false P10), and the thread then spun in Coyote's SemaphoreSlim wait. The
    /// engine's semaphore now waits on a TaskCompletionSource, which blocks after a detach (so Coyote's interrupt ends the
    /// thread): with a 1 s watchdog this test still fails on the false hang, and the process stays at a few MB.
    /// </summary>
    [Fact]
    public void AScheduleThatStallsSecondsIsNotDetachedUnderneathItsRunningThread()
    {
        var configuration = Explorer.Configure(CheckOptions.For(ModelsFolder.LoadScenario("default")) with { Iterations = 1 });
        var ended = false;
        using (var engine = TestingEngine.Create(configuration, () =>
        {
            QemuThread.Adopt("main");
            var sem = new QemuSemaphore("empty");
            var poster = QemuThread.Create("poster", _ => sem.Post());
            var stall = Stopwatch.StartNew();
            while (stall.ElapsedMilliseconds < 3000)
            {
                Thread.SpinWait(1000); // no scheduling step
            }

            sem.Wait();
            poster.Join();
            ended = true;
        }))
        {
            engine.Run();
            var report = engine.TestReport;
            output.WriteLine($"bugs: {report.NumOfFoundBugs} {string.Join(" | ", report.BugReports)}");
            Assert.Equal(0, report.NumOfFoundBugs);
            Assert.True(ended, "the schedule was torn down before its body ended");
        }
    }
}

using Microsoft.Coyote;
using Microsoft.Coyote.SystematicTesting;
using Multifd.Engine.Ports;
using Multifd.Specifications;
using static Multifd.Engine.Tests.Specifications.Trace;

namespace Multifd.Engine.Tests.Specifications;

public class EveryThreadTerminatesTests
{
    private static readonly Observation[] LoadThreadStops =
    [
        Dst("load[dev0]", new ThreadStarted("load[dev0]")),
        Dst("load[dev0]", new LoadBufsThreadStart("dev0")),
        Dst("load[dev0]", new LoadBufsThreadEnd("dev0", false)),
    ];

    [Fact]
    public void HoldsWhenVfioMultifdIsFreedOnceTheLoadThreadStopped() => Holds(new EveryThreadTerminates(),
        [
            .. LoadThreadStops,
            // The pool thread may still be returning: vfio_load_bufs_thread itself has finished.
            Dst("main", new VfioMultifdFreed("dev0", 1, false)),
            Dst("main", new DataFdClosed("dev0")),
            Dst("load[dev0]", new ThreadEnded("load[dev0]", false)),
        ]);

    [Fact]
    public void FailsWhenVfioMultifdIsFreedUnderARunningLoadThread() => Violated(new EveryThreadTerminates(),
        [LoadThreadStops[0], LoadThreadStops[1], Dst("main", new VfioMultifdFreed("dev0", 2, false))],
        "dev0", "freed (2 buffers)", "load[dev0] still runs");

    [Fact]
    public void FailsWhenALoadThreadStartsAfterItsVfioMultifdWasFreed() => Violated(new EveryThreadTerminates(),
        [Dst("main", new VfioMultifdFreed("dev0", 0, false)), LoadThreadStops[1]],
        "dev0", "load[dev0]", "after its VFIOMultifd was freed");

    [Fact]
    public void FailsAtTheEndWithAThreadThatNeverEnded()
    {
        var p = new EveryThreadTerminates();
        Holds(p, LoadThreadStops);
        var v = Assert.Throws<PropertyViolation>(() => p.AtEnd(new RunEnd(true, true, [], [])));
        Assert.Contains("load[dev0]", v.Detail);
    }

    [Fact]
    public void FailsAtTheEndWithADataFdLeftOpen()
    {
        var p = new EveryThreadTerminates();
        DeviceEnd Device(string name, bool closed) => new(name, [1], [2], [1], [2], 1, closed);
        p.AtEnd(new RunEnd(true, true, [Device("dev0", true)], []));
        var v = Assert.Throws<PropertyViolation>(() => p.AtEnd(new RunEnd(true, true, [Device("dev0", true), Device("dev1", false)], [])));
        Assert.Contains("data_fd of dev1 still open", v.Detail);
    }

    [Fact]
    public void LivenessMonitorIsColdOnceEveryObligationIsMet()
    {
        var report = RunUnderCoyote(
        [
            Dst("main", new LoadSetup("dev0", true, false)),
            .. LoadThreadStops,
            Dst("load[dev0]", new ThreadEnded("load[dev0]", false)),
            Dst("main", new VfioMultifdFreed("dev0", 0, false)),
        ]);
        Assert.Equal(0, report.NumOfFoundBugs);
    }

    [Fact]
    public void LivenessMonitorEndsHotWhenVfioMultifdIsNeverFreed()
    {
        var report = RunUnderCoyote(
        [
            Dst("main", new LoadSetup("dev0", true, false)),
            .. LoadThreadStops,
            Dst("load[dev0]", new ThreadEnded("load[dev0]", false)),
        ]);
        Assert.Equal(1, report.NumOfFoundBugs);
        Assert.Contains("EveryThreadTerminatesLiveness detected liveness bug in hot state 'ThreadsOrVfioMultifdOutstanding'",
            report.BugReports.Single());
    }

    /// <summary>One schedule whose body registers the monitor and feeds it the observations.</summary>
    private static TestReport RunUnderCoyote(Observation[] observations)
    {
        var configuration = Configuration.Create().WithTestingIterations(1).WithTelemetryEnabled(false).WithConsoleLoggingEnabled(false);
        using var engine = TestingEngine.Create(configuration, () =>
        {
            var feed = EveryThreadTerminatesFeed.ForCoyote();
            foreach (var o in observations)
            {
                feed.On(o);
            }
        });
        engine.Run();
        return engine.TestReport;
    }
}

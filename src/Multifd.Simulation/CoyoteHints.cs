using Microsoft.Coyote.Runtime;
using Multifd.Engine.Core;

namespace Multifd.Simulation;

/// <summary>Installs Coyote's scheduling-point controls as the engine's <see cref="SchedulerHints"/>.</summary>
/// <remarks>Coyote's calls do nothing outside a controlled test, so the same hooks serve real-thread runs.</remarks>
public static class CoyoteHints
{
    public static void Install()
    {
        SchedulerHints.Install(SchedulingPoint.Suppress, SchedulingPoint.Resume, SchedulingPoint.Interleave,
            PlainMonitor.Enter, PlainMonitor.Exit);
        SchedulerHints.InstallMutexGate(CoyoteMutexGate.Create);
        SchedulerHints.InstallWakeup(CoyoteWakeup.Create);
        SchedulerHints.InstallThreadLauncher(CoyoteThreadLauncher.Start);
    }
}

/// <summary>
/// A monitor Coyote does not see: this class is left out of Coyote's rewriting, so its Monitor calls are the runtime's
/// own (no scheduling point, and no per-acquisition bookkeeping of Coyote's controlled monitor).
/// </summary>
[Microsoft.Coyote.Rewriting.SkipRewriting("a plain monitor for regions without scheduling decisions (SchedulerHints.Plain)")]
public static class PlainMonitor
{
    public static void Enter(object gate) => Monitor.Enter(gate);

    public static void Exit(object gate) => Monitor.Exit(gate);
}

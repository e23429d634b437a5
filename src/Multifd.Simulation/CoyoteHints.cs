using Microsoft.Coyote.Runtime;
using Multifd.Engine.Core;

namespace Multifd.Simulation;

/// <summary>Installs Coyote's scheduling-point controls as the engine's <see cref="SchedulerHints"/>.</summary>
/// <remarks>Coyote's calls do nothing outside a controlled test, so the same hooks serve real-thread runs.</remarks>
public static class CoyoteHints
{
    public static void Install() =>
        SchedulerHints.Install(SchedulingPoint.Suppress, SchedulingPoint.Resume, SchedulingPoint.Interleave);
}

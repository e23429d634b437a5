using Multifd.Engine.Core;

namespace Multifd.Simulation;

/// <summary>
/// A blocked thread's wake-up under Coyote that makes exactly the scheduling decision of Coyote's controlled wait on a
/// task completion source, without the source, its task, Coyote's bookkeeping of the task and a message formatted per
/// wait.
/// </summary>
/// <remarks>
/// Coyote 1.7.11 rewrites <c>Task.Wait</c> into a pause of the calling operation until the task completes
/// (<c>PauseOperationUntil</c>: a <c>Pause</c> decision; the operation is enabled again at the first decision after
/// the task completed). This wake-up calls that same method with a flag for a condition, so the decisions, their types
/// and the deadlock report (operations "paused on a dependency") are Coyote's own; CoyoteMutexGateTests compare whole
/// explorations and their traces. Made only inside an interleaving test; elsewhere the engine keeps its task wake-up.
/// </remarks>
[Microsoft.Coyote.Rewriting.SkipRewriting("the controlled wait of the engine's primitives: calls Coyote's runtime itself")]
public sealed class CoyoteWakeup : IWakeup
{
    private static long waits;

    private readonly object runtime;
    private readonly Func<bool> isSet;
    private volatile bool set;

    private CoyoteWakeup(object runtime)
    {
        this.runtime = runtime;
        isSet = () => set;
    }

    /// <summary>Waits that paused through a wake-up, over the process's life (for tests and diagnostics).</summary>
    public static long ControlledWaits => Interlocked.Read(ref waits);

    /// <summary>A wake-up for the calling thread, or null (the engine's task wake-up) outside an interleaving test.</summary>
    public static IWakeup? Create()
    {
        if (CoyoteInternals.Instance is not { } c)
        {
            return null;
        }

        var current = c.Current();
        return c.IsInterleaving(current) ? new CoyoteWakeup(current) : null;
    }

    public void Set() => set = true;

    public void Wait()
    {
        if (set)
        {
            return; // as a wait on a completed task: no decision
        }

        var c = CoyoteInternals.Instance!;
        var op = c.ExecutingOperation(runtime)
            ?? throw new InvalidOperationException("a controlled wake-up waited on by a thread Coyote does not control");
        Interlocked.Increment(ref waits);
        c.PauseUntil(runtime, op, isSet);
        if (!set)
        {
            // The schedule ended while this thread waited (Coyote detached): a task wait would block here until Coyote
            // interrupts the thread; end it the same way now.
            throw new ThreadInterruptedException();
        }
    }
}

using System.Reflection;
using Microsoft.Coyote.Runtime;

// ManualResetEventSlim here is the event Coyote itself parks an operation on, not a primitive of the model.
#pragma warning disable RS0030

namespace Multifd.Checker.Exploration;

/// <summary>
/// Makes the calling thread's Coyote operation block at once when it waits for its turn, instead of spinning first:
/// for threads that share one CPU (<see cref="CorePinning"/>), where the spin can only waste the CPU.
/// </summary>
/// <remarks>
/// <para>Coyote 1.7.11 parks each controlled operation on a <see cref="ManualResetEventSlim"/> of its own (the private
/// field <c>ControlledOperation.SyncEvent</c>): at a hand-off the running thread sets the next operation's event and
/// waits on its own. .NET's event spins before it sleeps (35 rounds on a multi-core machine, the later ones yielding).
/// With the threads of a schedule on two cores that spin often catches the next wake-up; with all of them on one CPU it
/// never can, since the thread that would set the event needs the CPU the spinner holds.</para>
/// <para>So a pinned thread swaps its operation's event for one with a spin count of 0, by reflection, as its first
/// act. That is safe at that moment: the operation is the one running, and no other thread sets or waits on its event
/// until it pauses. Which thread Coyote runs is not touched, only how a parked thread waits: the schedules are the same
/// (ParallelExplorationTests). Coyote is pinned at 1.7.11 (Directory.Packages.props); <see cref="Supported"/> tells
/// whether its field was found, and a test checks it.</para>
/// <para>Measured (docs/performance.md): with the threads pinned, 1,000 schedules of the default scenario took 8.0 to
/// 9.2 s wall with the swap and 8.9 to 9.7 s without (three alternated rounds).</para>
/// </remarks>
[Microsoft.Coyote.Rewriting.SkipRewriting("harness: how a pinned thread waits for its turn, no part of the model")]
public static class QuietHandOff
{
    private const BindingFlags Internal = BindingFlags.NonPublic | BindingFlags.Instance;

    private static readonly Type? RuntimeType =
        typeof(ICoyoteRuntime).Assembly.GetType("Microsoft.Coyote.Runtime.CoyoteRuntime");

    /// <summary>CoyoteRuntime's [ThreadStatic] ExecutingOperation: the operation the calling thread runs.</summary>
    private static readonly FieldInfo? ExecutingOperation =
        RuntimeType?.GetField("ExecutingOperation", BindingFlags.NonPublic | BindingFlags.Static);

    private static readonly FieldInfo? SyncEvent = typeof(ICoyoteRuntime).Assembly
        .GetType("Microsoft.Coyote.Runtime.ControlledOperation")?.GetField("SyncEvent", Internal);

    private static long swapped;

    /// <summary>True when Coyote's operation and its event were found (the Coyote version this was written for).</summary>
    public static bool Supported =>
        ExecutingOperation is not null && SyncEvent?.FieldType == typeof(ManualResetEventSlim);

    /// <summary>Operations whose event was swapped, over the process's life (for tests and diagnostics).</summary>
    public static long Swapped => Interlocked.Read(ref swapped);

    /// <summary>
    /// Gives the calling thread's Coyote operation an event that does not spin. Call it only from the thread running
    /// that operation, while it runs. Returns false (and changes nothing) outside a controlled schedule or when
    /// <see cref="Supported"/> is false.
    /// </summary>
    public static bool Apply()
    {
        if (!Supported || ExecutingOperation!.GetValue(null) is not { } operation)
        {
            return false;
        }

        SyncEvent!.SetValue(operation, new ManualResetEventSlim(false, spinCount: 0));
        Interlocked.Increment(ref swapped);
        return true;
    }
}

using System.Collections;
using System.Reflection;
using Microsoft.Coyote.Runtime;
using Multifd.Simulation;

namespace Multifd.Checker.Exploration;

/// <summary>
/// Waits, at the end of each schedule, for every thread Coyote ran that schedule's operations on to end, before
/// the engine disposes the schedule's runtime.
/// </summary>
/// <remarks>
/// Why (docs/ci.md, "The cause of the runaway"): when a schedule ends (a property fails, the step bound, the test's
/// end), Coyote 1.7.11 marks the other operations completed and interrupts their threads, then its engine disposes
/// the runtime (every operation's wake-up event) without waiting for those threads. A thread that was between
/// releasing the runtime's lock and blocking on its event (starved on a loaded machine) then finds the event disposed:
/// Coyote's <c>WaitSignal</c> swallows that <see cref="ObjectDisposedException"/>, the thread runs on, and its pending
/// interrupt never fires if it next waits on an empty controlled <see cref="SemaphoreSlim"/> (our QemuSemaphore, a
/// QemuThread's parking semaphore, the channels' wait queues): Coyote's wait loop there no longer blocks once the
/// runtime has stopped, and the thread spins in it for ever, queueing itself on every turn (the 1 GiB
/// <c>ControlledOperation[]</c>). Held here until they have ended, such threads block on their (not yet disposed)
/// event, the interrupt fires, and they unwind as Coyote means them to.
/// Coyote keeps the threads in an internal map (<c>CoyoteRuntime.ThreadPool</c>), read by reflection: Coyote is pinned
/// at 1.7.11 (Directory.Packages.props), and <see cref="Supported"/> tells whether the map was found.
/// </remarks>
public static class ScheduleThreads
{
    private static readonly Type? RuntimeType =
        typeof(ICoyoteRuntime).Assembly.GetType("Microsoft.Coyote.Runtime.CoyoteRuntime");

    private static readonly PropertyInfo? CurrentProperty =
        RuntimeType?.GetProperty("Current", BindingFlags.NonPublic | BindingFlags.Static);

    private static readonly FieldInfo? ThreadPoolField =
        RuntimeType?.GetField("ThreadPool", BindingFlags.NonPublic | BindingFlags.Instance);

    /// <summary>
    /// <see cref="Thread.Join(TimeSpan)"/>, called by reflection: Coyote's rewriting of this assembly replaces the
    /// <see cref="Thread"/> calls of its code with controlled ones, which the runtime here rejected as an invalid program
    /// (InvalidProgramException). This runs on the engine's own, uncontrolled thread: the plain Join is what is meant.
    /// </summary>
    private static readonly MethodInfo JoinMethod = typeof(Thread).GetMethod(nameof(Thread.Join), [typeof(TimeSpan)])!;

    private static readonly object Gate = new();
    private static long stragglers; // protected by Gate

    /// <summary>How long a schedule's threads get to end once the schedule is over.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    /// <summary>True when Coyote's runtime and its thread map were found (the Coyote version this code was written for).</summary>
    public static bool Supported => CurrentProperty is not null && ThreadPoolField is not null;

    /// <summary>Threads, over the process's life, that had not ended <see cref="Timeout"/> after their schedule.</summary>
    public static long Stragglers
    {
        get
        {
            lock (Gate)
            {
                return stragglers;
            }
        }
    }

    /// <summary>
    /// For an engine whose test body is not an explorer's <c>Collector</c> (the bench's): <see cref="Wrap"/> the body
    /// to create the engine with, then <see cref="Attach"/> the engine.
    /// </summary>
    public sealed class Tracker
    {
        private object? runtime;

        public Action Wrap(Action body) => () =>
        {
            runtime = CurrentRuntime();
            body();
        };

        public void Attach(Microsoft.Coyote.SystematicTesting.TestingEngine engine) => engine.RegisterEndIterationCallBack(_ =>
        {
            JoinAll(runtime);
            runtime = null;
        });
    }

    /// <summary>The Coyote runtime of the calling controlled thread (called from the schedule's test body).</summary>
    public static object? CurrentRuntime() => CurrentProperty?.GetValue(null);

    /// <summary>
    /// Waits until every thread of <paramref name="runtime"/>'s schedule has ended (call from the engine's
    /// end-of-iteration callback, which runs before the engine disposes the runtime, on none of those threads).
    /// Returns how many had not ended after <see cref="Timeout"/> (0 normally).
    /// </summary>
    public static int JoinAll(object? runtime)
    {
        if (runtime is null || ThreadPoolField?.GetValue(runtime) is not IDictionary map)
        {
            return 0;
        }

        // The operations started on pooled threads (CoyoteThreadLauncher): their threads never end, their runs do.
        var left = CoyoteThreadLauncher.WaitForRuns(runtime, Timeout);
        foreach (var thread in map.Values)
        {
            // The callback's own thread (the engine's) is none of them.
            if (thread is Thread t && CoyoteThreadLauncher.IsPooled(t))
            {
                continue;
            }

            if (JoinMethod.Invoke(thread, [Timeout]) is false)
            {
                left++;
            }
        }

        lock (Gate)
        {
            stragglers += left;
        }

        return left;
    }
}

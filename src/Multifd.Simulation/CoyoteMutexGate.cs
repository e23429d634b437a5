using Multifd.Engine.Core;

namespace Multifd.Simulation;

/// <summary>
/// A <see cref="QemuMutex"/>'s lock under Coyote that makes exactly the scheduling decisions of Coyote's own controlled
/// monitor, at a fraction of its cost per acquisition.
/// </summary>
/// <remarks>
/// <para>Coyote 1.7.11 rewrites <c>Monitor.Enter</c> into a lookup of a <c>SynchronizedBlock</c> in a process-wide
/// <c>ConcurrentDictionary</c>; a free lock gets a new block on every acquisition (a closure, a <c>Lazy</c>, the block
/// with four collections, a <c>Guid.NewGuid</c>, which reads the kernel's random source, and a debug name formatted from
/// it), dropped again at the release. That was about 4 % of a schedule's CPU (docs/performance.md).</para>
/// <para>This gate keeps one resource per mutex and repeats the block's steps with Coyote's own internal calls: taking
/// a free lock is an <c>Acquire</c> scheduling decision (when lock races are explored, Coyote's default); a thread that
/// finds the lock held is paused on the mutex's resource (a <c>Pause</c> decision) and queued; the release hands the
/// lock to the first queued thread and enables it, without a decision. The decisions, their types and their order are
/// those of Coyote's monitor, so a schedule and its recorded trace are the same either way (every curated bundle
/// replays; ParallelExplorationTests and CoyoteMutexGateTests compare). Outside an interleaving test (real threads, or
/// Coyote not controlling the call) it is an ordinary monitor.</para>
/// <para>The internals are reached by reflection, compiled once, as <c>QuietHandOff</c> reaches the operation's event;
/// Coyote is pinned at 1.7.11, and when a member is not found <see cref="Supported"/> is false and mutexes fall back to
/// Coyote's monitor (a test fails then).</para>
/// </remarks>
[Microsoft.Coyote.Rewriting.SkipRewriting("the controlled lock of QemuMutex: calls Coyote's runtime itself")]
public sealed class CoyoteMutexGate : IMutexGate
{
    private static readonly CoyoteInternals? Coyote = CoyoteInternals.Instance;
    private static int nextResource;
    private static long acquisitions;

    private readonly Guid resource = NewResourceId();
    private readonly List<object> ready = []; // operations paused on this lock, in arrival order
    private object? owner; // the operation holding the lock (controlled mode)

    /// <summary>True when Coyote's internals were found (the Coyote version this was written for).</summary>
    public static bool Supported => Coyote is not null;

    /// <summary>Locks taken through a gate under Coyote, over the process's life (for tests and diagnostics).</summary>
    public static long ControlledAcquisitions => Interlocked.Read(ref acquisitions);

    /// <summary>A gate for a new mutex, or null (Coyote's monitor) when <see cref="Supported"/> is false.</summary>
    public static IMutexGate? Create() => Coyote is null ? null : new CoyoteMutexGate();

    public void Enter()
    {
        var c = Coyote!;
        var runtime = c.Current();
        if (!c.IsInterleaving(runtime))
        {
            Monitor.Enter(this);
            return;
        }

        if (owner is null && c.LockRacesExplored(runtime))
        {
            // A free lock: another operation may take it first.
            c.Schedule(runtime, null, c.Acquire);
        }

        Interlocked.Increment(ref acquisitions);
        var op = c.ExecutingOperation(runtime);
        if (owner is null)
        {
            owner = op;
            return;
        }

        // Held by another operation (QemuMutex refuses a recursive lock before it gets here): wait for the hand-over.
        ready.Add(op!);
        c.PauseOn(op!, resource);
        c.Schedule(runtime, op, c.Pause);
        if (!ReferenceEquals(owner, op))
        {
            // The schedule ended while this thread waited (Coyote detached) and nobody handed the lock over: end the
            // thread as Coyote's interrupt would, rather than run on as if it held the lock.
            throw new ThreadInterruptedException();
        }
    }

    public void Exit()
    {
        var c = Coyote!;
        if (!c.IsInterleaving(c.Current()))
        {
            Monitor.Exit(this);
            return;
        }

        owner = null;
        if (ready.Count > 0)
        {
            var next = ready[0];
            ready.RemoveAt(0);
            c.EnableOn(next, resource);
            owner = next;
        }
    }

    /// <summary>A resource id of our own: version nibble 0, so it never equals a random (version 4) Guid of Coyote's.</summary>
    private static Guid NewResourceId()
    {
        var n = Interlocked.Increment(ref nextResource);
        return new Guid(n, 0, 0, 0x4d, 0x46, 0x44, 0x47, 0x41, 0x54, 0x45, 0x00); // "MFDGATE"
    }
}

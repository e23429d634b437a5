using System.Collections.Immutable;
using Multifd.Engine.Ports;

namespace Multifd.Engine.Core;

/// <summary>
/// One QEMU process (the source or the destination): its BQL, its migration error (migrate_set_error),
/// its threads, and where its trace events go.
/// </summary>
public sealed class QemuProcess
{
    private readonly IMigrationObserver observer;
    private readonly object errorGate = new();
    private string? error;

    private readonly Func<bool>? spuriousWakeup;

    private int state; // MigrationStatus: s->state, changed by compare-and-swap, read plainly as QEMU does

    /// <param name="spuriousWakeup">Where cond waits may wake spuriously, the world's choice for each wait.</param>
    public QemuProcess(Side side, Platform platform, IMigrationObserver observer, ProtocolVariant variant,
        Func<bool>? spuriousWakeup = null)
    {
        Side = side;
        Platform = platform;
        this.observer = observer;
        Variant = variant;
        this.spuriousWakeup = spuriousWakeup;
        Bql = new Bql(OnLocked);
    }

    public Side Side { get; }

    private readonly bool[] sitesReached = new bool[ErrorPathSites.All.Count];

    /// <summary>
    /// Marks an error or cleanup branch of <see cref="ErrorPathSites"/> as taken: no event and no scheduling point (a
    /// plain write: Coyote's rewriting makes Volatile and Interlocked calls scheduling points, which would change the
    /// schedules every scenario explores). The flags are read after the run's threads ended.
    /// </summary>
    public void Site(string id) => sitesReached[ErrorPathSites.IndexOf(id)] = true;

    /// <summary>The error-path sites this process took, by id.</summary>
    public IEnumerable<string> SitesReached =>
        ErrorPathSites.All.Where((_, i) => sitesReached[i]).Select(s => s.Id);

    /// <summary>The host this QEMU runs on.</summary>
    public Platform Platform { get; }

    public Bql Bql { get; }

    /// <summary>The protocol variant this process runs (Correct, or one known-bug deviation).</summary>
    public ProtocolVariant Variant { get; }

    /// <summary>The first error recorded by migrate_set_error, or null.</summary>
    public string? Error => Volatile.Read(ref error);

    /// <summary>migrate_has_error().</summary>
    public bool HasError => Error is not null;

    /// <summary>s->state of the migration object (the source's migration state machine).</summary>
    public MigrationStatus State => (MigrationStatus)state;

    /// <summary>
    /// migrate_set_state: moves the state from <paramref name="oldState"/> to <paramref name="newState"/> with a
    /// compare-and-swap; traced only when it changed it. Returns whether it did.
    /// </summary>
    public bool SetState(MigrationStatus oldState, MigrationStatus newState)
    {
        if (Interlocked.CompareExchange(ref state, (int)newState, (int)oldState) != (int)oldState)
        {
            return false;
        }

        Trace(new MigrateSetState(newState));
        return true;
    }

    /// <summary>migration_is_running(): the states in which a migration is still under way.</summary>
    public static bool IsRunning(MigrationStatus s) =>
        s is MigrationStatus.Setup or MigrationStatus.Active or MigrationStatus.Device or MigrationStatus.Cancelling;

    /// <summary>Emits a trace event from the calling thread.</summary>
    public void Trace(MigrationEvent e) => observer.On(new Observation(Side, QemuThread.Current.Name, e));

    /// <summary>migrate_set_error / migrate_error_propagate: keeps the first error.</summary>
    /// <remarks>Simplification: QEMU guards s->error with error_mutex; no thread waits on it, so a plain
    /// monitor with no wait is used and no ordering is lost.</remarks>
    public void SetError(string message, ErrorKind kind)
    {
        Interlocked.CompareExchange(ref error, message, null);
        Trace(new MigrationErrorSet(message, kind));
    }

    /// <summary>A mutex of this process whose acquisitions are traced (for lock-discipline checks).</summary>
    public QemuMutex NewMutex(string name, string? device = null) => new(name, OnLocked, device);

    /// <summary>qemu_thread_join, traced (the caller blocks until <paramref name="thread"/> ends).</summary>
    public void Join(QemuThread thread)
    {
        Trace(new ThreadJoin(thread.Name));
        thread.Join();
    }

    /// <summary>A cond of this process on <paramref name="mutex"/>.</summary>
    public QemuCond NewCond(string name, QemuMutex mutex) =>
        new(name, mutex, spuriousWakeup, c => Trace(new CondWait(c.Name, c.Mutex.Device)));

    /// <summary>A semaphore of this process whose blocking waits are traced.</summary>
    public QemuSemaphore NewSemaphore(string name, int initial = 0) =>
        new(name, initial, s => Trace(new SemWait(s.Name)));

    /// <summary>qemu_thread_create with start/end events; a failed QEMU assertion ends the thread as an abort.</summary>
    /// <remarks>Any other exception (the controlled scheduler tearing a finished schedule down) passes
    /// through without running engine code: no cleanup runs on an exception, as in C.</remarks>
    public QemuThread StartThread(string name, Action body) => QemuThread.Create(name, _ => RunThreadBody(name, body));

    /// <summary>
    /// The same thread, run on the calling thread (see <see cref="QemuThread.RunHere"/>): the same events, the same
    /// abort handling, and one thread fewer to create and join.
    /// </summary>
    public void RunThreadHere(string name, Action body) => QemuThread.RunHere(name, _ => RunThreadBody(name, body));

    private void RunThreadBody(string name, Action body)
    {
        Trace(new ThreadStarted(name));
        try
        {
            body();
        }
        catch (QemuAbortException ex)
        {
            Trace(new QemuAborted(ex.Message));
            Trace(new ThreadEnded(name, Aborted: true));
            return;
        }

        Trace(new ThreadEnded(name, Aborted: false));
    }

    private void OnLocked(QemuMutex m) => Trace(new MutexLocked(m.Name, m.Device, HeldBy(QemuThread.Current)));

    private static ImmutableArray<string> HeldBy(QemuThread thread) =>
        thread.HeldMutexes.Count == 0 ? ImmutableArray<string>.Empty : [.. thread.HeldMutexes];
}

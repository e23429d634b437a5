namespace Multifd.Engine.Core;

/// <summary>
/// What the engine's synchronization wrappers tell a controlled scheduler about scheduling points, so that a thread is
/// offered to the scheduler only where another thread could observe the difference. The engine references nothing
/// from Coyote: the checker installs the hooks (Coyote's SchedulingPoint), and without them every hint does nothing,
/// which is right on real threads.
/// </summary>
/// <remarks>
/// Two hints, and one hook:
/// <list type="bullet">
/// <item><see cref="NoPoints"/>: a region in which the calling thread makes no scheduling decision (a monitor entered
/// there costs none), used only where the region cannot block: a monitor known to be free, or a monitor held only in
/// regions like this one. Under a controlled scheduler exactly one thread runs, so such a region runs as one step.</item>
/// <item><see cref="Point"/>: a scheduling decision of the calling thread, where a primitive implemented without a
/// controlled lock needs one (a thread about to take a semaphore's count that another thread could take first).</item>
/// <item><see cref="ThreadStarting"/>: what a QEMU thread runs first on its own OS thread. It makes no decision; the
/// checker installs it separately (<see cref="InstallThreadStart"/>) to keep a worker's threads on its CPU.</item>
/// </list>
/// </remarks>
public static class SchedulerHints
{
    private static Action? suppress;
    private static Action? resume;
    private static Action? point;
    private static Action<object>? enterPlain;
    private static Action<object>? exitPlain;
    private static Action? threadStarting;
    private static Func<IMutexGate?>? newMutexGate;
    private static Func<IWakeup?>? newWakeup;
    private static Func<Action, IThreadRun?>? startThread;

    /// <summary>
    /// Installs the scheduler's hooks (idempotent; the same hooks for every run in the process): its decision controls,
    /// and how to enter and leave a monitor it does not see (a plain one, for <see cref="Plain"/>).
    /// </summary>
    public static void Install(Action suppressPoints, Action resumePoints, Action schedulingPoint,
        Action<object> enterPlainMonitor, Action<object> exitPlainMonitor)
    {
        suppress = suppressPoints;
        resume = resumePoints;
        point = schedulingPoint;
        enterPlain = enterPlainMonitor;
        exitPlain = exitPlainMonitor;
    }

    /// <summary>
    /// Installs how a <see cref="QemuMutex"/> gets its lock (idempotent): a factory that returns null leaves the mutex
    /// on a plain <see cref="Monitor"/>, which a controlled scheduler's rewriting controls as it controls any monitor.
    /// </summary>
    public static void InstallMutexGate(Func<IMutexGate?> factory) => newMutexGate = factory;

    /// <summary>The lock of a new <see cref="QemuMutex"/>: the installed scheduler's, else a monitor.</summary>
    public static IMutexGate NewMutexGate() => newMutexGate?.Invoke() ?? new MonitorGate();

    /// <summary>
    /// Installs how a blocked thread waits for its wake-up (idempotent): a factory that returns null leaves the wait on
    /// a task (<see cref="TaskWakeup"/>), which a controlled scheduler's rewriting controls as any task wait.
    /// </summary>
    public static void InstallWakeup(Func<IWakeup?> factory) => newWakeup = factory;

    /// <summary>A wake-up for the calling thread to wait on once: the installed scheduler's, else a task's.</summary>
    public static IWakeup NewWakeup() => newWakeup?.Invoke() ?? new TaskWakeup();

    /// <summary>
    /// Installs how a QEMU thread is started (idempotent): a launcher that returns null leaves the thread on a task of
    /// its own, which a controlled scheduler's rewriting controls as any task (a new OS thread per task under Coyote).
    /// </summary>
    public static void InstallThreadLauncher(Func<Action, IThreadRun?> launcher) => startThread = launcher;

    /// <summary>Starts <paramref name="body"/> through the installed launcher; null: the caller starts a task.</summary>
    public static IThreadRun? StartThread(Action body) => startThread?.Invoke(body);

    /// <summary>
    /// Installs what every QEMU thread runs first, on its own thread (the harness keeps a worker's threads on its CPU).
    /// </summary>
    public static void InstallThreadStart(Action onThreadStart) => threadStarting = onThreadStart;

    /// <summary>Called by a QEMU thread as it starts, before its body.</summary>
    public static void ThreadStarting() => threadStarting?.Invoke();

    /// <summary>
    /// Holds <paramref name="gate"/> as a monitor the scheduler does not see, until the scope is disposed: for the
    /// internal state of a primitive whose regions under the gate make no scheduling decision and never block. Under a
    /// controlled scheduler such a gate is never contended (one thread runs, and it leaves the region before another
    /// runs) and costs nothing; on real threads it is an ordinary lock.
    /// </summary>
    public static PlainScope Plain(object gate)
    {
        if (enterPlain is { } enter)
        {
            enter(gate);
        }
        else
        {
            Monitor.Enter(gate);
        }

        return new PlainScope(gate);
    }

    public readonly struct PlainScope(object gate) : IDisposable
    {
        public void Dispose()
        {
            if (exitPlain is { } exit)
            {
                exit(gate);
            }
            else
            {
                Monitor.Exit(gate);
            }
        }
    }

    /// <summary>No scheduling decision of the calling thread until the scope is disposed. The region must not block.</summary>
    public static Scope NoPoints()
    {
        suppress?.Invoke();
        return default;
    }

    /// <summary>A scheduling decision of the calling thread.</summary>
    public static void Point() => point?.Invoke();

    public readonly struct Scope : IDisposable
    {
        public void Dispose() => resume?.Invoke();
    }
}

/// <summary>The lock under a <see cref="QemuMutex"/>: entered by one thread at a time, never recursively.</summary>
public interface IMutexGate
{
    void Enter();

    void Exit();
}

public static class MutexGateExtensions
{
    /// <summary>Enters the gate until the scope is disposed (as a <c>lock</c> statement does).</summary>
    public static HeldGate Hold(this IMutexGate gate)
    {
        gate.Enter();
        return new HeldGate(gate);
    }
}

public readonly struct HeldGate(IMutexGate gate) : IDisposable
{
    public void Dispose() => gate.Exit();
}

/// <summary>
/// A mutex's lock as a monitor on itself. Under Coyote this assembly is rewritten, so the monitor is Coyote's controlled
/// one (a scheduling decision where a free lock is taken, a pause where it is held); on real threads it is the runtime's.
/// </summary>
public sealed class MonitorGate : IMutexGate
{
    public void Enter() => Monitor.Enter(this);

    public void Exit() => Monitor.Exit(this);
}

/// <summary>
/// A one-shot wake-up: created by the thread that will wait on it (once), set by another thread (once, under the lock
/// that also queued it).
/// </summary>
public interface IWakeup
{
    void Set();

    void Wait();
}

/// <summary>A QEMU thread started by an installed launcher (<see cref="SchedulerHints.InstallThreadLauncher"/>).</summary>
public interface IThreadRun
{
    /// <summary>Waits until the thread's body has ended; rethrows what ended it, as a wait on a task does.</summary>
    void Join();
}

/// <summary>
/// A wake-up as a task completion source. Under Coyote this assembly is rewritten, so the wait is Coyote's controlled
/// task wait (a Pause decision until the task completes); on real threads it is the runtime's.
/// </summary>
public sealed class TaskWakeup : IWakeup
{
    private readonly TaskCompletionSource source = new();

    public void Set() => source.SetResult();

    public void Wait() => source.Task.Wait();
}

namespace Multifd.Engine.Core;

/// <summary>
/// A QEMU thread (qemu_thread_create / qemu_thread_join). The body runs on its own controlled task; the
/// current thread is ambient, as in QEMU, so that bql_locked() and trace events know who runs.
/// </summary>
public sealed class QemuThread
{
    private static readonly AsyncLocal<QemuThread?> CurrentThread = new();
    private readonly Task? task;
    private readonly IThreadRun? run;

    private QemuThread(string name, Action<QemuThread> body, bool start)
    {
        Name = name;
        if (!start)
        {
            task = Task.CompletedTask;
        }
        else if (SchedulerHints.StartThread(() => RunBody(body)) is { } launched)
        {
            run = launched;
        }
        else
        {
            task = Task.Factory.StartNew(() => RunBody(body), CancellationToken.None,
                TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }
    }

    /// <summary>The thread name as QEMU's trace would show it: "main", "load[dev0]", "recv[ch1]".</summary>
    public string Name { get; }

    /// <summary>True while this thread holds the BQL (QEMU's thread-local bql_locked()).</summary>
    public bool BqlLocked { get; internal set; }

    /// <summary>The mutexes this thread holds, in the order it took them.</summary>
    public List<string> HeldMutexes { get; } = [];

    /// <summary>The QEMU thread running the caller; never null inside the engine.</summary>
    public static QemuThread Current =>
        CurrentThread.Value ?? throw new InvalidOperationException("engine code must run on a QemuThread");

    /// <summary>Makes the calling context a QEMU thread (the process's main thread, the test harness).</summary>
    public static QemuThread Adopt(string name)
    {
        var thread = new QemuThread(name, _ => { }, start: false);
        CurrentThread.Value = thread;
        return thread;
    }

    /// <summary>
    /// Runs <paramref name="body"/> as QEMU thread <paramref name="name"/> on the calling thread, which is itself again
    /// afterwards: for a harness whose own thread would otherwise only start that QEMU thread and wait for it.
    /// </summary>
    public static void RunHere(string name, Action<QemuThread> body)
    {
        var caller = CurrentThread.Value;
        var thread = new QemuThread(name, _ => { }, start: false);
        CurrentThread.Value = thread;
        try
        {
            body(thread);
        }
        finally
        {
            CurrentThread.Value = caller;
        }
    }

    /// <summary>qemu_thread_create: starts <paramref name="body"/> on a new thread.</summary>
    public static QemuThread Create(string name, Action<QemuThread> body) => new(name, body, start: true);

    /// <summary>qemu_thread_join.</summary>
    public void Join()
    {
        if (run is not null)
        {
            run.Join();
        }
        else
        {
            task!.Wait();
        }
    }

    /// <summary>
    /// The task of this thread, for harnesses on real threads that await it; a thread started by an installed launcher
    /// (under the controlled scheduler) has none, and is joined with <see cref="Join"/>.
    /// </summary>
    public Task Completion => task ?? throw new InvalidOperationException($"{Name} was started by a launcher: join it");

    private void RunBody(Action<QemuThread> body)
    {
        SchedulerHints.ThreadStarting();
        CurrentThread.Value = this;
        body(this);
    }

    public override string ToString() => Name;
}

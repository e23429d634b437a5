namespace Multifd.Engine.Core;

/// <summary>
/// QEMU's QemuCond bound to one QemuMutex. Each cond has its own wait set, so a signal wakes a waiter of
/// this cond only (QEMU code still loops on its predicate: spurious wakeups are allowed by POSIX).
/// Signal and Broadcast must be called with the mutex held; with no waiter they cost no scheduling point.
/// </summary>
/// <remarks>
/// The wait set is a FIFO of the waiting threads, each parked on a wake-up of its own (as QEMU's qemu-thread-win32
/// builds a cond from per-thread events): a signal wakes exactly one thread that was waiting when it was sent,
/// and costs no scheduling decision of its own. Releasing the mutex and blocking are one step, as in
/// pthread_cond_wait; being woken is the waiter's decision, and it takes the mutex back without another one if the
/// mutex is free then (a decision between the two would only let another thread run first, which it could at the
/// wake-up), or blocks for it, competing with the signaller as with pthreads.
/// </remarks>
public sealed class QemuCond
{
    private readonly Queue<IWakeup> waiters = new(); // protected by Mutex

    private readonly Func<bool>? spuriousWakeup;
    private readonly Action<QemuCond>? onWait;

    /// <param name="spuriousWakeup">Asked at each wait: true makes this wait return at once, without a signal.</param>
    /// <param name="onWait">Called as a wait begins, for the trace.</param>
    public QemuCond(string name, QemuMutex mutex, Func<bool>? spuriousWakeup = null, Action<QemuCond>? onWait = null)
    {
        Name = name;
        Mutex = mutex;
        this.spuriousWakeup = spuriousWakeup;
        this.onWait = onWait;
    }

    public string Name { get; }

    public QemuMutex Mutex { get; }

    /// <summary>qemu_cond_wait: atomically releases the mutex and waits; holds the mutex again on return.</summary>
    public void Wait()
    {
        var self = QemuThread.Current;
        QemuAssert.That(Mutex.HeldByCurrentThread, $"{self}: qemu_cond_wait({Name}) without holding {Mutex.Name}");
        onWait?.Invoke(this);
        if (spuriousWakeup?.Invoke() == true)
        {
            // A spurious wakeup: the mutex is still released and taken again.
            Mutex.Unlock();
            Mutex.Lock();
            return;
        }

        // Enqueued while the mutex is held, so a signaller (who needs the mutex) sees this thread: no lost wakeup.
        var wake = SchedulerHints.NewWakeup();
        waiters.Enqueue(wake);
        Mutex.Unlock();
        wake.Wait();
        Mutex.Relock();
    }

    /// <summary>qemu_cond_signal: wakes one waiter, if any.</summary>
    public void Signal() => Wake(all: false);

    /// <summary>qemu_cond_broadcast: wakes every waiter.</summary>
    public void Broadcast() => Wake(all: true);

    private void Wake(bool all)
    {
        QemuAssert.That(Mutex.HeldByCurrentThread,
            $"{QemuThread.Current}: qemu_cond_signal({Name}) without holding {Mutex.Name}");
        while (waiters.TryDequeue(out var waiter))
        {
            waiter.Set();
            if (!all)
            {
                return;
            }
        }
    }
}

namespace Multifd.Engine.Core;

/// <summary>
/// QEMU's QemuCond bound to one QemuMutex. Each cond has its own wait set, so a signal wakes a waiter of
/// this cond only (QEMU code still loops on its predicate: spurious wakeups are allowed by POSIX).
/// Signal and Broadcast must be called with the mutex held; with no waiter they cost no scheduling point.
/// </summary>
public sealed class QemuCond
{
    private readonly object waitSet = new();
    private int waiters; // protected by Mutex

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
        QemuAssert.That(Mutex.HeldByCurrentThread,
            $"{QemuThread.Current}: qemu_cond_wait({Name}) without holding {Mutex.Name}");
        onWait?.Invoke(this);
        if (spuriousWakeup?.Invoke() == true)
        {
            // A spurious wakeup: the mutex is still released and taken again.
            Mutex.Unlock();
            Mutex.Lock();
            return;
        }

        waiters++;
        Monitor.Enter(waitSet);
        // A signaller needs the mutex, and we hold waitSet until Monitor.Wait releases it: no lost wakeup.
        Mutex.Unlock();
        Monitor.Wait(waitSet);
        Monitor.Exit(waitSet);
        Mutex.Lock();
        waiters--;
    }

    /// <summary>qemu_cond_signal: wakes one waiter, if any.</summary>
    public void Signal() => Wake(all: false);

    /// <summary>qemu_cond_broadcast: wakes every waiter.</summary>
    public void Broadcast() => Wake(all: true);

    private void Wake(bool all)
    {
        QemuAssert.That(Mutex.HeldByCurrentThread,
            $"{QemuThread.Current}: qemu_cond_signal({Name}) without holding {Mutex.Name}");
        if (waiters == 0)
        {
            return;
        }

        Monitor.Enter(waitSet);
        if (all)
        {
            Monitor.PulseAll(waitSet);
        }
        else
        {
            Monitor.Pulse(waitSet);
        }

        Monitor.Exit(waitSet);
    }
}

namespace Multifd.Engine.Core;

/// <summary>
/// QEMU's QemuMutex: not recursive, with an owner so that lock discipline can be checked and reported.
/// </summary>
public sealed class QemuMutex
{
    private readonly IMutexGate gate = SchedulerHints.NewMutexGate();
    private readonly Action<QemuMutex>? onLocked;

    public QemuMutex(string name, Action<QemuMutex>? onLocked = null, string? device = null)
    {
        Name = name;
        Device = device;
        QualifiedName = device is null ? name : $"{name}[{device}]";
        this.onLocked = onLocked;
    }

    /// <summary>QEMU's field name, e.g. "load_bufs_mutex".</summary>
    public string Name { get; }

    /// <summary>The device whose mutex this is, or null for a global one.</summary>
    public string? Device { get; }

    /// <summary>Name and device, e.g. "load_bufs_mutex[dev0]".</summary>
    public string QualifiedName { get; }

    /// <summary>The thread holding the mutex, or null.</summary>
    public QemuThread? Owner { get; private set; }

    public bool HeldByCurrentThread => Owner is not null && ReferenceEquals(Owner, QemuThread.Current);

    /// <summary>qemu_mutex_lock. Reports the acquisition (for lock-discipline checking) before blocking.</summary>
    public void Lock() => Acquire(afterWakeUp: false);

    /// <summary>
    /// Takes the mutex back at the end of a cond wait: the same as <see cref="Lock"/>, but without a scheduling decision
    /// when the mutex is free, since the thread's wake-up just was one and it did nothing another thread can see since.
    /// </summary>
    internal void Relock() => Acquire(afterWakeUp: true);

    private void Acquire(bool afterWakeUp)
    {
        var self = QemuThread.Current;
        QemuAssert.That(!ReferenceEquals(Owner, self), $"{self}: qemu_mutex_lock({Name}) while already holding it");
        onLocked?.Invoke(this);
        if (afterWakeUp && Owner is null)
        {
            using (SchedulerHints.NoPoints())
            {
                gate.Enter();
            }
        }
        else
        {
            gate.Enter();
        }

        Owner = self;
        self.HeldMutexes.Add(QualifiedName);
    }

    /// <summary>qemu_mutex_unlock.</summary>
    public void Unlock()
    {
        QemuAssert.That(HeldByCurrentThread, $"{QemuThread.Current}: qemu_mutex_unlock({Name}) without holding it");
        QemuThread.Current.HeldMutexes.Remove(QualifiedName);
        Owner = null;
        gate.Exit();
    }

    /// <summary>
    /// QEMU_LOCK_GUARD / WITH_QEMU_LOCK_GUARD: holds the mutex until the guard is disposed.
    /// C has no exceptions: the guard unlocks on a normal exit of the scope. Here an exception means the
    /// process is gone (abort) or the schedule is being torn down, so the guard only releases a mutex the
    /// thread still holds and never asserts while unwinding.
    /// </summary>
    public Guard Locked()
    {
        Lock();
        return new Guard(this);
    }

    public readonly struct Guard(QemuMutex mutex) : IDisposable
    {
        public void Dispose()
        {
            if (mutex.HeldByCurrentThread)
            {
                mutex.Unlock();
            }
        }
    }
}

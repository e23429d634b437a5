namespace Multifd.Engine.Core;

/// <summary>
/// The Big QEMU Lock of one QEMU process (bql_lock / bql_unlock / bql_locked).
/// Lock order on the destination: load_bufs_mutex -> BQL. Every BQL holder drops the BQL before it takes a
/// load_bufs_mutex.
/// </summary>
public sealed class Bql
{
    private readonly QemuMutex mutex;

    public Bql(Action<QemuMutex>? onLocked = null) => mutex = new QemuMutex("BQL", onLocked);

    /// <summary>bql_locked(): whether the calling thread holds the BQL.</summary>
    public static bool Locked => QemuThread.Current.BqlLocked;

    public void Lock()
    {
        mutex.Lock();
        QemuThread.Current.BqlLocked = true;
    }

    public void Unlock()
    {
        QemuThread.Current.BqlLocked = false;
        mutex.Unlock();
    }
}

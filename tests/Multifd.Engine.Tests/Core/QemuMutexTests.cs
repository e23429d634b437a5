using Multifd.Engine.Core;
using Multifd.Engine.Ports;
using Multifd.Engine.Tests.Support;

namespace Multifd.Engine.Tests.Core;

/// <summary>QemuMutex (not recursive, with an owner) and the BQL's bql_locked() tracking.</summary>
public class QemuMutexTests
{
    [Fact]
    public void LockingAMutexTwiceAborts()
    {
        QemuThread.Adopt("t1");
        var m = new QemuMutex("m");
        m.Lock();

        var abort = Assert.Throws<QemuAbortException>(m.Lock);

        Assert.Equal("t1: qemu_mutex_lock(m) while already holding it", abort.Message);
        m.Unlock();
    }

    [Fact]
    public void UnlockingAMutexNotHeldAborts()
    {
        QemuThread.Adopt("t1");
        var m = new QemuMutex("m");

        var abort = Assert.Throws<QemuAbortException>(m.Unlock);

        Assert.Equal("t1: qemu_mutex_unlock(m) without holding it", abort.Message);
    }

    [Fact]
    public void OwnerAndHeldMutexesFollowLockAndUnlock()
    {
        var self = QemuThread.Adopt("t1");
        var a = new QemuMutex("a");
        var b = new QemuMutex("load_bufs_mutex", device: "dev0");

        a.Lock();
        using (b.Locked())
        {
            Assert.Same(self, b.Owner);
            Assert.True(b.HeldByCurrentThread);
            Assert.Equal(["a", "load_bufs_mutex[dev0]"], self.HeldMutexes);
        }

        Assert.Null(b.Owner);
        Assert.Equal(["a"], self.HeldMutexes);
        a.Unlock();
        Assert.Empty(self.HeldMutexes);
    }

    [Fact]
    public void AnotherThreadDoesNotHoldIt()
    {
        QemuThread.Adopt("t1");
        var m = new QemuMutex("m");
        m.Lock();
        bool? heldThere = null;

        var other = QemuThread.Create("t2", _ => heldThere = m.HeldByCurrentThread);
        other.Join();

        Assert.False(heldThere);
        Assert.True(m.HeldByCurrentThread);
        m.Unlock();
    }

    [Fact]
    public void ASecondThreadGetsTheMutexOnceReleased()
    {
        QemuThread.Adopt("t1");
        var m = new QemuMutex("m");
        m.Lock();
        QemuThread? ownerThere = null;

        var other = QemuThread.Create("t2", self =>
        {
            m.Lock();
            ownerThere = m.Owner;
            m.Unlock();
        });
        m.Unlock();
        other.Join();

        Assert.Equal("t2", ownerThere?.Name);
    }

    [Fact]
    public void ProcessMutexReportsTheLocksAlreadyHeld()
    {
        QemuThread.Adopt("main");
        var observer = new RecordingObserver();
        var qemu = new QemuProcess(Side.Destination, Platform.X86_64, observer, ProtocolVariant.Correct);
        var m = qemu.NewMutex("load_bufs_mutex", "dev0");

        qemu.Bql.Lock();
        m.Lock();
        m.Unlock();
        qemu.Bql.Unlock();
        m.Lock();
        m.Unlock();

        var locks = observer.Events<MutexLocked>();
        Assert.Equal(
            new (string, string?, bool)[] { ("BQL", null, false), ("load_bufs_mutex", "dev0", true), ("load_bufs_mutex", "dev0", false) },
            locks.Select(l => (l.Mutex, l.Device, l.BqlHeld)));
        Assert.Equal(["BQL"], locks[1].Held.ToArray());
    }

    [Fact]
    public void BqlLockedIsPerThread()
    {
        QemuThread.Adopt("main");
        var bql = new Bql();
        Assert.False(Bql.Locked);

        bql.Lock();
        bool? lockedThere = null;
        var other = QemuThread.Create("recv", _ => lockedThere = Bql.Locked);
        other.Join();
        Assert.True(Bql.Locked);
        Assert.False(lockedThere);

        bql.Unlock();
        Assert.False(Bql.Locked);
    }

    [Fact]
    public void BqlFollowsItsHolderAcrossThreads()
    {
        QemuThread.Adopt("main");
        var bql = new Bql();
        (bool During, bool After)? there = null;

        var other = QemuThread.Create("load", _ =>
        {
            bql.Lock();
            var during = Bql.Locked;
            bql.Unlock();
            there = (during, Bql.Locked);
        });
        other.Join();

        Assert.Equal((true, false), there);
        Assert.False(Bql.Locked);
    }

    [Fact]
    public void BqlUnlockWithoutHoldingItAborts()
    {
        QemuThread.Adopt("main");
        var bql = new Bql();

        var abort = Assert.Throws<QemuAbortException>(bql.Unlock);

        Assert.Equal("main: qemu_mutex_unlock(BQL) without holding it", abort.Message);
        Assert.False(Bql.Locked);
    }

    [Fact]
    public void BqlIsNotRecursive()
    {
        QemuThread.Adopt("main");
        var bql = new Bql();
        bql.Lock();

        Assert.Throws<QemuAbortException>(bql.Lock);

        Assert.True(Bql.Locked);
        bql.Unlock();
    }

    [Fact]
    public void EngineCodeOffAQemuThreadIsRefused()
    {
        string? message = null;
        using (ExecutionContext.SuppressFlow())
        {
            var thread = new Thread(() =>
            {
                try
                {
                    _ = QemuThread.Current;
                }
                catch (InvalidOperationException ex)
                {
                    message = ex.Message;
                }
            });
            thread.Start();
            thread.Join();
        }

        Assert.Equal("engine code must run on a QemuThread", message);
    }
}

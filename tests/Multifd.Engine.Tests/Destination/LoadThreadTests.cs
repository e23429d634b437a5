using Multifd.Engine.Ports;
using Multifd.Engine.Tests.Support;
using Multifd.Engine.Wire;

namespace Multifd.Engine.Tests.Destination;

/// <summary>vfio_load_bufs_thread on a real thread: its exits, its config load, cleanup (PROTOCOL.md §1.2 D-LT, §5, §6).</summary>
public class LoadThreadTests
{
    [Fact]
    public void ConfigOnlyStreamLoadsTheConfigUnderTheBql()
    {
        var h = new LoadBufsHarness();
        Assert.Null(h.InsertConfig(0, LoadBufsHarness.ConfigBlob(0x11, 0x22)));

        Assert.Null(h.RunLoadThread());

        Assert.Empty(h.Device.Image);
        Assert.Equal(new byte[] { 0x11, 0x22 }, h.Device.LoadedConfig);
        var start = Assert.Single(h.Observer.Events<ConfigLoadStart>());
        Assert.True(start.BqlHeld);
        // The BQL was taken under load_bufs_mutex (lock order load_bufs_mutex -> BQL).
        var bqlTake = h.Observer.All.Single(o => o.Thread == "load[dev0]" && o.Event is MutexLocked { Mutex: "BQL" });
        Assert.Equal(["load_bufs_mutex[dev0]"], ((MutexLocked)bqlTake.Event).Held.ToArray());
        Assert.Equal([true], h.Observer.Events<LoadBufsThreadEnd>().Select(e => e.Ret));
    }

    [Fact]
    public void WriteFailureEndsTheThreadWithQemuText()
    {
        var h = new LoadBufsHarness();
        Assert.Null(h.Insert(0, [1, 2]));
        Assert.Null(h.InsertConfig(1, LoadBufsHarness.ConfigBlob()));
        h.Device.CloseDataFd(); // write() now fails with EBADF (9)

        var error = h.RunLoadThread();

        Assert.Equal(new Engine.Destination.LoadError("dev0: writing state buffer 0 failed: 9", ErrorKind.Device), error);
        Assert.Equal(0, h.Device.ConfigLoads);
        Assert.Equal([false], h.Observer.Events<LoadBufsThreadEnd>().Select(e => e.Ret));
    }

    [Fact]
    public void ConfigBufferWithoutItsLeadingMarkerIsRejected()
    {
        var h = new LoadBufsHarness();
        Assert.Null(h.InsertConfig(0, [0xff, 0xff, 0xff, 0xff, 0xef, 0x10, 0x00, 0x01]));

        var error = h.RunLoadThread();

        Assert.Equal("dev0: expected FLAG_DEV_CONFIG_STATE but got ffffffffef100001", error?.Message);
        Assert.Equal(0, h.Device.ConfigLoads);
    }

    [Fact]
    public void ShouldQuitCancelsBeforeAnyWrite()
    {
        var h = new LoadBufsHarness();
        Assert.Null(h.Insert(0, [1]));
        Assert.Null(h.InsertConfig(1, LoadBufsHarness.ConfigBlob()));

        h.StartLoadThread(shouldQuit: true);
        h.JoinLoadThread();

        Assert.Equal(new Engine.Destination.LoadError("operation cancelled", ErrorKind.Cancelled), h.LoadThreadResult);
        Assert.Empty(h.Device.Image);
    }

    [Fact]
    public void CleanupStopsAStarvedThread()
    {
        var h = new LoadBufsHarness();
        Assert.Null(h.Insert(0, [1, 2]));
        Assert.Null(h.InsertConfig(2, LoadBufsHarness.ConfigBlob()));
        h.StartLoadThread();
        h.Observer.WaitFor<BufferStarved>(s => s.Idx == 1);

        h.Free();
        h.JoinLoadThread();

        Assert.Equal("operation cancelled", h.LoadThreadResult?.Message);
        Assert.True(Assert.Single(h.Observer.Events<LoadBufsThreadCleanedUp>()).Waited);
        var freed = Assert.Single(h.Observer.Events<VfioMultifdFreed>());
        Assert.Equal((1, false), (freed.BuffersFreed, freed.LoadThreadRunning)); // the config; idx 0 was consumed
        Assert.Equal(new byte[] { 1, 2 }, h.Device.Image);
        // Cleanup took load_bufs_mutex only with the BQL dropped, and freed the array without it.
        Assert.DoesNotContain(h.Observer.All, o => o.Thread == "test" && o.Event is MutexLocked { Mutex: "load_bufs_mutex", BqlHeld: true });
    }

    [Fact]
    public void CleanupWithoutALoadThreadDoesNotWait()
    {
        var h = new LoadBufsHarness();
        Assert.Null(h.Insert(3, [1]));

        h.Free();

        Assert.False(Assert.Single(h.Observer.Events<LoadBufsThreadCleanedUp>()).Waited);
        Assert.Equal(1, Assert.Single(h.Observer.Events<VfioMultifdFreed>()).BuffersFreed);
    }

    [Fact]
    public void ConfigAfterIterWaitsForLoadReady()
    {
        var h = new LoadBufsHarness(configAfterIter: true);
        Assert.Null(h.Insert(0, [5]));
        Assert.Null(h.InsertConfig(1, LoadBufsHarness.ConfigBlob(0x33)));
        h.StartLoadThread();
        h.Observer.WaitFor<IterDoneWait>(_ => true);

        // The thread waits on load_bufs_iter_done_cond with the mutex released: no config yet.
        Assert.Equal(0, h.Device.ConfigLoads);
        Assert.Equal(new byte[] { 5 }, h.Device.Image);

        h.Qemu.Bql.Lock();
        Assert.Equal(0, h.Multifd.ConfigLoadReady(out var error));
        Assert.Null(error);
        h.Qemu.Bql.Unlock();
        h.JoinLoadThread();

        Assert.Null(h.LoadThreadResult);
        Assert.Equal(new byte[] { 0x33 }, h.Device.LoadedConfig);
        Assert.True(Assert.Single(h.Observer.Events<ConfigLoadStart>()).IterDone);

        h.Qemu.Bql.Lock();
        Assert.Equal(-Errno.EINVAL, h.Multifd.ConfigLoadReady(out var duplicate));
        h.Qemu.Bql.Unlock();
        Assert.Equal("dev0: duplicate DEV_CONFIG_LOAD_READY", duplicate);
    }

    [Fact]
    public void LoadReadyBeforeTheThreadLetsItLoadAtOnce()
    {
        var h = new LoadBufsHarness(configAfterIter: true);
        Assert.Null(h.InsertConfig(0, LoadBufsHarness.ConfigBlob(0x44)));
        h.Qemu.Bql.Lock();
        Assert.Equal(0, h.Multifd.ConfigLoadReady(out _));
        h.Qemu.Bql.Unlock();

        Assert.Null(h.RunLoadThread());

        Assert.Empty(h.Observer.Events<IterDoneWait>());
        Assert.Equal(new byte[] { 0x44 }, h.Device.LoadedConfig);
    }

    [Fact]
    public void LoadReadyWithAfterIterOffIsRefused()
    {
        var h = new LoadBufsHarness(configAfterIter: false);

        h.Qemu.Bql.Lock();
        Assert.Equal(-Errno.EINVAL, h.Multifd.ConfigLoadReady(out var error));
        h.Qemu.Bql.Unlock();

        Assert.Equal("dev0: got DEV_CONFIG_LOAD_READY but was disabled", error);
    }

    [Fact]
    public void CleanupWakesAThreadWaitingForLoadReady()
    {
        var h = new LoadBufsHarness(configAfterIter: true);
        Assert.Null(h.InsertConfig(0, LoadBufsHarness.ConfigBlob()));
        h.StartLoadThread();
        h.Observer.WaitFor<IterDoneWait>(_ => true);

        h.Free();
        h.JoinLoadThread();

        Assert.Equal("operation cancelled", h.LoadThreadResult?.Message);
        Assert.Equal(0, h.Device.ConfigLoads);
    }

    [Fact]
    public void SwitchoverStartDropsTheBqlBeforeTakingTheMutex()
    {
        var h = new LoadBufsHarness();
        Assert.Null(h.InsertConfig(0, LoadBufsHarness.ConfigBlob()));

        h.StartLoadThread();
        h.JoinLoadThread();

        var byTest = h.Observer.All.Where(o => o.Thread == "test").Select(o => o.Event).OfType<MutexLocked>()
            .Where(m => m.Mutex == "load_bufs_mutex").ToList();
        Assert.NotEmpty(byTest);
        Assert.All(byTest, m => Assert.False(m.BqlHeld));
        Assert.Contains(h.Observer.Events<ThreadStarted>(), t => t.Name == "load[dev0]");
    }
}

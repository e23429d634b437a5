using Multifd.Engine.Core;
using Multifd.Engine.Ports;
using Multifd.Engine.Tests.Support;

namespace Multifd.Engine.Tests.Core;

/// <summary>
/// util/thread-pool.c as the migration core uses it: thread_pool_submit_immediate gives each work item its own
/// thread; thread_pool_wait returns once cur_work is 0; thread_pool_free also joins the threads.
/// </summary>
public class QemuThreadPoolTests
{
    private readonly RecordingObserver observer = new();
    private readonly QemuProcess qemu;

    public QemuThreadPoolTests()
    {
        QemuThread.Adopt("main");
        qemu = new QemuProcess(Side.Destination, Platform.X86_64, observer, ProtocolVariant.Correct);
    }

    /// <summary>Joins <paramref name="thread"/>; the timeout is a safety net against a hang.</summary>
    private static void JoinWithin(QemuThread thread) =>
        Assert.True(thread.Completion.Wait(10_000), $"{thread} did not end (safety net)");

    [Fact]
    public void WaitWithNoWorkReturns()
    {
        var pool = new QemuThreadPool("pool", qemu);

        pool.Wait();
        pool.Free();

        Assert.Empty(observer.Events<ThreadStarted>());
    }

    [Fact]
    public void EachWorkItemRunsOnItsOwnNamedThread()
    {
        var pool = new QemuThreadPool("pool", qemu);
        var ranOn = new string[2];

        pool.SubmitImmediate("load[dev0]", () => ranOn[0] = QemuThread.Current.Name);
        pool.SubmitImmediate("load[dev1]", () => ranOn[1] = QemuThread.Current.Name);
        pool.Free();

        Assert.Equal(["load[dev0]", "load[dev1]"], ranOn);
    }

    [Fact]
    public void WaitReturnsOnlyAfterEveryWorkItemReturned()
    {
        var pool = new QemuThreadPool("pool", qemu);
        var gate = new SemaphoreSlim(0);
        var finished = 0;
        for (var i = 0; i < 3; i++)
        {
            pool.SubmitImmediate($"w{i}", () =>
            {
                Assert.True(gate.Wait(10_000), "gate not opened (safety net)");
                Interlocked.Increment(ref finished);
            });
        }

        int? finishedWhenWaitReturned = null;
        var waiter = QemuThread.Create("waiter", _ =>
        {
            pool.Wait();
            finishedWhenWaitReturned = Volatile.Read(ref finished);
        });
        gate.Release(3);
        JoinWithin(waiter);

        Assert.Equal(3, finishedWhenWaitReturned);
        pool.Free();
    }

    [Fact]
    public void FreeJoinsEveryPoolThread()
    {
        var pool = new QemuThreadPool("pool", qemu);
        pool.SubmitImmediate("w0", () => { });
        pool.SubmitImmediate("w1", () => { });

        pool.Free();

        // The thread-end event follows the work's return (and cur_work--): seen only because Free joined.
        Assert.Equal(["w0", "w1"], observer.Events<ThreadEnded>().Select(e => e.Name).Order());
        Assert.All(observer.Events<ThreadEnded>(), e => Assert.False(e.Aborted));
    }

    [Fact]
    public void AQemuAssertionEndsItsThreadAsAnAbort()
    {
        var pool = new QemuThreadPool("pool", qemu);

        pool.SubmitImmediate("w0", () => QemuAssert.That(false, "boom"));
        // An abort ends the process: nothing accounts the work item any more, so only wait for the thread's end.
        Assert.True(SpinWait.SpinUntil(() => observer.Events<ThreadEnded>().Any(), TimeSpan.FromSeconds(10)));

        Assert.Equal("boom", Assert.Single(observer.Events<QemuAborted>()).Message);
        Assert.True(Assert.Single(observer.Events<ThreadEnded>()).Aborted);
    }

    [Fact]
    public void ProcessKeepsTheFirstError()
    {
        Assert.False(qemu.HasError);

        qemu.SetError("first", ErrorKind.Channel);
        qemu.SetError("second", ErrorKind.Device);

        Assert.True(qemu.HasError);
        Assert.Equal("first", qemu.Error);
        Assert.Equal(["first", "second"], observer.Events<MigrationErrorSet>().Select(e => e.Message));
    }
}

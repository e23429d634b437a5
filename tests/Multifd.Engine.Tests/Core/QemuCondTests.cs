using Multifd.Engine.Core;

namespace Multifd.Engine.Tests.Core;

/// <summary>
/// QemuCond: wait releases and retakes the mutex, signal wakes a waiter, broadcast wakes them all, and with
/// no waiter a signal or broadcast returns at once and is not remembered (the no-waiter fast path).
/// Waiters are known to be inside Wait when the test can take the mutex after they announced the wait:
/// they only release it in Wait.
/// </summary>
public class QemuCondTests
{
    private const int SafetyMs = 10_000;

    /// <summary>State shared by the waiters, protected by <see cref="Mutex"/>.</summary>
    private sealed class Waiters
    {
        public readonly QemuMutex Mutex = new("m");
        public QemuCond Cond = null!;
        public int Tokens;       // what a waiter needs to leave
        public int Waiting;      // waiters that announced a wait (inside Wait once the mutex is free)
        public int Wakeups;      // returns from Wait
        public int Left;         // waiters that took a token and left

        public Waiters() => Cond = new QemuCond("c", Mutex);

        /// <summary>A waiter: waits until a token is there, takes it, leaves.</summary>
        public QemuThread Start(string name) => QemuThread.Create(name, _ =>
        {
            using (Mutex.Locked())
            {
                while (Tokens == 0)
                {
                    Waiting++;
                    Cond.Wait();
                    Waiting--;
                    Wakeups++;
                }

                Tokens--;
                Left++;
            }
        });

        /// <summary>Blocks until <paramref name="done"/> holds (checked under the mutex). The timeout is a safety net.</summary>
        public void Until(Func<Waiters, bool> done)
        {
            var deadline = Environment.TickCount64 + SafetyMs;
            while (true)
            {
                using (Mutex.Locked())
                {
                    if (done(this))
                    {
                        return;
                    }
                }

                Assert.True(Environment.TickCount64 < deadline, "condition not reached (safety net)");
                Thread.Yield();
            }
        }
    }

    private static void Join(params QemuThread[] threads) =>
        Assert.True(Task.WaitAll(threads.Select(t => t.Completion).ToArray(), SafetyMs), "waiters did not end (safety net)");

    [Fact]
    public void SignalWakesAWaiter()
    {
        QemuThread.Adopt("main");
        var w = new Waiters();
        var t = w.Start("w1");
        w.Until(s => s.Waiting == 1);

        using (w.Mutex.Locked())
        {
            w.Tokens = 1;
            w.Cond.Signal();
        }

        Join(t);
        Assert.Equal((1, 1, 0), (w.Wakeups, w.Left, w.Tokens));
    }

    [Fact]
    public void BroadcastWakesEveryWaiter()
    {
        QemuThread.Adopt("main");
        var w = new Waiters();
        var threads = new[] { w.Start("w1"), w.Start("w2"), w.Start("w3") };
        w.Until(s => s.Waiting == 3);

        using (w.Mutex.Locked())
        {
            w.Tokens = 3;
            w.Cond.Broadcast();
        }

        Join(threads);
        Assert.Equal((3, 3), (w.Wakeups, w.Left));
    }

    [Fact]
    public void SignalsReachWaitersOneAtATime()
    {
        QemuThread.Adopt("main");
        var w = new Waiters();
        var threads = new[] { w.Start("w1"), w.Start("w2") };
        w.Until(s => s.Waiting == 2);

        using (w.Mutex.Locked())
        {
            w.Tokens = 1;
            w.Cond.Signal();
        }

        w.Until(s => s.Left == 1);
        using (w.Mutex.Locked())
        {
            w.Tokens = 1;
            w.Cond.Signal();
        }

        Join(threads);
        Assert.Equal((2, 0), (w.Left, w.Tokens));
    }

    [Fact]
    public void AWaiterAfterTheFastPathIsStillWoken()
    {
        // Wait, signal, leave; a signal and a broadcast with nobody waiting return at once (the fast path,
        // on the test's own thread); then a new waiter must still be counted and woken.
        QemuThread.Adopt("main");
        var w = new Waiters();
        var first = w.Start("w1");
        w.Until(s => s.Waiting == 1);
        using (w.Mutex.Locked())
        {
            w.Tokens = 1;
            w.Cond.Signal();
        }

        Join(first);
        using (w.Mutex.Locked())
        {
            w.Cond.Signal(); // no waiter: the fast path
            w.Cond.Broadcast();
        }

        var second = w.Start("w2");
        w.Until(s => s.Waiting == 1);
        using (w.Mutex.Locked())
        {
            w.Tokens = 1;
            w.Cond.Signal();
        }

        Join(second);
        Assert.Equal((2, 2), (w.Wakeups, w.Left));
    }

    [Fact]
    public void WaitHoldsTheMutexAgainOnReturn()
    {
        QemuThread.Adopt("main");
        var w = new Waiters();
        bool? heldAfterWait = null;
        var t = QemuThread.Create("w1", _ =>
        {
            using (w.Mutex.Locked())
            {
                w.Waiting++;
                while (w.Tokens == 0)
                {
                    w.Cond.Wait();
                }

                heldAfterWait = w.Mutex.HeldByCurrentThread;
            }
        });
        w.Until(s => s.Waiting == 1);
        using (w.Mutex.Locked())
        {
            w.Tokens = 1;
            w.Cond.Broadcast();
        }

        Join(t);
        Assert.True(heldAfterWait);
    }

    [Fact]
    public void SignalOrWaitWithoutTheMutexAborts()
    {
        QemuThread.Adopt("main");
        var w = new Waiters();

        Assert.Equal("main: qemu_cond_signal(c) without holding m", Assert.Throws<QemuAbortException>(w.Cond.Signal).Message);
        Assert.Equal("main: qemu_cond_signal(c) without holding m", Assert.Throws<QemuAbortException>(w.Cond.Broadcast).Message);
        Assert.Equal("main: qemu_cond_wait(c) without holding m", Assert.Throws<QemuAbortException>(w.Cond.Wait).Message);
    }

    [Fact]
    public void SpuriousWakeupReturnsWithoutASignalAndTheMutexHeld()
    {
        QemuThread.Adopt("main");
        var m = new QemuMutex("m");
        var asked = 0;
        var cond = new QemuCond("c", m, () => ++asked > 0);

        using (m.Locked())
        {
            cond.Wait();
            Assert.True(m.HeldByCurrentThread);
        }

        Assert.Equal(1, asked);
    }
}

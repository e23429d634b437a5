namespace Multifd.Engine.Core;

/// <summary>QEMU's QemuSemaphore (qemu_sem_post / qemu_sem_wait): a count and the threads waiting for it.</summary>
/// <param name="onBlock">Called when a wait is about to block (the count is zero), for the trace.</param>
/// <remarks>
/// As QEMU's (a mutex, a count and a cond): a post adds one to the count and wakes one waiter, which takes the count
/// only if no other thread took it first. Scheduling decisions: a wait that finds the count positive is one decision
/// (another thread may take the count first); a wait that finds it zero blocks, and blocking is the decision (a
/// decision before it would only let another thread post first, which the blocked wait sees as well); a post is none.
/// The gate is a plain monitor (<see cref="SchedulerHints.Plain"/>), held only in regions without a scheduling decision.
/// </remarks>
public sealed class QemuSemaphore(string name, int initial = 0, Action<QemuSemaphore>? onBlock = null)
{
    private readonly object gate = new();
    private readonly Queue<IWakeup> waiters = new(); // protected by gate
    private int count = initial; // protected by gate

    public string Name { get; } = name;

    public void Post()
    {
        using (SchedulerHints.Plain(gate))
        {
            count++;
            if (waiters.TryDequeue(out var waiter))
            {
                waiter.Set();
            }
        }
    }

    public void Wait()
    {
        if (Count() > 0)
        {
            SchedulerHints.Point();
        }

        while (true)
        {
            IWakeup wake;
            using (SchedulerHints.Plain(gate))
            {
                if (count > 0)
                {
                    count--;
                    return;
                }

                wake = SchedulerHints.NewWakeup();
                waiters.Enqueue(wake);
            }

            onBlock?.Invoke(this);
            wake.Wait();
        }
    }

    private int Count()
    {
        using (SchedulerHints.Plain(gate))
        {
            return count;
        }
    }
}

namespace Multifd.Engine.Core;

/// <summary>
/// util/thread-pool.c's ThreadPool as the migration core uses it: thread_pool_submit_immediate gives every
/// work item a thread of its own (thread_pool_adjust_max_threads_to_work); thread_pool_wait waits for
/// cur_work == 0 on all_finished_cond; thread_pool_free waits for every work item to return.
/// Simplification: a work item's thread is created at submission; GLib's scheduling of queued work onto
/// idle pool threads is not modelled (the controlled scheduler already delays the thread's first step).
/// </summary>
public sealed class QemuThreadPool
{
    private readonly QemuMutex curWorkLock;
    private readonly QemuCond allFinishedCond;
    private readonly QemuProcess qemu;
    private readonly List<QemuThread> threads = [];
    private int curWork; // protected by curWorkLock

    /// <param name="qemu">The process whose threads, mutex and cond the pool uses (and traces).</param>
    public QemuThreadPool(string name, QemuProcess qemu)
    {
        Name = name;
        this.qemu = qemu;
        curWorkLock = new QemuMutex($"{name}.cur_work_lock");
        allFinishedCond = qemu.NewCond($"{name}.all_finished_cond", curWorkLock);
    }

    public string Name { get; }

    /// <summary>thread_pool_submit_immediate.</summary>
    public void SubmitImmediate(string threadName, Action work)
    {
        using (curWorkLock.Locked())
        {
            curWork++;
        }

        threads.Add(qemu.StartThread(threadName, () => RunWork(work)));
    }

    /// <summary>thread_pool_wait: returns once every submitted work item has returned.</summary>
    public void Wait()
    {
        using (curWorkLock.Locked())
        {
            while (curWork > 0)
            {
                allFinishedCond.Wait();
            }
        }
    }

    /// <summary>thread_pool_free (g_thread_pool_free with wait = TRUE): waits for all work, joins threads.</summary>
    public void Free()
    {
        Wait();
        foreach (var thread in threads)
        {
            qemu.Join(thread);
        }

        threads.Clear();
    }

    /// <summary>thread_pool_func: runs the work, then accounts it under cur_work_lock.</summary>
    private void RunWork(Action work)
    {
        work();
        using (curWorkLock.Locked())
        {
            QemuAssert.That(curWork > 0, $"{Name}: cur_work underflow");
            curWork--;
            if (curWork == 0)
            {
                allFinishedCond.Broadcast();
            }
        }
    }
}

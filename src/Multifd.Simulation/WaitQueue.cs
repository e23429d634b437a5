namespace Multifd.Simulation;

/// <summary>
/// The threads waiting for a condition of the simulated world that a monitor protects (a channel's data, or its
/// space). Each waiter parks on a semaphore of its own, released by the wakeup.
/// </summary>
/// <remarks>
/// Under Coyote a wakeup here costs no scheduling decision and creates nothing, where Monitor.Pulse/PulseAll hands
/// each pulse to a task it creates for the purpose (a Create, a Default and a Complete step, and an OS thread).
/// </remarks>
internal sealed class WaitQueue
{
    private readonly List<SemaphoreSlim> waiters = []; // protected by the caller's monitor

    /// <summary>Releases <paramref name="gate"/> (entered once by the caller), waits for a wakeup, enters it again.</summary>
    public void Wait(object gate)
    {
        var parked = new SemaphoreSlim(0);
        waiters.Add(parked);
        Monitor.Exit(gate);
        parked.Wait();
        Monitor.Enter(gate);
    }

    /// <summary>Wakes every waiter. Called with the monitor held.</summary>
    public void WakeAll()
    {
        foreach (var parked in waiters)
        {
            parked.Release();
        }

        waiters.Clear();
    }
}

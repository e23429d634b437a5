using Multifd.Engine.Core;

namespace Multifd.Simulation;

/// <summary>
/// The threads waiting for a condition of the simulated world that a monitor protects (a channel's data, or its
/// space). Each waiter parks on a wake-up of its own, completed by the wakeup.
/// </summary>
/// <remarks>
/// Under Coyote a wakeup here costs no scheduling decision and creates nothing, where Monitor.Pulse/PulseAll hands
/// each pulse to a task it creates for the purpose (a Create, a Default and a Complete step, and an OS thread).
/// Releasing the monitor and blocking are one step, and the woken thread enters the monitor again without a decision:
/// the monitor's owner (<see cref="SimChannel"/>) makes no scheduling decision while it holds it, so it is free then.
/// </remarks>
internal sealed class WaitQueue
{
    private readonly List<IWakeup> waiters = []; // protected by the caller's monitor

    /// <summary>Releases <paramref name="gate"/> (entered once by the caller), waits for a wakeup, enters it again.</summary>
    public void Wait(IMutexGate gate)
    {
        var wake = SchedulerHints.NewWakeup();
        waiters.Add(wake);
        gate.Exit();
        wake.Wait();
        using (SchedulerHints.NoPoints())
        {
            gate.Enter();
        }
    }

    /// <summary>Wakes every waiter. Called with the monitor held.</summary>
    public void WakeAll()
    {
        foreach (var wake in waiters)
        {
            wake.Set();
        }

        waiters.Clear();
    }
}

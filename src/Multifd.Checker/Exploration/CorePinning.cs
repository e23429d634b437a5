using System.Runtime.InteropServices;
using Multifd.Engine.Core;

namespace Multifd.Checker.Exploration;

/// <summary>
/// Keeps each worker of a parallel exploration on a core of its own (Linux): every thread of its schedules (the test
/// entry and each QEMU thread) pins itself to the worker's core when it starts.
/// </summary>
/// <remarks>
/// <para>Why: Coyote runs one thread of a schedule at a time and hands control from OS thread to OS thread. Left free,
/// one exploration spreads over both cores of a 2-core machine (the thread handing off spins on one core while the
/// next runs on the other, 1.4 cores busy), and two explorations fight over the cores with their spinning: measured
/// here, two free processes of 1,000 schedules each took 19.7 and 22.4 s together, two pinned ones (one per core) 11.7
/// and 12.5 s, and one alone about 10 s, pinned or not (docs/performance.md).</para>
/// <para>How: .NET resets a new thread's affinity to the process's, so pinning the worker thread is not enough; the
/// worker's core travels with the execution context (an <see cref="AsyncLocal{T}"/>, which flows into the threads
/// Coyote starts for a schedule) and each thread applies it in <see cref="SchedulerHints.ThreadStarting"/>.</para>
/// <para>What it changes: only which core runs a thread. Coyote decides which thread runs; schedules, decisions and
/// results are the same pinned or not. The class is left out of Coyote's rewriting: its counter's Interlocked call
/// would otherwise be a scheduling decision of every thread start (and change the schedules).</para>
/// </remarks>
[Microsoft.Coyote.Rewriting.SkipRewriting("harness: pins threads to CPUs, no part of the model")]
public static class CorePinning
{
    private static readonly AsyncLocal<int?> WorkerCore = new();
    private const int MaskBytes = 128; // 1,024 CPUs, as glibc's cpu_set_t
    private static long threadsPinned;

    static CorePinning() => SchedulerHints.InstallThreadStart(PinCurrentThread);

    /// <summary>
    /// The CPUs the calling thread may run on, in order (a thread .NET started: the process's); empty where affinity
    /// cannot be read (not Linux).
    /// </summary>
    public static IReadOnlyList<int> AllowedCpus()
    {
        if (!OperatingSystem.IsLinux())
        {
            return [];
        }

        var mask = new byte[MaskBytes];
        if (sched_getaffinity(0, MaskBytes, mask) != 0)
        {
            return [];
        }

        var cpus = new List<int>();
        for (var cpu = 0; cpu < MaskBytes * 8; cpu++)
        {
            if ((mask[cpu / 8] & (1 << (cpu % 8))) != 0)
            {
                cpus.Add(cpu);
            }
        }

        return cpus;
    }

    /// <summary>
    /// The CPU for worker <paramref name="worker"/> of <paramref name="workers"/>, or null to leave it free: one
    /// worker, fewer than two CPUs known, or pinning turned off.
    /// </summary>
    public static int? CpuFor(int worker, int workers, bool enabled)
    {
        if (!enabled || workers < 2)
        {
            return null;
        }

        var cpus = AllowedCpus();
        return cpus.Count < 2 ? null : cpus[worker % cpus.Count];
    }

    /// <summary>
    /// Makes <paramref name="cpu"/> the CPU of the calling thread and of every thread started from its execution
    /// context from now on (null: leaves them free).
    /// </summary>
    public static void Enter(int? cpu)
    {
        WorkerCore.Value = cpu;
        PinCurrentThread();
    }

    /// <summary>Pins the calling thread to its worker's CPU, if it has one; a failure leaves it free.</summary>
    public static void PinCurrentThread()
    {
        if (WorkerCore.Value is not { } cpu || !OperatingSystem.IsLinux())
        {
            return;
        }

        var mask = new byte[MaskBytes];
        mask[cpu / 8] = (byte)(1 << (cpu % 8));
        if (sched_setaffinity(0, MaskBytes, mask) == 0)
        {
            Interlocked.Increment(ref threadsPinned);
        }
    }

    /// <summary>Threads pinned so far in this process (for tests and diagnostics).</summary>
    public static long ThreadsPinned => Interlocked.Read(ref threadsPinned);

    [DllImport("libc", SetLastError = true)]
    private static extern int sched_setaffinity(int pid, nint cpusetsize, byte[] mask);

    [DllImport("libc", SetLastError = true)]
    private static extern int sched_getaffinity(int pid, nint cpusetsize, byte[] mask);
}

using System.Runtime.InteropServices;
using Multifd.Engine.Core;

namespace Multifd.Checker.Exploration;

/// <summary>
/// Keeps each worker of an exploration on a CPU of its own (Linux): every thread of its schedules (the test entry and
/// each QEMU thread) pins itself to the worker's CPU when it starts, and then waits for its turn without spinning
/// (<see cref="QuietHandOff"/>).
/// </summary>
/// <remarks>
/// <para>Why: Coyote runs one thread of a schedule at a time and hands control from OS thread to OS thread. Left free,
/// one exploration spreads over both cores of a 2-core machine: the thread handing off spins on one core while the
/// next runs on the other (1.4 cores busy), every hand-off that crosses cores is an inter-processor wake-up, and two
/// explorations fight over the cores with their spinning. Measured here (docs/performance.md): two free processes of
/// 1,000 schedules each took 19.7 and 22.4 s together, two pinned ones (one per CPU) 11.7 and 12.5 s; one exploration
/// alone took 10.1 to 11.4 s free and 8.0 to 9.2 s pinned with the quiet hand-off, on two thirds of the CPU time.</para>
/// <para>Which CPU: worker i of N gets the i-th allowed CPU (modulo their number); a lone worker stays on the CPU it
/// was started on (the kernel's choice, so two processes each with one worker tend to land apart). Nothing is pinned
/// when fewer than two CPUs are allowed, or when pinning is turned off (<c>check --no-pin</c>).</para>
/// <para>How: .NET resets a new thread's affinity to the process's, so pinning the worker thread is not enough; the
/// worker's CPU travels with the execution context (an <see cref="AsyncLocal{T}"/>, which flows into the threads
/// Coyote starts for a schedule) and each thread applies it in <see cref="SchedulerHints.ThreadStarting"/>. The
/// worker's own thread gets its affinity back when its <see cref="Scope"/> ends.</para>
/// <para>What it changes: only which CPU runs a thread and how a parked thread waits. Coyote decides which thread runs;
/// schedules, decisions and results are the same pinned or not. The class is left out of Coyote's rewriting: its
/// counter's Interlocked call would otherwise be a scheduling decision of every thread start (and change the
/// schedules).</para>
/// </remarks>
[Microsoft.Coyote.Rewriting.SkipRewriting("harness: pins threads to CPUs, no part of the model")]
public static class CorePinning
{
    private static readonly AsyncLocal<int?> WorkerCore = new();
    private const int MaskBytes = 128; // 1,024 CPUs, as glibc's cpu_set_t
    private static long threadsPinned;

    /// <summary>The CPUs of the process when pinning began: what a thread pinned earlier gets back to run free.</summary>
    private static readonly byte[]? ProcessMask = CurrentMask();

    /// <summary>The CPU this thread pinned itself to, plus one (0: not pinned here). A pooled thread keeps it across schedules.</summary>
    [ThreadStatic]
    private static int pinnedTo;

    static CorePinning() => SchedulerHints.InstallThreadStart(PinCurrentThread);

    /// <summary>
    /// The CPUs the calling thread may run on, in order (a thread .NET started: the process's); empty where affinity
    /// cannot be read (not Linux).
    /// </summary>
    public static IReadOnlyList<int> AllowedCpus()
    {
        if (CurrentMask() is not { } mask)
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
    /// The CPU for worker <paramref name="worker"/> of <paramref name="workers"/>, or null to leave it free: fewer than
    /// two CPUs known, or pinning turned off. A lone worker gets the CPU the calling thread runs on.
    /// </summary>
    public static int? CpuFor(int worker, int workers, bool enabled)
    {
        if (!enabled)
        {
            return null;
        }

        var cpus = AllowedCpus();
        if (cpus.Count < 2)
        {
            return null;
        }

        if (workers < 2)
        {
            var current = sched_getcpu();
            return cpus.Contains(current) ? current : cpus[0];
        }

        return cpus[worker % cpus.Count];
    }

    /// <summary>
    /// Makes <paramref name="cpu"/> the CPU of the calling thread and of every thread started from its execution
    /// context, until the scope is disposed (null: leaves them free). Disposing gives the calling thread back the
    /// CPUs it had.
    /// </summary>
    public static Scope Enter(int? cpu)
    {
        var previous = WorkerCore.Value;
        var mask = cpu is null ? null : CurrentMask();
        WorkerCore.Value = cpu;
        PinCurrentThread();
        return new Scope(previous, mask);
    }

    /// <summary>
    /// Pins the calling thread to its worker's CPU, if it has one, and then makes its Coyote operation wait without
    /// spinning; a failure leaves it free (and spinning). A thread that runs one QEMU thread after another (a pooled
    /// thread, CoyoteThreadLauncher) is pinned again only when its worker's CPU changed, and gets the process's CPUs
    /// back when its new worker has none.
    /// </summary>
    public static void PinCurrentThread()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        if (WorkerCore.Value is not { } cpu)
        {
            if (pinnedTo != 0 && ProcessMask is not null && sched_setaffinity(0, MaskBytes, ProcessMask) == 0)
            {
                pinnedTo = 0;
            }

            return;
        }

        if (pinnedTo != cpu + 1)
        {
            var mask = new byte[MaskBytes];
            mask[cpu / 8] = (byte)(1 << (cpu % 8));
            if (sched_setaffinity(0, MaskBytes, mask) != 0)
            {
                return;
            }

            pinnedTo = cpu + 1;
        }

        Interlocked.Increment(ref threadsPinned);
        QuietHandOff.Apply();
    }

    /// <summary>The worker's pinning, until disposed.</summary>
    public readonly struct Scope : IDisposable
    {
        private readonly int? previous;
        private readonly byte[]? mask;

        internal Scope(int? previous, byte[]? mask)
        {
            this.previous = previous;
            this.mask = mask;
        }

        public void Dispose()
        {
            WorkerCore.Value = previous;
            if (mask is not null && sched_setaffinity(0, MaskBytes, mask) == 0)
            {
                pinnedTo = 0;
            }
        }
    }

    /// <summary>The calling thread's affinity mask, or null where it cannot be read (not Linux).</summary>
    private static byte[]? CurrentMask()
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        var mask = new byte[MaskBytes];
        return sched_getaffinity(0, MaskBytes, mask) == 0 ? mask : null;
    }

    /// <summary>Threads pinned so far in this process (for tests and diagnostics).</summary>
    public static long ThreadsPinned => Interlocked.Read(ref threadsPinned);

    [DllImport("libc", SetLastError = true)]
    private static extern int sched_setaffinity(int pid, nint cpusetsize, byte[] mask);

    [DllImport("libc")]
    private static extern int sched_getcpu();

    [DllImport("libc", SetLastError = true)]
    private static extern int sched_getaffinity(int pid, nint cpusetsize, byte[] mask);
}

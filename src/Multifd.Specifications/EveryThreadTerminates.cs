using Multifd.Engine.Ports;

namespace Multifd.Specifications;

/// <summary>
/// P8: after success, error or cancel every thread ends and is joined, VFIOMultifd is freed only after its
/// load thread stopped and after the recv threads were joined, and data_fd is closed only after the load
/// thread stopped (no write reaches a closed data_fd).
/// </summary>
/// <remarks>
/// "Stopped" is QEMU's: vfio_load_bufs_thread cleared load_bufs_thread_running and returned
/// (vfio_load_bufs_thread_end); the pool thread that ran it may end later, touching nothing of the device.
/// The liveness half (every thread does end) is <see cref="EveryThreadTerminatesLiveness"/>.
/// QEMU traces the start and end of the load, recv, send and save threads, and vfio_load_cleanup after the free and
/// the close: those pairs and that order are checked in both streams. In a log a thread that never ended is a hang
/// only if the process exited (observe --ended); else the run may still be going on.
/// </remarks>
public sealed class EveryThreadTerminates : Property
{
    private readonly HashSet<string> running = [];
    private readonly HashSet<string> loadThreadRunning = [];
    private readonly HashSet<string> freed = [];
    private readonly HashSet<string> cleanedUp = [];
    private readonly Dictionary<string, string> qemuThreads = [];
    private bool recvJoined;

    public override string Id => "P8";

    public override string Statement =>
        "Every thread ends; VFIOMultifd is freed after its load thread stopped and the recv threads were joined; data_fd closes after the load thread stopped.";

    /// <summary>Threads started and not ended yet (the obligations that keep the liveness monitor hot).</summary>
    public IReadOnlyCollection<string> Running => running;

    public override Coverage CoverageOf(Evidence evidence) =>
        evidence.ModelEvents ? Coverage.Full()
        : Coverage.Partly("start/end pairs of vfio_load_bufs_thread, multifd_recv_thread, multifd_send_thread and " +
                          "vfio_save_complete_precopy_thread; vfio_load_bufs_thread_end before vfio_load_cleanup; every " +
                          "multifd_recv_thread_end before loadvm_state_cleanup; a thread that never ended is a hang only with --ended; " +
                          "not traced: the migration thread, the thread pools, joins, frees");

    public override void On(Observation o)
    {
        OnQemuThreads(o);
        switch (o.Event)
        {
            case ThreadStarted e:
                running.Add(e.Name);
                break;
            case ThreadEnded e:
                running.Remove(e.Name);
                break;
            case RecvThreadsJoined:
                recvJoined = true;
                break;
            case LoadBufsThreadStart e:
                if (freed.Contains(e.Device))
                {
                    Fail($"{e.Device}: {o.Thread} starts after its VFIOMultifd was freed");
                }

                loadThreadRunning.Add(e.Device);
                break;
            case LoadBufsThreadEnd e:
                loadThreadRunning.Remove(e.Device);
                break;
            case VfioMultifdFreed e:
                freed.Add(e.Device);
                if (e.LoadThreadRunning || loadThreadRunning.Contains(e.Device))
                {
                    Fail($"{e.Device}: VFIOMultifd freed ({e.BuffersFreed} buffers) while load[{e.Device}] still runs " +
                         $"(load_bufs_thread_running {(e.LoadThreadRunning ? "true" : "false")})");
                }

                if (!recvJoined && running.Any(t => t.StartsWith("recv[", StringComparison.Ordinal)))
                {
                    Fail($"{e.Device}: VFIOMultifd freed before the recv threads were joined ({string.Join(", ", running.Where(t => t.StartsWith("recv[", StringComparison.Ordinal)))} running)");
                }

                break;
            case DataFdClosed e when loadThreadRunning.Contains(e.Device):
                Fail($"{e.Device}: data_fd closed while load[{e.Device}] still runs");
                break;
            case DeviceWrite { Ret: -9 } e:
                Fail($"{e.Device}: {o.Thread} wrote to data_fd after it was closed");
                break;
        }
    }

    /// <summary>The thread pairs and the cleanup order QEMU traces (both streams).</summary>
    private void OnQemuThreads(Observation o)
    {
        var side = o.Side == Side.Source ? "source" : "destination";
        switch (o.Event)
        {
            case LoadBufsThreadStart e:
                if (cleanedUp.Contains(e.Device))
                {
                    FailOnTrace($"{e.Device}: the load thread starts{Here} after vfio_load_cleanup");
                }

                Started($"{side} load[{e.Device}]");
                break;
            case LoadBufsThreadEnd e:
                qemuThreads.Remove($"{side} load[{e.Device}]");
                break;
            case RecvThreadStart e:
                Started($"{side} recv[ch{e.Channel}]");
                break;
            case RecvThreadEnd e:
                qemuThreads.Remove($"{side} recv[ch{e.Channel}]");
                break;
            case SendThreadStart e:
                Started($"{side} send[ch{e.Channel}]");
                break;
            case SendThreadEnd e:
                qemuThreads.Remove($"{side} send[ch{e.Channel}]");
                break;
            case SaveThreadStart e:
                Started($"{side} save[{e.Device}]");
                break;
            case SaveThreadEnd e:
                qemuThreads.Remove($"{side} save[{e.Device}]");
                break;
            case VfioLoadCleanup e:
                cleanedUp.Add(e.Device);
                if (qemuThreads.TryGetValue($"{side} load[{e.Device}]", out var loadStart))
                {
                    FailOnTrace($"{e.Device}: vfio_load_cleanup{Here} while its load thread runs (vfio_load_bufs_thread_start{loadStart}, no _end)");
                }

                break;
            case LoadvmStateCleanup:
                var recv = qemuThreads.Where(t => t.Key.StartsWith($"{side} recv[", StringComparison.Ordinal)).ToList();
                if (recv.Count > 0)
                {
                    FailOnTrace($"loadvm_state_cleanup{Here} before {string.Join(", ", recv.Select(t => t.Key[(side.Length + 1)..] + (t.Value.Length > 0 ? $" (started{t.Value})" : "")))} ended " +
                                "(multifd_recv_cleanup joins every recv thread first)");
                }

                break;
        }
    }

    private void Started(string thread)
    {
        if (!qemuThreads.TryAdd(thread, Here))
        {
            FailOnTrace($"{thread[(thread.IndexOf(' ', StringComparison.Ordinal) + 1)..]} starts again{Here} while it runs (started{qemuThreads[thread]})");
        }
    }

    /// <summary>At the end of a log: a thread QEMU traced as started and not as ended is a hang if the process exited.</summary>
    public override void AtLogEnd(LogEnd end)
    {
        if (end.ProcessEnded && qemuThreads.Count > 0)
        {
            FailOnTrace("threads started and never ended before the process exited: " +
                        string.Join(", ", qemuThreads.Select(t => $"{t.Key[(t.Key.IndexOf(' ', StringComparison.Ordinal) + 1)..]}" +
                                                                   (t.Value.Length > 0 ? $" (started{t.Value})" : ""))));
        }
    }

    public override void AtEnd(RunEnd end)
    {
        if (end.ThreadsNotEnded.Count > 0)
        {
            Fail($"threads still running at the end: {string.Join(", ", end.ThreadsNotEnded)}");
        }

        var open = end.Devices.Where(d => !d.DataFdClosed).Select(d => d.Name).ToList();
        if (open.Count > 0)
        {
            Fail($"data_fd of {string.Join(", ", open)} still open at the end (vfio_migration_cleanup did not run)");
        }

        if (running.Count > 0)
        {
            Fail($"threads started and never ended: {string.Join(", ", running)}");
        }
    }
}

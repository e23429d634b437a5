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
/// </remarks>
public sealed class EveryThreadTerminates : Property
{
    private readonly HashSet<string> running = [];
    private readonly HashSet<string> loadThreadRunning = [];
    private readonly HashSet<string> freed = [];
    private bool recvJoined;

    public override string Id => "P8";

    public override string Statement =>
        "Every thread ends; VFIOMultifd is freed after its load thread stopped and the recv threads were joined; data_fd closes after the load thread stopped.";

    /// <summary>Threads started and not ended yet (the obligations that keep the liveness monitor hot).</summary>
    public IReadOnlyCollection<string> Running => running;

    public override void On(Observation o)
    {
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

using Multifd.Engine.Ports;

namespace Multifd.Specifications;

/// <summary>
/// P11: on the source each device queues data packets idx 0..N-1 and then one config packet with idx N;
/// threads_abort is set only by the migration thread after every save thread was spawned; no device-state packet
/// is written with zero-copy; device-state producers take queue_job_mutex before multifd_send_mutex.
/// </summary>
public sealed class SourceInvariants : Property
{
    public const string QueueJobMutex = "queue_job_mutex";
    public const string MultifdSendMutex = "multifd_send_mutex";

    private readonly Dictionary<string, uint> dataPackets = [];
    private readonly HashSet<string> configQueued = [];
    private readonly HashSet<string> producers = [];
    private string? migrationThread;

    public override string Id => "P11";

    public override string Statement =>
        "Config idx = number of data packets; threads_abort only by the migration thread after all spawns; no zero-copy device state; queue_job_mutex before multifd_send_mutex.";

    public override Coverage CoverageOf(Evidence evidence) =>
        evidence.ModelEvents ? Coverage.Full()
        : Coverage.None("the source traces no device-state packet (multifd_send_fill covers RAM only), no threads_abort and no lock");

    public override void On(Observation o)
    {
        if (o.Side != Side.Source)
        {
            return;
        }

        switch (o.Event)
        {
            case SaveSetup:
                // vfio_save_setup runs in the migration thread.
                migrationThread ??= o.Thread;
                break;
            case SaveThreadStart:
                producers.Add(o.Thread);
                break;
            case DeviceStateQueued e:
                OnQueued(e);
                break;
            case ThreadsAbortSet e:
                if (o.Thread != migrationThread)
                {
                    Fail($"threads_abort set by {o.Thread}, not by the migration thread {migrationThread ?? "(unknown)"}");
                }

                if (!e.AllSpawned)
                {
                    Fail($"threads_abort set by {o.Thread} before every save thread was spawned");
                }

                break;
            case PacketSent { ZeroCopy: true } e:
                Fail($"{e.Device}: device-state packet idx {e.Idx}{(e.IsConfig ? " (config)" : "")} written on channel {e.Channel} " +
                     "with QIO_CHANNEL_WRITE_FLAG_ZERO_COPY; its buffer is freed right after writev");
                break;
            case MutexLocked { Mutex: MultifdSendMutex } e when producers.Contains(o.Thread) && !e.Held.Contains(QueueJobMutex):
                Fail($"{o.Thread} takes multifd_send_mutex without holding queue_job_mutex (holding {Held(e)})");
                break;
            case MutexLocked { Mutex: QueueJobMutex } e when e.Held.Contains(MultifdSendMutex):
                Fail($"{o.Thread} takes queue_job_mutex while holding multifd_send_mutex (holding {Held(e)}); " +
                     "the order is queue_job_mutex -> multifd_send_mutex");
                break;
        }
    }

    private void OnQueued(DeviceStateQueued e)
    {
        var n = dataPackets.GetValueOrDefault(e.Device);
        if (configQueued.Contains(e.Device))
        {
            Fail($"{e.Device}: packet idx {e.Idx} queued after the config packet (idx {n})");
        }

        if (e.IsConfig)
        {
            configQueued.Add(e.Device);
            if (e.Idx != n)
            {
                Fail($"{e.Device}: config packet has idx {e.Idx} but {n} data packets were queued (expected idx {n})");
            }
        }
        else
        {
            if (e.Idx != n)
            {
                Fail($"{e.Device}: data packet idx {e.Idx} queued as data packet number {n} (expected idx {n})");
            }

            dataPackets[e.Device] = n + 1;
        }
    }

    private static string Held(MutexLocked e) => e.Held.IsEmpty ? "nothing" : string.Join(", ", e.Held);
}

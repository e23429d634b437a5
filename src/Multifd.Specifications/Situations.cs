using Multifd.Engine.Ports;

namespace Multifd.Specifications;

/// <summary>
/// Situation coverage: protocol situations a schedule can reach. A pass is only meaningful if the scenario's
/// schedules reached the situations that scenario is about.
/// </summary>
public static class Situations
{
    public static readonly IReadOnlyList<(string Name, string Description)> All =
    [
        ("buffer-out-of-order", "a buffer arrived before its predecessor"),
        ("config-before-last-data", "the config packet arrived before the last data buffer"),
        ("load-thread-starved", "the load thread waited for a buffer (vfio_load_state_device_buffer_starved)"),
        ("partial-write", "a write() to data_fd wrote part of what it was given"),
        ("load-ready-before-last-buffer", "DEV_CONFIG_LOAD_READY was processed before the last data buffer was loaded"),
        ("load-ready-after-last-buffer", "DEV_CONFIG_LOAD_READY was processed after the last data buffer was loaded"),
        ("cleanup-while-load-thread-waits", "cleanup had to stop a load thread that was still running"),
        ("queue-near-limit", "the queued count or bytes came within one buffer of its limit"),
        ("multifd-after-eof", "a device-state buffer arrived after the main channel's QEMU_VM_EOF"),
        ("recv-sync", "the destination synced with the recv threads (multifd_recv_sync_main)"),
        ("recv-sync-after-switchover", "the destination ran multifd_recv_sync_main (BQL held) after SWITCHOVER_START started the load threads"),
        ("sync-among-device-state", "a recv thread read a SYNC packet between two device-state packets of its channel"),
    ];

    public static IEnumerable<string> Names => All.Select(s => s.Name);

    public static bool IsKnown(string name) => All.Any(s => s.Name == name);
}

/// <summary>Counts, in one migration, how often each situation was reached.</summary>
/// <param name="limits">Per device: the count and size limits on the destination (ulong.MaxValue: none).</param>
/// <param name="bufferSize">Per device: data_buffer_size.</param>
public sealed class SituationTracker(
    IReadOnlyDictionary<string, (ulong Count, ulong Bytes)> limits,
    IReadOnlyDictionary<string, int> bufferSize) : IMigrationObserver
{
    private readonly Dictionary<string, int> counts = [];
    private readonly Dictionary<string, HashSet<uint>> inserted = [];
    private readonly Dictionary<string, uint> lastIdx = [];
    private readonly Dictionary<string, uint> loadedUpTo = [];
    private bool mainDone;
    private bool switchedOver;
    private readonly HashSet<string> deviceStateSeen = []; // recv threads that read a device-state packet
    private readonly HashSet<string> syncAfterDeviceState = []; // ... and then a SYNC

    public IReadOnlyDictionary<string, int> Counts => counts;

    public void On(Observation o)
    {
        switch (o.Event)
        {
            case BufferInserted e:
                var set = inserted.TryGetValue(e.Device, out var s) ? s : inserted[e.Device] = [];
                if (e.Idx > 0 && !set.Contains(e.Idx - 1) && !e.IsConfig)
                {
                    Hit("buffer-out-of-order");
                }

                if (e.IsConfig)
                {
                    lastIdx[e.Device] = e.Idx;
                    if (Enumerable.Range(0, (int)e.Idx).Any(i => !set.Contains((uint)i)))
                    {
                        Hit("config-before-last-data");
                    }
                }

                set.Add(e.Idx);
                if (limits.TryGetValue(e.Device, out var limit))
                {
                    var buffer = (ulong)bufferSize.GetValueOrDefault(e.Device, 1);
                    if ((limit.Count != ulong.MaxValue && e.QueuedCount + 1 >= limit.Count)
                        || (limit.Bytes != ulong.MaxValue && e.QueuedBytes + buffer >= limit.Bytes))
                    {
                        Hit("queue-near-limit");
                    }
                }

                break;
            case QueueLimitExceeded:
                Hit("queue-near-limit");
                break;
            case BufferStarved:
                Hit("load-thread-starved");
                break;
            case DeviceWrite { Ret: > 0 } w when w.Ret < w.Requested:
                Hit("partial-write");
                break;
            case BufferLoaded e:
                loadedUpTo[e.Device] = e.Idx + 1;
                break;
            case ConfigLoadReady { Duplicate: false } e:
                var allLoaded = lastIdx.TryGetValue(e.Device, out var last) && loadedUpTo.GetValueOrDefault(e.Device) >= last;
                Hit(allLoaded ? "load-ready-after-last-buffer" : "load-ready-before-last-buffer");
                break;
            case LoadBufsThreadCleanedUp { Waited: true }:
                Hit("cleanup-while-load-thread-waits");
                break;
            case LoadStatePostMain:
                mainDone = true;
                break;
            case MultifdRecvUnfill { IsSync: true } when deviceStateSeen.Contains(o.Thread):
                syncAfterDeviceState.Add(o.Thread);
                break;
            case BufferIncoming:
                deviceStateSeen.Add(o.Thread);
                if (syncAfterDeviceState.Remove(o.Thread))
                {
                    Hit("sync-among-device-state");
                }

                if (mainDone)
                {
                    Hit("multifd-after-eof");
                }

                break;
            case SwitchoverStartReceived:
                switchedOver = true;
                break;
            case RecvSyncMain:
                Hit("recv-sync");
                if (switchedOver)
                {
                    Hit("recv-sync-after-switchover");
                }

                break;
        }
    }

    private void Hit(string situation) => counts[situation] = counts.GetValueOrDefault(situation) + 1;
}

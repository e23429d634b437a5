using Multifd.Cli.Bundles;
using Multifd.Engine.Ports;

namespace Multifd.Cli.Rendering;

/// <summary>One QEMU thread's lane.</summary>
public sealed record Lane(string Side, string Thread);

/// <summary>
/// A mutex held by a lane's thread. Requested at <see cref="From"/> (qemu_mutex_lock is traced as the thread asks), held
/// for certain from <see cref="Acquired"/> to <see cref="SolidTo"/>, and released at some step before <see cref="To"/>
/// (the engine traces no unlock: between SolidTo and To the lock may or may not still be held).
/// </summary>
public sealed record LockHold(int Lane, string Lock, int From, int Acquired, int SolidTo, int To);

/// <summary>A blocking wait: the thread waits from <see cref="From"/> until its next event at <see cref="To"/>.</summary>
/// <param name="Kind">"cond", "sem", "join" or "lock".</param>
/// <param name="What">What it waits for: the cond, the semaphore, the thread joined, the mutex.</param>
public sealed record Wait(int Lane, int From, int To, string Kind, string What);

/// <summary>A packet or marker sent by one thread (event index <see cref="From"/>) and received by another.</summary>
public sealed record Message(int From, int To, string Label);

/// <summary>A device's queued buffers and bytes (load_bufs) over the steps, and its limits (null: none).</summary>
public sealed record QueueSeries(string Device, ulong? MaxCount, ulong? MaxBytes, IReadOnlyList<(int Step, ulong Count, ulong Bytes)> Points);

/// <summary>
/// What the swimlane view draws, derived from a bundle's events: a lane per thread, lock holds, blocking waits, messages
/// from sender to receiver and the per-device queues. Only what the event stream shows is drawn; where it cannot say
/// exactly (a mutex's release, which the engine does not trace), the uncertain part is marked as such.
/// </summary>
public sealed class Swimlanes
{
    private static readonly string[] SourceOrder = ["mig", "save[", "send[", "qmp", "hostile"];
    private static readonly string[] DestinationOrder = ["recv[", "main", "load["];

    public required IReadOnlyList<Lane> Lanes { get; init; }

    /// <summary>Each event's lane (index into <see cref="Lanes"/>), in step order.</summary>
    public required IReadOnlyList<int> LaneOf { get; init; }

    public required IReadOnlyList<LockHold> Holds { get; init; }

    public required IReadOnlyList<Wait> Waits { get; init; }

    public required IReadOnlyList<Message> Messages { get; init; }

    public required IReadOnlyList<QueueSeries> Queues { get; init; }

    /// <summary>The last step: where the property was found violated (the timeline ends at the failure).</summary>
    public required int LastStep { get; init; }

    public static Swimlanes From(EventLog log, IReadOnlyList<DeviceLimits> devices)
    {
        var events = log.Events;
        var lanes = events.Select(LaneOfEvent).Distinct().OrderBy(LaneRank).ThenBy(l => l.Thread, StringComparer.Ordinal).ToList();
        var laneIndex = lanes.Select((l, i) => (l, i)).ToDictionary(x => x.l, x => x.i);
        var laneOf = events.Select(e => laneIndex[LaneOfEvent(e)]).ToList();
        var last = events.Count == 0 ? 0 : events[^1].Step;
        var (holds, waits) = HoldsAndWaits(events, laneOf, lanes.Count, last);
        return new Swimlanes
        {
            Lanes = lanes,
            LaneOf = laneOf,
            Holds = holds,
            Waits = waits,
            Messages = MatchMessages(events),
            Queues = QueueSeriesOf(events, devices),
            LastStep = last,
        };
    }

    /// <summary>
    /// The lane of an event: its thread's, except that the harness's own thread stands for the process's main thread (on
    /// the source it runs qmp_migrate's migrate_set_state to SETUP before the migration thread starts).
    /// </summary>
    private static Lane LaneOfEvent(EventRecord e) => new(e.Side, e.Thread == "harness" ? "main" : e.Thread);

    /// <summary>The mutex a lock event asks for, as held lists name it: "BQL", "load_bufs_mutex[dev0]".</summary>
    public static string LockName(EventRecord e) =>
        e.String("device") is { } device ? $"{e.String("mutex")}[{device}]" : e.String("mutex") ?? e.Args;

    private static (int Group, int Rank) LaneRank(Lane lane)
    {
        var order = lane.Side == "source" ? SourceOrder : DestinationOrder;
        var rank = Array.FindIndex(order, p => lane.Thread.StartsWith(p, StringComparison.Ordinal));
        return (lane.Side == "source" ? 0 : 1, rank < 0 ? order.Length : rank);
    }

    private static (List<LockHold>, List<Wait>) HoldsAndWaits(IReadOnlyList<EventRecord> events, IReadOnlyList<int> laneOf, int laneCount, int last)
    {
        // Each thread's events in order: a thread emits nothing while it blocks, so its next event bounds every wait.
        var ofLane = Enumerable.Range(0, laneCount).Select(_ => new List<int>()).ToList();
        for (var i = 0; i < events.Count; i++)
        {
            ofLane[laneOf[i]].Add(i);
        }

        var holds = new List<LockHold>();
        var waits = new List<Wait>();
        for (var lane = 0; lane < laneCount; lane++)
        {
            LaneHolds(events, ofLane[lane], lane, last, holds, waits);
        }

        // A mutex is held by one thread at a time: a hold ends before the next thread acquires the same mutex.
        var bounded = new List<LockHold>();
        foreach (var group in holds.GroupBy(h => h.Lock))
        {
            var ordered = group.OrderBy(h => h.Acquired).ToList();
            for (var i = 0; i < ordered.Count; i++)
            {
                var h = ordered[i];
                var next = ordered.Skip(i + 1).FirstOrDefault(o => o.Lane != h.Lane && o.Acquired > h.Acquired);
                var to = next is null ? h.To : Math.Min(h.To, next.Acquired);
                bounded.Add(h with { To = to, SolidTo = Math.Min(h.SolidTo, to) });
            }
        }

        return (bounded.OrderBy(h => h.Lane).ThenBy(h => h.From).ToList(), waits);
    }

    /// <summary>Derives one thread's lock holds and blocking waits from its events.</summary>
    private static void LaneHolds(IReadOnlyList<EventRecord> events, List<int> mine, int lane, int last, List<LockHold> holds, List<Wait> waits)
    {
        // Open holds: lock -> (requested at, acquired by, last step it was seen held).
        var open = new Dictionary<string, (int From, int Acquired, int Seen)>();
        void Close(string name, int releasedBefore, bool exact)
        {
            var (from, acquired, seen) = open[name];
            open.Remove(name);
            var to = Math.Max(releasedBefore, acquired);
            holds.Add(new LockHold(lane, name, from, acquired, exact ? to : Math.Min(seen, to), to));
        }

        for (var k = 0; k < mine.Count; k++)
        {
            var e = events[mine[k]];
            var next = k + 1 < mine.Count ? events[mine[k + 1]].Step : (int?)null;
            switch (e.Type)
            {
                case nameof(MutexLocked):
                {
                    var held = e.Fields?["held"]?.AsArray().Select(n => n?.GetValue<string>() ?? "").ToHashSet() ?? [];
                    foreach (var name in open.Keys.Where(n => !held.Contains(n)).ToList())
                    {
                        Close(name, e.Step, exact: false);
                    }

                    foreach (var name in held)
                    {
                        open[name] = open.TryGetValue(name, out var h) ? h with { Seen = e.Step } : (e.Step, e.Step, e.Step);
                    }

                    var lockName = LockName(e);
                    if (next is { } acquired)
                    {
                        open[lockName] = (e.Step, acquired, acquired);
                    }
                    else
                    {
                        waits.Add(new Wait(lane, e.Step, last, "lock", lockName)); // blocked on the mutex to the end
                    }

                    break;
                }

                case nameof(CondWait):
                {
                    // qemu_cond_wait releases the cond's mutex; the thread takes it back when woken (its next lock event).
                    var mutex = k + 1 < mine.Count && events[mine[k + 1]].Type == nameof(MutexLocked)
                        ? LockName(events[mine[k + 1]])
                        : e.String("device") is { } device ? $"load_bufs_mutex[{device}]" : null;
                    if (mutex is not null && open.ContainsKey(mutex))
                    {
                        Close(mutex, e.Step, exact: true);
                    }

                    waits.Add(new Wait(lane, e.Step, next ?? last, "cond", e.Args));
                    break;
                }

                case nameof(SemWait):
                    waits.Add(new Wait(lane, e.Step, next ?? last, "sem", e.Args));
                    break;
                case nameof(ThreadJoin):
                    waits.Add(new Wait(lane, e.Step, next ?? last, "join", e.Args));
                    break;
                case nameof(ThreadEnded):
                    foreach (var name in open.Keys.ToList())
                    {
                        Close(name, e.Step, exact: false);
                    }

                    break;
            }

            // Events that say whether the thread holds the BQL (bql_locked()).
            if (e.Type != nameof(MutexLocked) && e.Fields?["bqlHeld"] is { } bql)
            {
                if (bql.GetValue<bool>() && open.TryGetValue("BQL", out var h))
                {
                    open["BQL"] = h with { Seen = e.Step };
                }
                else if (!bql.GetValue<bool>() && open.ContainsKey("BQL"))
                {
                    Close("BQL", e.Step, exact: false);
                }
            }
        }

        // At the end: a thread blocked asking for a mutex holds what its lock event lists, to the last step (it can release
        // nothing while blocked). A thread blocked in a cond, sem or join wait may have released a lock after it was last
        // seen held (bql_unlock before thread_pool_wait, say): that part stays uncertain.
        var blockedOnMutex = mine.Count > 0 && events[mine[^1]].Type == nameof(MutexLocked);
        foreach (var name in open.Keys.ToList())
        {
            if (blockedOnMutex)
            {
                open[name] = open[name] with { Seen = last };
            }

            Close(name, last, exact: blockedOnMutex);
        }
    }

    /// <summary>Packets from send[chN] to recv[chN] (matched by device and idx), main-channel markers from mig to main.</summary>
    private static List<Message> MatchMessages(IReadOnlyList<EventRecord> events)
    {
        var messages = new List<Message>();
        var pending = new Dictionary<string, Queue<int>>();
        void Sent(string key, int i)
        {
            if (!pending.TryGetValue(key, out var q))
            {
                pending[key] = q = new Queue<int>();
            }

            q.Enqueue(i);
        }

        for (var i = 0; i < events.Count; i++)
        {
            var e = events[i];
            switch (e.Type)
            {
                case nameof(PacketSent) when e.String("device") is { } device:
                    Sent($"packet {e.Number("channel")} {device} {e.Number("idx")}", i);
                    break;
                case nameof(BufferIncoming) when e.Thread.StartsWith("recv[ch", StringComparison.Ordinal):
                    Receive($"packet {e.Thread["recv[ch".Length..^1]} {e.String("device")} {e.Number("idx")}", i);
                    break;
                case nameof(MainMarkerSent):
                    Sent($"marker {e.String("device")} {e.Number("marker")}", i);
                    break;
                case nameof(LoadStateMarker):
                    Receive($"marker {e.String("device")} {e.Number("marker")}", i);
                    break;
                case nameof(SwitchoverStartSent):
                    Sent("switchover", i);
                    break;
                case nameof(SwitchoverStartReceived):
                    Receive("switchover", i);
                    break;
            }
        }

        return messages;

        void Receive(string key, int i)
        {
            if (pending.TryGetValue(key, out var q) && q.TryDequeue(out var from))
            {
                messages.Add(new Message(from, i, events[from].Text));
            }
        }
    }

    private static List<QueueSeries> QueueSeriesOf(IReadOnlyList<EventRecord> events, IReadOnlyList<DeviceLimits> devices)
    {
        var queues = new DeviceQueues(devices.Select(d => d.Device));
        var points = devices.ToDictionary(d => d.Device, _ => new List<(int, ulong, ulong)> { (0, 0UL, 0UL) });
        var limits = devices.ToDictionary(d => d.Device);
        foreach (var e in events)
        {
            if (e.Type == nameof(LoadSetup) && e.String("device") is { } setup)
            {
                // The limits the destination really applied (ulong.MaxValue: none).
                limits[setup] = new DeviceLimits(setup, Limit(e.Number("maxQueuedBuffers")), Limit(e.Number("maxQueuedBuffersSizeBytes")));
            }

            if (queues.Apply(e) && e.String("device") is { } device)
            {
                var (count, bytes) = queues.Queued(device);
                if (!points.TryGetValue(device, out var list))
                {
                    points[device] = list = [(0, 0UL, 0UL)];
                }

                list.Add((e.Step, count, bytes));
            }
        }

        return [.. points.Select(kv => new QueueSeries(kv.Key, limits.GetValueOrDefault(kv.Key)?.MaxCount,
            limits.GetValueOrDefault(kv.Key)?.MaxBytes, kv.Value))];
    }

    private static ulong? Limit(ulong? value) => value is null or ulong.MaxValue ? null : value;
}

/// <summary>A destination device's queue limits from the scenario (null: none).</summary>
public sealed record DeviceLimits(string Device, ulong? MaxCount, ulong? MaxBytes);

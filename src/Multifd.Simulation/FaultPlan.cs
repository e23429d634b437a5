using Multifd.Engine.Ports;

namespace Multifd.Simulation;

/// <summary>The faults a scenario may inject; each fires at most once per schedule, at a point chosen by the checker.</summary>
public enum Fault
{
    /// <summary>A multifd channel's write fails on the source (connection broken) at one packet.</summary>
    MultifdSendError,
    /// <summary>A multifd channel's read fails on the destination at one read.</summary>
    MultifdRecvError,
    /// <summary>The main channel ends early: the destination sees end of stream after some bytes.</summary>
    MainChannelEof,
    /// <summary>The source device's read(data_fd) fails.</summary>
    DeviceReadError,
    /// <summary>The destination device's write(data_fd) fails.</summary>
    DeviceWriteError,
    /// <summary>The migration is cancelled on the source (migrate_cancel) at some point.</summary>
    SourceCancel,
    /// <summary>The migration is cancelled on the source at some point after setup (precopy or later).</summary>
    SourceCancelAfterSetup,
    /// <summary>
    /// vfio_load_bufs_thread returns an error: vfio_load_device_config_state fails when the load thread loads the
    /// config (vfio_load_bufs_thread_load_config), so the thread records the error and thread_pool_wait returns it.
    /// </summary>
    LoadThreadFailure,
}

/// <summary>Where faults may land (the scenario's <c>faultPoints</c>).</summary>
public enum FaultPoints
{
    /// <summary>Every allowed fault is armed, at one of its injection points or never (the original behaviour).</summary>
    Fixed,
    /// <summary>The checker chooses which allowed faults fire (at most maxFaults) and at which occurrence of their injection points.</summary>
    Io,
    /// <summary>As <see cref="Io"/>, and a channel fault or a cancel may instead land at any point of the run (after any event).</summary>
    Anywhere,
}

/// <summary>One fault that fired: its kind, the QEMU function (of the thread) where it landed, and where exactly.</summary>
public sealed record InjectedFault(Fault Fault, string Function, string Where);

/// <summary>
/// Decides where each enabled fault fires. Every decision is made once per schedule, at its start, with the run's
/// controlled randomness (so a Coyote trace replays it): in <see cref="FaultPoints.Fixed"/> mode the n-th opportunity
/// of each allowed fault, or never; in the other modes which allowed faults fire (at most maxFaults) and, for each, the
/// occurrence of its injection points or (anywhere) the event of the run after which it lands.
/// </summary>
public sealed class FaultPlan : IMigrationObserver
{
    private static readonly int FaultCount = Enum.GetValues<Fault>().Length;
    private readonly int[] fireAt = new int[FaultCount]; // -1: not at an injection point
    private readonly int[] fireAfterEvent = new int[FaultCount]; // -1: not after an event
    private readonly bool[] enabled = new bool[FaultCount];
    private readonly int[] seen = new int[FaultCount];
    private readonly IMigrationObserver? observer;
    private readonly System.Collections.Concurrent.ConcurrentQueue<InjectedFault> injected = new();
    private readonly Dictionary<Fault, Action> asyncActions = [];
    private int events;
    private (Side Side, string Thread, string Where)? pendingCancel;

    /// <param name="opportunities">Per enabled fault, how many points it may fire at (beyond them: never).</param>
    public FaultPlan(IChoices choices, IReadOnlyDictionary<Fault, int> opportunities, IMigrationObserver? observer = null)
        : this(choices, opportunities, observer, FaultPoints.Fixed, 1, 0)
    {
    }

    /// <param name="maxFaults">At most this many faults per schedule (not in <see cref="FaultPoints.Fixed"/> mode).</param>
    /// <param name="eventHorizon">Anywhere: how many events of a run a fault may land after (an estimate of a run's length).</param>
    public FaultPlan(IChoices choices, IReadOnlyDictionary<Fault, int> opportunities, IMigrationObserver? observer,
        FaultPoints mode, int maxFaults, int eventHorizon)
    {
        this.observer = observer;
        Mode = mode;
        Array.Fill(fireAt, -1);
        Array.Fill(fireAfterEvent, -1);
        var kinds = opportunities.OrderBy(kv => kv.Key).ToList();
        if (mode == FaultPoints.Fixed)
        {
            foreach (var (fault, count) in kinds)
            {
                // count + 1 outcomes: fire at one of the points, or (the last one) not at all.
                fireAt[(int)fault] = choices.NextInt(count + 1);
                enabled[(int)fault] = true;
            }

            return;
        }

        for (var slot = 0; slot < maxFaults && kinds.Count > 0; slot++)
        {
            var (fault, count) = kinds[choices.NextInt(kinds.Count)];
            if (enabled[(int)fault])
            {
                continue; // chosen twice: it fires once
            }

            enabled[(int)fault] = true;
            var anywhere = mode == FaultPoints.Anywhere && CanLandAnywhere(fault) ? eventHorizon : 0;
            var point = choices.NextInt(count + anywhere);
            if (point < count)
            {
                fireAt[(int)fault] = point;
            }
            else
            {
                fireAfterEvent[(int)fault] = point - count;
            }
        }
    }

    public static FaultPlan None { get; } = new(new NoChoices(), new Dictionary<Fault, int>());

    public FaultPoints Mode { get; }

    /// <summary>The faults that fired in this run, in order.</summary>
    public IReadOnlyList<InjectedFault> Injected => [.. injected];

    /// <summary>Faults that can land between any two events: the world breaks a channel or the QMP monitor cancels.</summary>
    public static bool CanLandAnywhere(Fault fault) =>
        fault is Fault.MainChannelEof or Fault.MultifdSendError or Fault.MultifdRecvError or Fault.SourceCancel or Fault.SourceCancelAfterSetup;

    /// <summary>Whether the fault is armed in this schedule (at an injection point or after an event).</summary>
    public bool IsEnabled(Fault fault) => enabled[(int)fault];

    /// <summary>Whether the fault is armed to land after an event rather than at one of its injection points.</summary>
    public bool LandsAfterEvent(Fault fault) => fireAfterEvent[(int)fault] >= 0;

    /// <summary>What the world does when <paramref name="fault"/> lands after an event (break a channel, release the canceller).</summary>
    public void OnLanding(Fault fault, Action action) => asyncActions[fault] = action;

    /// <summary>One opportunity for <paramref name="fault"/>: true if it fires here.</summary>
    public bool Fires(Fault fault, Side side, string where)
    {
        var target = fireAt[(int)fault];
        if (target < 0 || Interlocked.Increment(ref seen[(int)fault]) - 1 != target)
        {
            return false;
        }

        var thread = Engine.Core.QemuThread.Current.Name;
        Record(fault, side, thread, where);
        return true;
    }

    /// <summary>Counts the run's events; a fault armed for this event lands now (its action runs after the delivery).</summary>
    public void On(Observation o)
    {
        if (o.Event is FaultInjected)
        {
            return;
        }

        // A plain count: the bridge delivers one observation at a time (under Coyote, and under its lock on real
        // threads), and an Interlocked call would be a scheduling point under Coyote's rewriting.
        var n = events++;
        for (var f = 0; f < FaultCount; f++)
        {
            if (fireAfterEvent[f] != n)
            {
                continue;
            }

            var fault = (Fault)f;
            var where = $"after {o.Event.TraceName} ({o.Thread}, event {n})";
            if (fault is Fault.SourceCancel or Fault.SourceCancelAfterSetup)
            {
                // The cancel happens when the QMP monitor gets the BQL, if the migration still runs: recorded then.
                pendingCancel = (o.Side, o.Thread, where);
            }
            else
            {
                Record(fault, o.Side, o.Thread, where);
            }

            if (asyncActions.TryGetValue(fault, out var action))
            {
                (observer as ObservationBridge)?.Defer(action);
            }
        }
    }

    /// <summary>A cancel armed after an event is carried out now (the QMP monitor got the BQL): it counts as injected.</summary>
    public void CancelLanded(Fault fault)
    {
        if (pendingCancel is { } p)
        {
            Record(fault, p.Side, p.Thread, p.Where + ", migrate_cancel");
        }
    }

    private void Record(Fault fault, Side side, string thread, string where)
    {
        injected.Enqueue(new InjectedFault(fault, ThreadFunction(side, thread), where));

        observer?.On(new Observation(side, thread, new FaultInjected(fault.ToString(), where)));
    }

    /// <summary>The QEMU function a thread of the model runs (where a fault on that thread landed).</summary>
    public static string ThreadFunction(Side side, string thread) => thread switch
    {
        "mig" => "migration_thread",
        "qmp" => "qmp_migrate_cancel",
        "main" when side == Side.Destination => "process_incoming_migration_co",
        "harness" => side == Side.Destination ? "process_incoming_migration_co" : "migration_thread",
        _ when thread.StartsWith("send[", StringComparison.Ordinal) => "multifd_send_thread",
        _ when thread.StartsWith("recv[", StringComparison.Ordinal) => "multifd_recv_thread",
        _ when thread.StartsWith("save[", StringComparison.Ordinal) => "vfio_multifd_save_complete_precopy_thread",
        _ when thread.StartsWith("load[", StringComparison.Ordinal) => "vfio_load_bufs_thread",
        _ => thread,
    };

    private sealed class NoChoices : IChoices
    {
        public bool NextBool() => false;

        public int NextInt(int maxExclusive) => 0;
    }
}

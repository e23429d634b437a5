using Multifd.Engine.Ports;
using Spec = Microsoft.Coyote.Specifications;

namespace Multifd.Specifications;

/// <summary>
/// P8 as a Coyote liveness monitor: hot while some thread was started and has not ended or some VFIOMultifd was
/// allocated and not freed, cold once every such obligation is met. A schedule that ends hot, or stays hot beyond
/// the liveness temperature threshold, is a liveness bug ("potential liveness bug" for a livelock).
/// </summary>
public sealed class EveryThreadTerminatesLiveness : Spec.Monitor
{
    /// <summary>Some thread runs or some VFIOMultifd is allocated.</summary>
    public sealed class ObligationsOpen : Event
    {
    }

    /// <summary>Every started thread ended and every VFIOMultifd was freed.</summary>
    public sealed class ObligationsMet : Event
    {
    }

    [Start]
    [Cold]
    [OnEventGotoState(typeof(ObligationsOpen), typeof(ThreadsOrVfioMultifdOutstanding))]
    [IgnoreEvents(typeof(ObligationsMet))]
    private sealed class AllTerminated : State
    {
    }

    [Hot]
    [OnEventGotoState(typeof(ObligationsMet), typeof(AllTerminated))]
    [IgnoreEvents(typeof(ObligationsOpen))]
    private sealed class ThreadsOrVfioMultifdOutstanding : State
    {
    }
}

/// <summary>
/// Feeds <see cref="EveryThreadTerminatesLiveness"/> from the observations: counts the open obligations (threads
/// started and not ended, VFIOMultifd allocated and not freed) and tells the monitor when the count leaves or
/// reaches zero. Plain computation: no scheduling point.
/// </summary>
/// <param name="notify">Delivers a monitor event (under Coyote: Specification.Monitor).</param>
public sealed class EveryThreadTerminatesFeed(Action<Spec.Monitor.Event> notify) : IMigrationObserver
{
    private readonly HashSet<string> open = [];

    /// <summary>A feed for the Coyote runtime running the current test iteration (registers the monitor).</summary>
    public static EveryThreadTerminatesFeed ForCoyote()
    {
        Spec.Specification.RegisterMonitor<EveryThreadTerminatesLiveness>();
        return new EveryThreadTerminatesFeed(e => Spec.Specification.Monitor<EveryThreadTerminatesLiveness>(e));
    }

    /// <summary>The obligations still open: "thread load[dev0]", "VFIOMultifd dev0".</summary>
    public IReadOnlyCollection<string> Open => open;

    public void On(Observation o)
    {
        var before = open.Count;
        switch (o.Event)
        {
            case ThreadStarted e:
                open.Add($"{o.Side} thread {e.Name}");
                break;
            case ThreadEnded e:
                open.Remove($"{o.Side} thread {e.Name}");
                break;
            case LoadSetup { MultifdTransfer: true } e:
                open.Add($"VFIOMultifd {e.Device}");
                break;
            case VfioMultifdFreed e:
                open.Remove($"VFIOMultifd {e.Device}");
                break;
            default:
                return;
        }

        if (before == 0 && open.Count > 0)
        {
            notify(new EveryThreadTerminatesLiveness.ObligationsOpen());
        }
        else if (before > 0 && open.Count == 0)
        {
            notify(new EveryThreadTerminatesLiveness.ObligationsMet());
        }
    }
}

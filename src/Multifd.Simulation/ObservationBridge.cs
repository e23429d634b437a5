using Multifd.Engine.Ports;

namespace Multifd.Simulation;

/// <summary>One numbered line of a migration's timeline.</summary>
public sealed record TimelineEntry(int Step, Observation Observation);

/// <summary>
/// Receives every observation of one migration (engine and world), numbers it into the timeline and hands it
/// to the subscribers (the property checkers) in order.
/// </summary>
/// <remarks>
/// Under Coyote one controlled operation runs at a time and nothing here is a scheduling point, so the
/// bridge takes no lock there; on real threads it serializes with a plain lock.
/// </remarks>
public sealed class ObservationBridge(bool realThreads = false) : IMigrationObserver
{
    private readonly List<TimelineEntry> timeline = [];
    private readonly List<IMigrationObserver> subscribers = [];
    private readonly object gate = new();
    private List<Action>? deferred;

    public IReadOnlyList<TimelineEntry> Timeline => timeline;

    public void Subscribe(IMigrationObserver subscriber) => subscribers.Add(subscriber);

    public void On(Observation observation)
    {
        if (realThreads)
        {
            List<Action>? actions;
            lock (gate)
            {
                Deliver(observation);
                actions = deferred;
                deferred = null;
            }

            RunAll(actions);
        }
        else
        {
            Deliver(observation);
            var actions = deferred;
            deferred = null;
            RunAll(actions);
        }
    }

    /// <summary>
    /// Runs <paramref name="action"/> on the observing thread once the current observation reached every subscriber
    /// (a fault that lands after an event changes the world outside the delivery).
    /// </summary>
    public void Defer(Action action) => (deferred ??= []).Add(action);

    private static void RunAll(List<Action>? actions)
    {
        if (actions is null)
        {
            return;
        }

        foreach (var action in actions)
        {
            action();
        }
    }

    private void Deliver(Observation observation)
    {
        timeline.Add(new TimelineEntry(timeline.Count + 1, observation));
        foreach (var subscriber in subscribers)
        {
            subscriber.On(observation);
        }
    }
}

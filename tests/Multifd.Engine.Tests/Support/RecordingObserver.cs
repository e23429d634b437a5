using Multifd.Engine.Ports;

namespace Multifd.Engine.Tests.Support;

/// <summary>Records every observation in order; safe to call from any thread.</summary>
public sealed class RecordingObserver : IMigrationObserver
{
    private readonly object gate = new();
    private readonly List<Observation> observations = [];

    public void On(Observation observation)
    {
        lock (gate)
        {
            observations.Add(observation);
            Monitor.PulseAll(gate);
        }
    }

    /// <summary>A snapshot of everything observed so far.</summary>
    public IReadOnlyList<Observation> All
    {
        get
        {
            lock (gate)
            {
                return observations.ToList();
            }
        }
    }

    /// <summary>The events of type <typeparamref name="T"/>, in the order they were observed.</summary>
    public IReadOnlyList<T> Events<T>() where T : MigrationEvent => All.Select(o => o.Event).OfType<T>().ToList();

    /// <summary>
    /// Blocks until an event of type <typeparamref name="T"/> matching <paramref name="match"/> was observed.
    /// The timeout is only a safety net against a hang: the test fails if it expires.
    /// </summary>
    public T WaitFor<T>(Func<T, bool> match, int safetyTimeoutMs = 10_000) where T : MigrationEvent
    {
        var deadline = Environment.TickCount64 + safetyTimeoutMs;
        lock (gate)
        {
            while (true)
            {
                if (observations.Select(o => o.Event).OfType<T>().FirstOrDefault(match) is { } found)
                {
                    return found;
                }

                var left = deadline - Environment.TickCount64;
                if (left <= 0)
                {
                    throw new TimeoutException($"no {typeof(T).Name} observed within {safetyTimeoutMs} ms (safety net)");
                }

                Monitor.Wait(gate, (int)left);
            }
        }
    }
}

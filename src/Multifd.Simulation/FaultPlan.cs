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
}

/// <summary>
/// Decides where each enabled fault fires. The point is chosen once per schedule with the controlled
/// randomness: the n-th opportunity of that fault, or never, uniformly, so every fault point is explored.
/// </summary>
public sealed class FaultPlan
{
    private static readonly int FaultCount = Enum.GetValues<Fault>().Length;
    private readonly int[] fireAt = new int[FaultCount]; // -1: not enabled
    private readonly int[] seen = new int[FaultCount];
    private readonly IMigrationObserver? observer;

    /// <param name="opportunities">Per enabled fault, how many points it may fire at (beyond them: never).</param>
    public FaultPlan(IChoices choices, IReadOnlyDictionary<Fault, int> opportunities, IMigrationObserver? observer = null)
    {
        this.observer = observer;
        Array.Fill(fireAt, -1);
        foreach (var (fault, count) in opportunities.OrderBy(kv => kv.Key))
        {
            // count + 1 outcomes: fire at one of the points, or (the last one) not at all.
            fireAt[(int)fault] = choices.NextInt(count + 1);
        }
    }

    public static FaultPlan None { get; } = new(new NoChoices(), new Dictionary<Fault, int>());

    public bool IsEnabled(Fault fault) => fireAt[(int)fault] >= 0;

    /// <summary>One opportunity for <paramref name="fault"/>: true if it fires here.</summary>
    public bool Fires(Fault fault, Side side, string where)
    {
        var target = fireAt[(int)fault];
        if (target < 0 || Interlocked.Increment(ref seen[(int)fault]) - 1 != target)
        {
            return false;
        }

        observer?.On(new Observation(side, Engine.Core.QemuThread.Current.Name, new FaultInjected(fault.ToString(), where)));
        return true;
    }

    private sealed class NoChoices : IChoices
    {
        public bool NextBool() => false;

        public int NextInt(int maxExclusive) => 0;
    }
}

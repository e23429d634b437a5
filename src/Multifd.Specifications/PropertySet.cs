using Multifd.Engine.Ports;

namespace Multifd.Specifications;

/// <summary>
/// Every property, fed with the observations of one migration. A violation is handed to the callback
/// (under Coyote: Specification.Assert, which ends the schedule as a bug).
/// </summary>
public sealed class PropertySet : IMigrationObserver
{
    private readonly Action<PropertyViolation> onViolation;

    /// <summary>An array: <see cref="On"/> runs at every observation, and a foreach over the interface would allocate an
    /// enumerator each time.</summary>
    private readonly Property[] properties;

    /// <param name="evidence">What the stream can show (default: the model's).</param>
    /// <param name="position">Where the stream is, for messages (a log's "line N").</param>
    public PropertySet(IReadOnlyList<Property> properties, Action<PropertyViolation> onViolation, Evidence? evidence = null,
        Func<string>? position = null)
    {
        this.properties = [.. properties];
        this.onViolation = onViolation;
        foreach (var p in properties)
        {
            p.Evidence = evidence ?? Evidence.Model;
            p.Position = position;
        }
    }

    public IReadOnlyList<Property> Properties => properties;

    /// <summary>A fresh instance of every property the checker knows.</summary>
    /// <param name="memory">P13's bounds (the scenario's memory section); null: the defaults.</param>
    public static IReadOnlyList<Property> CreateAll(MemoryBounds? memory = null) =>
    [
        new LoadsInIndexOrder(),
        new MainBeforeMultifd(),
        new NoLossOnSuccess(),
        new NoDuplicateLoad(),
        new ConfigLoadedLast(),
        new ConfigAfterIterables(),
        new QueueStaysBounded(),
        new LockDiscipline(),
        new EveryThreadTerminates(),
        new ProtocolAgreement(),
        new SourceInvariants(),
        new NoQemuAbort(),
        new DestinationMemoryBounded(memory ?? MemoryBounds.Default),
    ];

    public T Get<T>()
        where T : Property => Properties.OfType<T>().Single();

    public void On(Observation o)
    {
        foreach (var p in properties)
        {
            try
            {
                p.On(o);
            }
            catch (PropertyViolation v)
            {
                onViolation(v);
            }
        }
    }

    /// <summary>The end of a QEMU log.</summary>
    public void AtLogEnd(LogEnd end)
    {
        foreach (var p in Properties)
        {
            try
            {
                p.AtLogEnd(end);
            }
            catch (PropertyViolation v)
            {
                onViolation(v);
            }
        }
    }

    public void AtEnd(RunEnd end)
    {
        foreach (var p in Properties)
        {
            try
            {
                p.AtEnd(end);
            }
            catch (PropertyViolation v)
            {
                onViolation(v);
            }
        }
    }
}

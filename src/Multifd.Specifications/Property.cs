using Multifd.Engine.Ports;

namespace Multifd.Specifications;

/// <summary>
/// One protocol property (PROTOCOL.md section 8), checked against the stream of observations of one
/// migration. A property keeps its own view of the protocol state, built only from observations, and
/// fails with a message that carries the values.
/// </summary>
public abstract class Property
{
    /// <summary>"P1".."P12" (PROTOCOL.md section 8), "P13" (destination memory), "P5b" for a clause kept apart from its parent property.</summary>
    public abstract string Id { get; }

    /// <summary>The property's name, e.g. "LoadsInIndexOrder".</summary>
    public string Name => GetType().Name;

    /// <summary>The property in one sentence.</summary>
    public abstract string Statement { get; }

    /// <summary>What the stream this property reads can show (the model's, unless a QEMU log's).</summary>
    public Evidence Evidence { get; internal set; } = Evidence.Model;

    /// <summary>Where the stream is (for a log: "line N"; empty for the model), for messages that name an earlier event.</summary>
    internal Func<string>? Position { get; set; }

    /// <summary>Checks one observation; calls <see cref="Fail"/> on a violation.</summary>
    public abstract void On(Observation o);

    /// <summary>Checks the end of the migration (both sides finished and joined).</summary>
    public virtual void AtEnd(RunEnd end)
    {
    }

    /// <summary>Checks the end of a QEMU log (the model's run ends in <see cref="AtEnd"/>).</summary>
    public virtual void AtLogEnd(LogEnd end)
    {
    }

    /// <summary>
    /// How much of the property <paramref name="evidence"/> can show. The model shows all of it; a QEMU log by default
    /// nothing (a property that reads QEMU's events says which of its clauses they cover).
    /// </summary>
    public virtual Coverage CoverageOf(Evidence evidence) =>
        evidence.ModelEvents ? Coverage.Full() : Coverage.None("QEMU traces none of the events it needs");

    /// <summary>The current position as " at line N" (a log), or "" (the model).</summary>
    protected string Here => Position?.Invoke() is { Length: > 0 } at ? $" at {at}" : "";

    /// <summary>
    /// Reports a violation found from the model's own evidence (model_ or sim_ events, or what the model knows of its
    /// setup): a QEMU log of the same run need not show it. The message must say device, index, expected and actual values.
    /// </summary>
    protected void Fail(string message) => throw new PropertyViolation(Id, Name, message, seenInQemuTrace: false);

    /// <summary>
    /// Reports a violation of a clause that reads only QEMU's trace events, in both streams: a QEMU log of the same
    /// run up to this event shows it too.
    /// </summary>
    protected void FailOnTrace(string message) => throw new PropertyViolation(Id, Name, message, seenInQemuTrace: true);
}

/// <summary>A property does not hold.</summary>
/// <param name="seenInQemuTrace">The violated clause reads only QEMU's trace events (<see cref="Property.FailOnTrace"/>).</param>
public sealed class PropertyViolation(string id, string name, string detail, bool seenInQemuTrace = false)
    : Exception($"{id} {name}: {detail}")
{
    public string PropertyId { get; } = id;

    public string PropertyName { get; } = name;

    public string Detail { get; } = detail;

    /// <summary>The clause reads only QEMU's trace events: a QEMU log of the run up to this point shows the violation.</summary>
    public bool SeenInQemuTrace { get; } = seenInQemuTrace;
}

/// <summary>What the harness knows when the migration is over.</summary>
/// <param name="DestinationCompleted">The destination started the VM.</param>
/// <param name="Devices">Per device: what the source had and what the destination device got.</param>
/// <param name="SourceIsHostile">The source was not QEMU: there is no source state to compare with.</param>
public sealed record RunEnd(
    bool SourceCompleted,
    bool DestinationCompleted,
    IReadOnlyList<DeviceEnd> Devices,
    IReadOnlyList<string> ThreadsNotEnded,
    bool SourceIsHostile = false);

/// <summary>A device at the end: the source's image and config, and what reached the destination device.</summary>
public sealed record DeviceEnd(
    string Name,
    byte[] SourceImage,
    byte[] SourceConfig,
    byte[] DestinationImage,
    byte[]? DestinationConfig,
    int ConfigLoads,
    bool DataFdClosed);

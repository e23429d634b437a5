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

    /// <summary>Checks one observation; calls <see cref="Fail"/> on a violation.</summary>
    public abstract void On(Observation o);

    /// <summary>Checks the end of the migration (both sides finished and joined).</summary>
    public virtual void AtEnd(RunEnd end)
    {
    }

    /// <summary>Reports a violation: the message must say device, index, expected and actual values.</summary>
    protected void Fail(string message) => throw new PropertyViolation(Id, Name, message);
}

/// <summary>A property does not hold.</summary>
public sealed class PropertyViolation(string id, string name, string detail)
    : Exception($"{id} {name}: {detail}")
{
    public string PropertyId { get; } = id;

    public string PropertyName { get; } = name;

    public string Detail { get; } = detail;
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

using System.Collections.Immutable;
using Multifd.Engine.Ports;
using Multifd.Specifications;

namespace Multifd.Engine.Tests.Specifications;

/// <summary>Hand-written observation sequences for monitor tests.</summary>
public static class Trace
{
    public static Observation Dst(string thread, MigrationEvent e) => new(Side.Destination, thread, e);

    public static Observation Src(string thread, MigrationEvent e) => new(Side.Source, thread, e);

    public static MutexLocked Locked(string mutex, string? device, params string[] held) => new(mutex, device, [.. held]);

    /// <summary>Feeds the sequence to the property; returns its violation, or null if it held throughout.</summary>
    public static PropertyViolation? Run(Property property, params Observation[] observations)
    {
        try
        {
            foreach (var o in observations)
            {
                property.On(o);
            }

            return null;
        }
        catch (PropertyViolation v)
        {
            return v;
        }
    }

    /// <summary>The property must hold on the sequence.</summary>
    public static void Holds(Property property, params Observation[] observations)
    {
        var v = Run(property, observations);
        Assert.True(v is null, $"expected {property.Id} to hold, got: {v?.Message}");
    }

    /// <summary>The property must fail on the sequence, with a message that carries every given value.</summary>
    public static PropertyViolation Violated(Property property, Observation[] observations, params string[] values)
    {
        var v = Run(property, observations);
        Assert.True(v is not null, $"expected {property.Id} to be violated");
        Assert.Equal(property.Id, v.PropertyId);
        Assert.StartsWith($"{property.Id} {property.Name}: ", v.Message);
        foreach (var value in values)
        {
            Assert.Contains(value, v.Detail);
        }

        return v;
    }

    public static ImmutableArray<string> None => [];
}

using Multifd.Engine;

namespace Multifd.Checker.Scenarios;

/// <summary>
/// Knobs a scenario turns on that QEMU as merged does not have. Today one: the count limit
/// x-migration-max-queued-buffers, proposed in the reviewed series (v2..v6, dc15bcb035) and never merged (QEMU has
/// only x-migration-max-queued-buffers-size). `multifd list`, the JSON report and the summary name each one.
/// </summary>
public static class UnmergedKnobs
{
    /// <summary>"x-migration-max-queued-buffers": the property as QEMU's series named it.</summary>
    public const string CountLimit = "x-migration-max-queued-buffers";

    /// <summary>One line per device and side that sets an unmerged knob, e.g. "dev0 destination: x-migration-max-queued-buffers=2 (proposed ...)".</summary>
    public static IReadOnlyList<string> Of(Scenario scenario)
    {
        var lines = new List<string>();
        foreach (var d in scenario.Devices)
        {
            Add(lines, d.Name, "source", d.Source);
            Add(lines, d.Name, "destination", d.Destination);
        }

        return lines;
    }

    /// <summary>The label every report gives a scenario that turns the count limit on.</summary>
    public static string Label => $"{CountLimit}: {VfioDeviceProperties.CountLimitLabel}";

    private static void Add(List<string> lines, string device, string side, DevicePropertiesSpec p)
    {
        if (p.MaxQueuedBuffers is { } max)
        {
            lines.Add($"{device} {side}: {CountLimit}={max} ({VfioDeviceProperties.CountLimitLabel})");
        }
    }
}

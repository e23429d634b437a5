namespace Multifd.Engine.Core;

/// <summary>
/// MigrationStatus (qapi/migration.json), the states of s->state the model uses. Printed as QEMU prints them
/// (<see cref="MigrationStatusNames.QemuName"/>).
/// </summary>
/// <remarks>Simplification: no PRE_SWITCHOVER, WAIT_UNPLUG, postcopy or COLO states (not modelled).</remarks>
public enum MigrationStatus
{
    None,
    Setup,
    Cancelling,
    Cancelled,
    Active,
    Device,
    Completed,
    Failed,
}

public static class MigrationStatusNames
{
    /// <summary>MigrationStatus_str: "setup", "cancelling", "active", "device", "completed", ...</summary>
    public static string QemuName(this MigrationStatus s) => s.ToString().ToLowerInvariant();
}

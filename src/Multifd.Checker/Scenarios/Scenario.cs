using System.Text.Json.Serialization;
using Multifd.Engine;
using Multifd.Simulation;

namespace Multifd.Checker.Scenarios;

/// <summary>
/// A world to check: devices, channels, knobs per side, faults, hostile behaviour, protocol variant and
/// exploration bounds. Loaded from models/*.json (see models/README.md); every field has a default.
/// </summary>
public sealed record Scenario
{
    /// <summary>The scenario's name (the file name without .json).</summary>
    public string Name { get; init; } = "unnamed";

    public string Description { get; init; } = "";

    public IReadOnlyList<DeviceSpec> Devices { get; init; } = [new DeviceSpec()];

    public SideSpec Source { get; init; } = new();

    public SideSpec Destination { get; init; } = new();

    public ChannelSpec Channels { get; init; } = new();

    public DataFdSpec DataFd { get; init; } = new();

    /// <summary>Faults the checker may inject, each at most once per schedule at a point it chooses.</summary>
    public IReadOnlyList<Fault> Faults { get; init; } = [];

    /// <summary>Replace the source QEMU with a hostile source that sends this.</summary>
    public HostileSpec? Hostile { get; init; }

    /// <summary>The protocol variant (kebab-case name of <see cref="ProtocolVariant"/>).</summary>
    public string Variant { get; init; } = "correct";

    public AssumptionSpec Assumptions { get; init; } = new();

    public ExplorationSpec Exploration { get; init; } = new();

    /// <summary>Situations every passing run of this scenario must reach (see Situations).</summary>
    public IReadOnlyList<string> MustReach { get; init; } = [];
}

public sealed record DeviceSpec
{
    /// <summary>vbasedev->name: in QEMU the host device ("0000:65:00.0"); the models use short names.</summary>
    public string Name { get; init; } = "dev0";

    /// <summary>The savevm idstr: in QEMU the guest device path + "/vfio" ("0000:00:02.0/vfio"). Null: <c>NAME/vfio</c>.</summary>
    public string? Idstr { get; init; }

    /// <summary>The idstr in effect.</summary>
    [JsonIgnore]
    public string EffectiveIdstr => Idstr ?? $"{Name}/vfio";

    public uint InstanceId { get; init; }

    /// <summary>Total device state (precopy + STOP_COPY) in bytes.</summary>
    public int StateBytes { get; init; } = 256;

    /// <summary>How much of the state is sent during precopy (on the main channel).</summary>
    public int PrecopyBytes { get; init; }

    public int ConfigBytes { get; init; } = 16;

    /// <summary>data_buffer_size: QEMU uses MIN(1 MiB, stop-copy size); models use small buffers.</summary>
    public int DataBufferSizeBytes { get; init; } = 64;

    public DevicePropertiesSpec Source { get; init; } = new();

    public DevicePropertiesSpec Destination { get; init; } = new();
}

/// <summary>The vfio-pci migration properties of a device on one side.</summary>
public sealed record DevicePropertiesSpec
{
    /// <summary>x-migration-multifd-transfer.</summary>
    public OnOffAuto MultifdTransfer { get; init; } = OnOffAuto.Auto;

    /// <summary>x-migration-load-config-after-iter.</summary>
    public OnOffAuto LoadConfigAfterIter { get; init; } = OnOffAuto.Auto;

    /// <summary>x-migration-max-queued-buffers (count; the unmerged series). Null: unlimited.</summary>
    public ulong? MaxQueuedBuffers { get; init; }

    /// <summary>x-migration-max-queued-buffers-size in bytes. Null: unlimited (UINT64_MAX).</summary>
    public ulong? MaxQueuedBuffersSizeBytes { get; init; }
}

public sealed record SideSpec
{
    public Platform Platform { get; init; } = Platform.X86_64;

    public bool Multifd { get; init; } = true;

    public int MultifdChannels { get; init; } = 2;

    public bool SendSwitchoverStart { get; init; } = true;

    public bool ZeroCopySend { get; init; }

    public bool MultifdFlushAfterEachSection { get; init; }

    /// <summary>The return-path capability (the source waits for the destination's SHUT).</summary>
    public bool ReturnPath { get; init; }
}

public sealed record ChannelSpec
{
    /// <summary>0: unbounded. Otherwise a writer waits while this many bytes are unread.</summary>
    public int CapacityBytes { get; init; }
}

public sealed record DataFdSpec
{
    public bool ShortReads { get; init; }

    public bool PartialWrites { get; init; }
}

public sealed record AssumptionSpec
{
    public bool SendThreadsDrainBeforeShutdown { get; init; } = true;

    public bool SpuriousWakeups { get; init; }
}

public sealed record ExplorationSpec
{
    public int Iterations { get; init; } = 200;

    public string Strategy { get; init; } = "portfolio";

    public int MaxSteps { get; init; } = 20000;

    public uint Seed { get; init; } = 1;
}

/// <summary>What a hostile source sends (see docs: faults and hostile sources).</summary>
public sealed record HostileSpec
{
    [JsonRequired]
    public string Kind { get; init; } = "";

    /// <summary>
    /// For a packet the destination rejects on a recv thread: hold QEMU_VM_EOF back until the destination
    /// recorded the error (so the scenario checks the rejection, not its race with EOF). Default true.
    /// </summary>
    public bool HoldEofUntilRejected { get; init; } = true;
}

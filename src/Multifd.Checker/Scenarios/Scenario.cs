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

    /// <summary>
    /// Where the faults land: "fixed" (default: every allowed fault armed at one of its injection points, or never),
    /// "io" (the checker chooses which allowed faults fire, at most <see cref="MaxFaults"/>, and at which occurrence of
    /// their injection points) or "anywhere" (as "io", and a channel fault or a cancel may land after any event of the run).
    /// </summary>
    public FaultPoints FaultPoints { get; init; } = FaultPoints.Fixed;

    /// <summary>With faultPoints "io" or "anywhere": at most this many faults per schedule (default 1).</summary>
    public int MaxFaults { get; init; } = 1;

    /// <summary>Replace the source QEMU with a hostile source that sends this.</summary>
    public HostileSpec? Hostile { get; init; }

    /// <summary>The protocol variant (kebab-case name of <see cref="ProtocolVariant"/>).</summary>
    public string Variant { get; init; } = "correct";

    public AssumptionSpec Assumptions { get; init; } = new();

    /// <summary>P13's bounds on what the destination allocates per device (see <see cref="MemorySpec"/>).</summary>
    public MemorySpec Memory { get; init; } = new();

    /// <summary>What the guest's RAM gives multifd to send on the source (RAM jobs and rounds).</summary>
    public RamSpec Ram { get; init; } = new();

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
    /// <summary>x-migration-multifd-transfer as set on -device. Null: the machine type's compat property, else AUTO.</summary>
    public OnOffAuto? MultifdTransfer { get; init; }

    /// <summary>x-migration-load-config-after-iter as set on -device. Null: the machine type's compat property, else AUTO.</summary>
    public OnOffAuto? LoadConfigAfterIter { get; init; }

    /// <summary>x-migration-max-queued-buffers (count; the unmerged series). Null: unlimited.</summary>
    public ulong? MaxQueuedBuffers { get; init; }

    /// <summary>x-migration-max-queued-buffers-size in bytes. Null: unlimited (UINT64_MAX).</summary>
    public ulong? MaxQueuedBuffersSizeBytes { get; init; }
}

public sealed record SideSpec
{
    public Platform Platform { get; init; } = Platform.X86_64;

    /// <summary>
    /// The machine type (-machine), e.g. "virt-10.0" or "pc-q35-9.2". Null: the latest, with no compat properties. A
    /// versioned one applies QEMU's hw_compat arrays (see <see cref="Engine.HwCompat"/>) under any property the scenario sets.
    /// </summary>
    public string? Machine { get; init; }

    /// <summary>The parsed <see cref="Machine"/> (null: the latest). The loader has checked the name.</summary>
    [JsonIgnore]
    public MachineType? MachineType => Machine is null ? null : Engine.MachineType.Parse(Machine, out _);

    public bool Multifd { get; init; } = true;

    public int MultifdChannels { get; init; } = 2;

    /// <summary>The migration object's send-switchover-start (-global migration.send-switchover-start). Null: the machine type's compat property, else on.</summary>
    public bool? SendSwitchoverStart { get; init; }

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

/// <summary>P13 (DestinationMemoryBounded): what the destination may allocate for one device's buffers.</summary>
public sealed record MemorySpec
{
    /// <summary>The bound for a device with no x-migration-max-queued-buffers-size (default 1 GiB).</summary>
    public ulong BudgetBytes { get; init; } = Specifications.MemoryBounds.DefaultBudgetBytes;

    /// <summary>
    /// What a device with a size limit may hold beyond it (default 1 MiB): the load_bufs array (24 bytes per buffer
    /// index), one payload buffer per recv thread and the buffer being written, which the limit does not count.
    /// </summary>
    public ulong AllowanceBytes { get; init; } = Specifications.MemoryBounds.DefaultAllowanceBytes;
}

public sealed record AssumptionSpec
{
    /// <summary>Model assumption, off by default (QEMU as merged): see ModelAssumptions.</summary>
    public bool SendThreadsDrainBeforeShutdown { get; init; }

    public bool SpuriousWakeups { get; init; }
}

/// <summary>
/// RAM on multifd (the source's RamWorkload): full scans completed in precopy (each ends with
/// multifd_ram_flush_and_sync), multifd RAM jobs handed to multifd_send per precopy round, and in the completion
/// phase (with the BQL held, while the save threads run) before its final flush-and-sync. Precopy RAM jobs compete
/// with nothing (no save thread runs in precopy), so by default there are none.
/// </summary>
public sealed record RamSpec
{
    public int PrecopyRounds { get; init; } = 1;

    public int JobsPerRound { get; init; }

    public int JobsAtCompletion { get; init; } = 1;
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

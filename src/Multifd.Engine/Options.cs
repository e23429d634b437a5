using Multifd.Engine.Wire;

namespace Multifd.Engine;

/// <summary>QEMU's OnOffAuto property type.</summary>
public enum OnOffAuto
{
    Auto,
    On,
    Off,
}

/// <summary>The target a QEMU emulates on its host: decides the AUTO value of after-iter and the host byte order.</summary>
public enum Platform
{
    X86_64,
    Aarch64,
    S390x,
    Ppc64,
    /// <summary>32-bit ARM (qemu-system-arm): an ARM target too, for target_base_arm() and TARGET_ARM.</summary>
    Arm,
}

public static class PlatformFacts
{
    /// <summary>target_base_arm() (master, 78e630fcc4) / `#if defined(TARGET_ARM)` (10.1): ARM or AArch64.</summary>
    public static bool IsBaseArm(this Platform platform) => platform is Platform.Aarch64 or Platform.Arm;

    /// <summary>
    /// The AUTO value of x-migration-load-config-after-iter (vfio_load_config_after_iter): any ARM target, since
    /// ARM's VFIO config depends on the interrupt controller being loaded first.
    /// </summary>
    public static bool WantsConfigAfterIter(this Platform platform) => platform.IsBaseArm();

    public static ByteOrder HostByteOrder(this Platform platform) =>
        platform is Platform.S390x or Platform.Ppc64 ? ByteOrder.BigEndian : ByteOrder.LittleEndian;
}

/// <summary>The vfio-pci migration properties of one device on one side.</summary>
/// <param name="MultifdTransfer">x-migration-multifd-transfer.</param>
/// <param name="LoadConfigAfterIter">x-migration-load-config-after-iter (10.1).</param>
/// <param name="MaxQueuedBuffers">
/// x-migration-max-queued-buffers: the count limit proposed in the reviewed series (v2..v6, dc15bcb035), not merged.
/// Null (the default): the knob does not exist and nothing counts buffers, as in QEMU as merged; a value turns the
/// series' counter and its "would exceed the max of M" check on.
/// </param>
/// <param name="MaxQueuedBuffersSizeBytes">x-migration-max-queued-buffers-size (10.1; default UINT64_MAX).</param>
public sealed record VfioDeviceProperties(
    OnOffAuto MultifdTransfer = OnOffAuto.Auto,
    OnOffAuto LoadConfigAfterIter = OnOffAuto.Auto,
    ulong? MaxQueuedBuffers = null,
    ulong MaxQueuedBuffersSizeBytes = ulong.MaxValue)
{
    /// <summary>The label every report gives the count limit wherever it is on.</summary>
    public const string CountLimitLabel = "proposed in the reviewed series (v2..v6, dc15bcb035), not merged";
}

/// <summary>Migration capabilities and parameters of one side (the migration object).</summary>
/// <param name="Multifd">The multifd capability.</param>
/// <param name="MultifdChannels">multifd-channels.</param>
/// <param name="MultifdCompressionNone">multifd-compression == none.</param>
/// <param name="MappedRam">The mapped-ram capability (device state over multifd needs it off).</param>
/// <param name="SendSwitchoverStart">The send-switchover-start property.</param>
/// <param name="ZeroCopySend">The zero-copy-send capability.</param>
/// <param name="MultifdFlushAfterEachSection">x-multifd-flush-after-each-section (legacy RAM sync mode).</param>
public sealed record MigrationParameters(
    Platform Platform = Platform.X86_64,
    bool Multifd = true,
    int MultifdChannels = 2,
    bool MultifdCompressionNone = true,
    bool MappedRam = false,
    bool SendSwitchoverStart = true,
    bool ZeroCopySend = false,
    bool MultifdFlushAfterEachSection = false)
{
    /// <summary>multifd_device_state_supported().</summary>
    public bool MultifdDeviceStateSupported => Multifd && !MappedRam && MultifdCompressionNone;

    /// <summary>vfio_multifd_transfer_supported().</summary>
    public bool VfioMultifdTransferSupported => MultifdDeviceStateSupported && SendSwitchoverStart;
}

/// <summary>One VFIO device as QEMU registers it: its name and savevm identity, and its properties.</summary>
/// <param name="Name">vbasedev->name.</param>
/// <param name="DataBufferSizeBytes">migration->data_buffer_size: MIN(1 MiB, stop-copy size) in QEMU; small in models.</param>
public sealed record VfioDeviceConfig(
    string Name,
    uint InstanceId,
    int DataBufferSizeBytes,
    VfioDeviceProperties Properties)
{
    /// <summary>
    /// The savevm section idstr: in QEMU the guest device path + "/vfio" ("0000:00:02.0/vfio"), while
    /// <see cref="Name"/> is the host device ("0000:65:00.0"). The model's default is <c>NAME/vfio</c>.
    /// </summary>
    public string Idstr { get; init; } = $"{Name}/vfio";
}

/// <summary>Behaviour the model can assume where QEMU relies on timing rather than synchronization.</summary>
/// <param name="SendThreadsDrainBeforeShutdown">
/// Off by default (QEMU as merged). On: a send thread woken with a job while exiting writes it first, and
/// multifd_send_shutdown shuts the channels down only after joining the send threads, so no queued device-state
/// job is lost at shutdown. QEMU has no such barrier (multifd_send_thread checks exiting before pending_job, and
/// multifd_send_terminate_threads shuts each channel down before the join): finding F3.
/// </param>
/// <param name="SpuriousWakeups">qemu_cond_wait may return without a signal (POSIX allows it).</param>
public sealed record ModelAssumptions(bool SendThreadsDrainBeforeShutdown = false, bool SpuriousWakeups = false);

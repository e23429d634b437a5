using Multifd.Engine.Ports;
using Multifd.Engine.Tracing;

namespace Multifd.Checker.QemuLog;

/// <summary>
/// QEMU's trace events turned into the engine's event records, so that the same property monitors read a QEMU log
/// and the model. Only QEMU's arguments are known; a record's field that QEMU does not trace gets a neutral value,
/// which the monitors do not read without the model's evidence (<see cref="Specifications.Evidence"/>).
/// </summary>
public static class QemuLogEvents
{
    /// <summary>The events this reader turns into records (the others of the path are checked for their format and skipped).</summary>
    public static IReadOnlyCollection<string> Read => Factories.Keys;

    private static readonly Dictionary<string, Func<object[], MigrationEvent?>> Factories = new()
    {
        // source
        ["vfio_save_setup"] = v => new SaveSetup(S(v, 0), MultifdTransfer: false, I(v, 1)),
        ["vfio_save_block"] = v => new MainMarkerSent(S(v, 0), Engine.Wire.VfioMarkers.DevDataState, I(v, 1)),
        ["vfio_save_complete_precopy_thread_start"] = v => new SaveThreadStart(S(v, 0), S(v, 1), U(v, 2)),
        ["vfio_save_complete_precopy_thread_end"] = v => new SaveThreadEnd(S(v, 0), L(v, 1) != 0),
        ["vfio_save_device_config_state"] = v => new DeviceConfigSaved(S(v, 0)),
        ["migration_thread_setup_complete"] = _ => new MigrationThreadSetupComplete(),
        ["savevm_send_switchover_start"] = _ => new SwitchoverStartSent(),
        ["multifd_send_thread_start"] = v => new SendThreadStart(I(v, 0)),
        ["multifd_send_thread_end"] = v => new SendThreadEnd(I(v, 0), (ulong)v[1]),
        ["multifd_send_error"] = v => new SendChannelError(I(v, 0), ""),

        // destination
        ["vfio_load_state"] = v => new LoadStateMarker(S(v, 0), (ulong)v[1]),
        ["vfio_load_state_device_data"] = v => new LoadStateDeviceData(S(v, 0), I(v, 1), I(v, 2)),
        ["loadvm_process_command"] = v => S(v, 0) == "SWITCHOVER_START" ? new SwitchoverStartReceived((ushort)L(v, 1)) : null,
        ["multifd_recv_sync_main"] = v => new RecvSyncMain(true, L(v, 0)),
        ["vfio_load_state_device_buffer_incoming"] = v => new BufferIncoming(S(v, 0), U(v, 1)),
        ["vfio_load_bufs_thread_start"] = v => new LoadBufsThreadStart(S(v, 0)),
        ["vfio_load_bufs_thread_end"] = v => new LoadBufsThreadEnd(S(v, 0), Ret: true),
        ["vfio_load_state_device_buffer_start"] = v => new LoadBuffersStart(S(v, 0)),
        ["vfio_load_state_device_buffer_end"] = v => new LoadBuffersEnd(S(v, 0)),
        ["vfio_load_state_device_buffer_starved"] = v => new BufferStarved(S(v, 0), U(v, 1)),
        ["vfio_load_state_device_buffer_load_start"] = v => new BufferLoadStart(S(v, 0), U(v, 1)),
        ["vfio_load_state_device_buffer_load_end"] = v => new BufferLoadEnd(S(v, 0), U(v, 1)),
        // The BQL and iter_done are not traced: the neutral values are never read from a log.
        ["vfio_load_device_config_state_start"] = v => new ConfigLoadStart(S(v, 0), 0, BqlHeld: true, IterDone: true),
        ["vfio_load_device_config_state_end"] = v => new ConfigLoadEnd(S(v, 0), 0),
        ["vmstate_load"] = v => IsInterruptController(S(v, 1)) ? new InterruptControllerLoaded(S(v, 0), S(v, 1)) : null,
        ["qemu_loadvm_state_section_startfull"] = v => new SectionStartFull(U(v, 0), S(v, 1), U(v, 2), U(v, 3)),
        ["loadvm_state_cleanup"] = _ => new LoadvmStateCleanup(BqlHeld: true),
        ["qemu_loadvm_state_post_main"] = v => new LoadStatePostMain(I(v, 0)),
        ["process_incoming_migration_co_end"] = v => new IncomingMigrationCoEnd(I(v, 0), v.Length > 1 ? I(v, 1) : 0),
        ["multifd_recv_thread_start"] = v => new RecvThreadStart(I(v, 0)),
        ["multifd_recv_thread_end"] = v => new RecvThreadEnd(I(v, 0), (ulong)v[1]),
        ["multifd_recv_terminate_threads"] = v => new RecvTerminateThreads(L(v, 0) != 0),
        ["vfio_load_cleanup"] = v => new VfioLoadCleanup(S(v, 0)),

        // either side
        ["migrate_error"] = v => new MigrationErrorSet(S(v, 0), ErrorKind.Other),
        ["vmstate_downtime_checkpoint"] = v => S(v, 0) == "dst-precopy-bh-vm-started" ? new VmStarted() : new Checkpoint(S(v, 0)),
    };

    /// <summary>The engine's record for a parsed path event, or null for an event of the path the properties do not read.</summary>
    public static MigrationEvent? ToEvent(QemuTraceEvent e, object[] values) =>
        Factories.TryGetValue(e.Name, out var make) ? make(values) : null;

    /// <summary>Which QEMU wrote the event: from the event, or (vmstate_downtime_checkpoint) from its value.</summary>
    public static TraceSide SideOf(QemuTraceEvent e, object[] values) => e.Name == "vmstate_downtime_checkpoint"
        ? S(values, 0).StartsWith("src-", StringComparison.Ordinal) ? TraceSide.Source
        : S(values, 0).StartsWith("dst-", StringComparison.Ordinal) ? TraceSide.Destination : TraceSide.Either
        : e.Side;

    /// <summary>An ARM interrupt controller's section (GICv3, its ITS, GICv2): the VFIO config must load after it on aarch64.</summary>
    public static bool IsInterruptController(string vmsdName) => vmsdName.StartsWith("arm_gic", StringComparison.Ordinal);

    /// <summary>
    /// The thread an event comes from, as the model names it (main, mig, load[DEV], save[DEV], recv[chN], send[chN]),
    /// when the event says; null when several threads emit it (migrate_error, multifd_recv_terminate_threads, the
    /// config load, which runs on the load thread in multifd mode and on the main thread otherwise).
    /// </summary>
    public static string? RoleOf(QemuTraceEvent e, object[] values) => e.Name switch
    {
        "vfio_load_bufs_thread_start" or "vfio_load_bufs_thread_end" or "vfio_load_state_device_buffer_start"
            or "vfio_load_state_device_buffer_end" or "vfio_load_state_device_buffer_starved"
            or "vfio_load_state_device_buffer_load_start" or "vfio_load_state_device_buffer_load_end" => $"load[{S(values, 0)}]",
        "vfio_save_complete_precopy_thread_start" or "vfio_save_complete_precopy_thread_end" => $"save[{S(values, 0)}]",
        "multifd_recv_thread_start" or "multifd_recv_thread_end" => $"recv[ch{values[0]}]",
        "multifd_send_thread_start" or "multifd_send_thread_end" or "multifd_send_error" => $"send[ch{values[0]}]",
        "vfio_load_state" or "vfio_load_state_device_data" or "loadvm_process_command" or "multifd_recv_sync_main"
            or "qemu_loadvm_state_section_startfull" or "loadvm_state_cleanup" or "qemu_loadvm_state_post_main"
            or "process_incoming_migration_co_end" or "vfio_load_cleanup" or "vmstate_load" or "loadvm_state_setup" => "main",
        "vfio_save_setup" or "vfio_save_block" or "migration_thread_setup_complete" or "savevm_send_switchover_start" => "mig",
        "vmstate_downtime_checkpoint" => SideOf(e, values) == TraceSide.Source ? "mig" : "main",
        _ => null,
    };

    private static string S(object[] v, int i) => (string)v[i];

    private static long L(object[] v, int i) => v[i] is long l ? l : unchecked((long)(ulong)v[i]);

    private static uint U(object[] v, int i) => unchecked((uint)(ulong)v[i]);

    private static int I(object[] v, int i) => (int)Math.Clamp(L(v, i), int.MinValue, int.MaxValue);
}

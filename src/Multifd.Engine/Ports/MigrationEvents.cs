using System.Collections.Immutable;
using Multifd.Engine.Tracing;

namespace Multifd.Engine.Ports;

/// <summary>Which QEMU process an event comes from.</summary>
public enum Side
{
    Source,
    Destination,
}

/// <summary>
/// What the engine reports as it runs. Where QEMU has a trace event for it (hw/vfio/trace-events,
/// migration/trace-events), <see cref="TraceName"/> is QEMU's name and <see cref="Args"/> are QEMU's arguments, in
/// QEMU's order and meaning, printed with QEMU's format (<see cref="QemuTraceEvents"/>). Events QEMU does not trace
/// are the model's own: their names start with <c>model_</c> (the engine) or <c>sim_</c> (the simulated world), so
/// they cannot be taken for QEMU's.
/// </summary>
public abstract record MigrationEvent
{
    /// <summary>QEMU's trace event, or a <c>model_</c> / <c>sim_</c> name for an event QEMU does not trace.</summary>
    public abstract string TraceName { get; }

    /// <summary>The arguments as the trace line prints them: for a QEMU event exactly QEMU's format (most VFIO
    /// formats start with a space: <c>" (0000:65:00.0) idx 3"</c>).</summary>
    public abstract string Args { get; }

    /// <summary>Whether this is one of QEMU's trace events (a real QEMU log can hold it).</summary>
    public bool IsQemuEvent => QemuTraceEvents.IsQemuEvent(TraceName);

    /// <summary>The line as QEMU's log backend prints it (name, one space, the formatted arguments).</summary>
    public sealed override string ToString() => Args.Length == 0 ? TraceName : $"{TraceName} {Args}";

    /// <summary>QEMU's arguments of <see cref="TraceName"/>, in QEMU's order, printed with QEMU's format.</summary>
    protected string Qemu(params object[] values) => QemuTraceEvents.Format(TraceName, values);
}

/// <summary>An event with the thread that emitted it and the process it ran in.</summary>
public sealed record Observation(Side Side, string Thread, MigrationEvent Event)
{
    public override string ToString() => $"{Thread}: {Event}";
}

/// <summary>Receives every event; the engine never knows who listens.</summary>
public interface IMigrationObserver
{
    void On(Observation observation);
}

// ---- threads, locks, errors (both sides) ----

/// <summary>Model only: a thread (qemu_thread_create or a pool thread) starts running.</summary>
public sealed record ThreadStarted(string Name) : MigrationEvent
{
    public override string TraceName => "model_thread_start";
    public override string Args => Name;
}

/// <summary>Model only: a thread's function returned.</summary>
/// <param name="Aborted">The thread died in a failed QEMU assertion (abort()).</param>
public sealed record ThreadEnded(string Name, bool Aborted) : MigrationEvent
{
    public override string TraceName => "model_thread_end";
    public override string Args => Aborted ? $"{Name} aborted" : Name;
}

/// <summary>A QEMU assert() failed: QEMU would abort the process.</summary>
public sealed record QemuAborted(string Message) : MigrationEvent
{
    public override string TraceName => "model_abort";
    public override string Args => Message;
}

/// <summary>
/// Model only: a thread acquired a mutex; <paramref name="Held"/> are the locks it already held. (QEMU's
/// qemu_mutex_locked prints the mutex address and the caller's file:line instead.)
/// </summary>
public sealed record MutexLocked(string Mutex, string? Device, ImmutableArray<string> Held) : MigrationEvent
{
    public bool BqlHeld => Held.Contains("BQL");
    public override string TraceName => "model_mutex_locked";
    public override string Args =>
        (Device is null ? Mutex : $"{Device}.{Mutex}") + (Held.IsEmpty ? "" : $" holding {string.Join(",", Held)}");
}

/// <summary>
/// migrate_set_error / migrate_error_propagate, traced as QEMU's migrate_error(error_desc) on every call; the first
/// error of a side is kept. <paramref name="Kind"/> is the model's classification (not printed).
/// </summary>
public sealed record MigrationErrorSet(string Message, ErrorKind Kind) : MigrationEvent
{
    public override string TraceName => "migrate_error";
    public override string Args => Qemu(Message);
}

/// <summary>Model only: an error that does not reach migrate_set_error (dropped, or reported with error_report()).</summary>
public sealed record ErrorReported(string Message, ErrorKind Kind) : MigrationEvent
{
    public override string TraceName => "model_error_report";
    public override string Args => $"[{Kind}] {Message}";
}

/// <summary>Why a migration failed cleanly: what refused or broke it.</summary>
public enum ErrorKind
{
    /// <summary>A limit (x-migration-max-queued-buffers[-size]) would be exceeded.</summary>
    QueueLimit,
    /// <summary>A packet or marker the protocol rejects (bad header, bad index, duplicate, wrong mode).</summary>
    Rejected,
    /// <summary>A channel failed or ended early.</summary>
    Channel,
    /// <summary>The device's read, write, state change or config load failed.</summary>
    Device,
    /// <summary>Cancellation: threads_abort, want_exit, should_quit, migrate_cancel.</summary>
    Cancelled,
    /// <summary>Configuration refused at setup.</summary>
    Setup,
    /// <summary>Any other load or save error.</summary>
    Other,
}

// ---- source ----

/// <summary>vfio_save_setup(name, data_buffer_size); the modes are the model's (QEMU does not trace them).</summary>
/// <param name="ConfigAfterIter">vfio_load_config_after_iter() on the source: whether save_state sends DEV_CONFIG_LOAD_READY.</param>
public sealed record SaveSetup(string Device, bool MultifdTransfer, int DataBufferSize, bool ConfigAfterIter = false) : MigrationEvent
{
    public override string TraceName => "vfio_save_setup";
    public override string Args => Qemu(Device, (ulong)DataBufferSize);
}

/// <summary>migration_thread_setup_complete(): the migration thread finished setup (every SE's save_setup) and enters precopy.</summary>
public sealed record MigrationThreadSetupComplete : MigrationEvent
{
    public override string TraceName => "migration_thread_setup_complete";
    public override string Args => "";
}

/// <summary>savevm_send_switchover_start(): MIG_CMD_SWITCHOVER_START is sent.</summary>
public sealed record SwitchoverStartSent : MigrationEvent
{
    public override string TraceName => "savevm_send_switchover_start";
    public override string Args => "";
}

/// <summary>vfio_save_complete_precopy_thread_start(name, idstr, instance_id).</summary>
/// <param name="Idstr">The device's savevm idstr (null: the model's default, <c>NAME/vfio</c>).</param>
public sealed record SaveThreadStart(string Device, string? Idstr = null, uint InstanceId = 0) : MigrationEvent
{
    public override string TraceName => "vfio_save_complete_precopy_thread_start";
    public override string Args => Qemu(Device, Idstr ?? $"{Device}/vfio", InstanceId);
}

/// <summary>vfio_save_complete_precopy_thread_end(name, ret): QEMU passes its bool result, so ret 1 is success.</summary>
public sealed record SaveThreadEnd(string Device, bool Ret) : MigrationEvent
{
    public override string TraceName => "vfio_save_complete_precopy_thread_end";
    public override string Args => Qemu(Device, Ret);
}

/// <summary>vfio_save_device_config_state(name): the config was written (by the save thread in multifd mode).</summary>
public sealed record DeviceConfigSaved(string Device) : MigrationEvent
{
    public override string TraceName => "vfio_save_device_config_state";
    public override string Args => Qemu(Device);
}

/// <summary>Model only: multifd_queue_device_state is handing a VFIO packet to multifd_send.</summary>
public sealed record DeviceStateQueued(string Device, uint Idx, uint Flags, int DataBytes) : MigrationEvent
{
    public bool IsConfig => (Flags & 1) != 0;
    public override string TraceName => "model_multifd_queue_device_state";
    public override string Args => $"{Device} idx {Idx}{(IsConfig ? " config" : "")} size {DataBytes}";
}

/// <summary>
/// Model only: a send thread wrote a device-state packet to its channel (writev). RAM and SYNC packets are traced as
/// QEMU traces them, by <see cref="MultifdSendFill"/>.
/// </summary>
public sealed record PacketSent(int Channel, string? Device, uint Idx, bool IsConfig, bool ZeroCopy) : MigrationEvent
{
    public override string TraceName => "model_multifd_send";
    public override string Args => $"ch{Channel} {Device} idx {Idx}{(IsConfig ? " config" : "")}{(ZeroCopy ? " zerocopy" : "")}";
}

/// <summary>
/// A VFIO marker or data section written on the main channel. QEMU traces DEV_DATA_STATE as vfio_save_block(name,
/// data_size) and DEV_CONFIG_STATE as vfio_save_device_config_state(name); the other markers are the model's.
/// </summary>
public sealed record MainMarkerSent(string Device, ulong Marker, int DataBytes) : MigrationEvent
{
    public override string TraceName => Marker switch
    {
        Wire.VfioMarkers.DevDataState => "vfio_save_block",
        Wire.VfioMarkers.DevConfigState => "vfio_save_device_config_state",
        _ => "model_vfio_main_channel_put",
    };

    public override string Args => Marker switch
    {
        Wire.VfioMarkers.DevDataState => Qemu(Device, DataBytes),
        Wire.VfioMarkers.DevConfigState => Qemu(Device),
        _ => $"{Device} {Wire.VfioMarkers.Name(Marker)}{(DataBytes > 0 ? $" size {DataBytes}" : "")}",
    };
}

/// <summary>Model only: multifd_abort_device_state_save_threads set threads_abort.</summary>
public sealed record ThreadsAbortSet(bool AllSpawned) : MigrationEvent
{
    public override string TraceName => "model_multifd_abort_device_state_save_threads";
    public override string Args => AllSpawned ? "" : "before all save threads were spawned";
}

/// <summary>Model only: multifd_join_device_state_save_threads returned.</summary>
public sealed record SaveThreadsJoined(bool Ok) : MigrationEvent
{
    public override string TraceName => "model_multifd_join_device_state_save_threads";
    public override string Args => Ok ? "ok" : "failed";
}

/// <summary>multifd_send_fill: a send thread filled a RAM or SYNC packet (no event for device state, as in QEMU).</summary>
public sealed record MultifdSendFill(int Id, ulong PacketNum, uint Flags, uint NextPacketSize) : MigrationEvent
{
    public bool IsSync => (Flags & Wire.MultifdWire.FlagSync) != 0;
    public override string TraceName => "multifd_send_fill";
    public override string Args => Qemu(Id, PacketNum, Flags, NextPacketSize);
}

/// <summary>multifd_send_sync_main: the migration thread synced with every send thread.</summary>
public sealed record MultifdSendSyncMain(long PacketNum) : MigrationEvent
{
    public override string TraceName => "multifd_send_sync_main";
    public override string Args => Qemu(PacketNum);
}

/// <summary>multifd_send_terminate_threads (from multifd_send_shutdown).</summary>
public sealed record MultifdSendTerminateThreads : MigrationEvent
{
    public override string TraceName => "multifd_send_terminate_threads";
    public override string Args => "";
}

/// <summary>migration_cancel (migrate_cancel from the monitor).</summary>
public sealed record MigrationCancel : MigrationEvent
{
    public override string TraceName => "migration_cancel";
    public override string Args => "";
}

/// <summary>migrate_set_state: s->state changed.</summary>
public sealed record MigrateSetState(Core.MigrationStatus NewState) : MigrationEvent
{
    public override string TraceName => "migrate_set_state";
    public override string Args => Qemu(Core.MigrationStatusNames.QemuName(NewState));
}

/// <summary>multifd_send_thread_start(id): a send thread begins.</summary>
public sealed record SendThreadStart(int Channel) : MigrationEvent
{
    public override string TraceName => "multifd_send_thread_start";
    public override string Args => Qemu(Channel);
}

/// <summary>multifd_send_thread_end(id, packets): packets counts RAM and SYNC packets only (not device state), as QEMU's packets_sent.</summary>
public sealed record SendThreadEnd(int Channel, ulong Packets) : MigrationEvent
{
    public override string TraceName => "multifd_send_thread_end";
    public override string Args => Qemu(Channel, Packets);
}

/// <summary>multifd_send_error(id): the send thread leaves on an error (<paramref name="Message"/> is the model's text).</summary>
public sealed record SendChannelError(int Channel, string Message) : MigrationEvent
{
    public override string TraceName => "multifd_send_error";
    public override string Args => Qemu(Channel);
}

/// <summary>vmstate_downtime_checkpoint(checkpoint), with QEMU's checkpoint names.</summary>
public sealed record Checkpoint(string Name) : MigrationEvent
{
    public override string TraceName => "vmstate_downtime_checkpoint";
    public override string Args => Qemu(Name);
}

/// <summary>Model only: the source finished (migration thread done, threads joined, channels closed).</summary>
public sealed record SourceFinished(bool Completed) : MigrationEvent
{
    public override string TraceName => "model_migration_source_finished";
    public override string Args => Completed ? "completed" : "failed";
}

// ---- destination ----

/// <summary>Model only (QEMU does not trace vfio_load_setup): what the device snapshotted for this migration.</summary>
/// <param name="ConfigAfterIter">Multifd transfer with x-migration-load-config-after-iter in effect.</param>
/// <param name="Platform">The destination's target (ARM needs the interrupt controller loaded before VFIO config).</param>
/// <param name="MaxQueuedBuffers">x-migration-max-queued-buffers (the unmerged count limit); ulong.MaxValue: none.</param>
/// <param name="MaxQueuedBuffersSizeBytes">x-migration-max-queued-buffers-size; ulong.MaxValue: none.</param>
public sealed record LoadSetup(string Device, bool MultifdTransfer, bool ConfigAfterIter, Platform Platform = Platform.X86_64,
    ulong MaxQueuedBuffers = ulong.MaxValue, ulong MaxQueuedBuffersSizeBytes = ulong.MaxValue, string? Idstr = null) : MigrationEvent
{
    /// <summary>The device's savevm idstr (the name recv threads find it by).</summary>
    public string EffectiveIdstr => Idstr ?? $"{Device}/vfio";

    public override string TraceName => "model_vfio_load_setup";
    public override string Args => $"{Device}{(MultifdTransfer ? " multifd" : "")}{(ConfigAfterIter ? " config-after-iter" : "")}" +
        (MaxQueuedBuffers == ulong.MaxValue ? "" : $" max-queued-buffers {MaxQueuedBuffers}") +
        (MaxQueuedBuffersSizeBytes == ulong.MaxValue ? "" : $" max-queued-buffers-size {MaxQueuedBuffersSizeBytes}");
}

/// <summary>vfio_load_state(name, data): a VFIO marker read on the main channel (every one but END_OF_STATE).</summary>
public sealed record LoadStateMarker(string Device, ulong Marker) : MigrationEvent
{
    public override string TraceName => "vfio_load_state";
    public override string Args => Qemu(Device, Marker);
}

/// <summary>vfio_load_state_device_data(name, data_size, ret): main-channel device data written by the main thread.</summary>
public sealed record LoadStateDeviceData(string Device, int Size, int Ret) : MigrationEvent
{
    public override string TraceName => "vfio_load_state_device_data";
    public override string Args => Qemu(Device, (ulong)Size, Ret);
}

/// <summary>loadvm_process_command(s, len) for MIG_CMD_SWITCHOVER_START (traced before the length check).</summary>
public sealed record SwitchoverStartReceived(ushort Len = 0) : MigrationEvent
{
    public override string TraceName => "loadvm_process_command";
    public override string Args => Qemu("SWITCHOVER_START", Len);
}

/// <summary>
/// multifd_recv_sync_main(packet_num): the main thread synced with every recv thread. The model does not track
/// RAM packet numbers (RAM is not modelled): <paramref name="PacketNum"/> is 0 unless given.
/// </summary>
public sealed record RecvSyncMain(bool Ok, long PacketNum = 0) : MigrationEvent
{
    public override string TraceName => "multifd_recv_sync_main";
    public override string Args => Qemu(PacketNum);
}

/// <summary>multifd_recv_unfill: a recv thread read a RAM or SYNC packet.</summary>
public sealed record MultifdRecvUnfill(int Id, ulong PacketNum, uint Flags, uint NextPacketSize) : MigrationEvent
{
    public bool IsSync => (Flags & Wire.MultifdWire.FlagSync) != 0;
    public override string TraceName => "multifd_recv_unfill";
    public override string Args => Qemu(Id, PacketNum, Flags, NextPacketSize);
}

/// <summary>Model only: qemu_loadvm_start_load_thread submits a load thread to mis->load_threads.</summary>
public sealed record LoadThreadSubmitted(string Name) : MigrationEvent
{
    public override string TraceName => "model_qemu_loadvm_start_load_thread";
    public override string Args => Name;
}

/// <summary>vfio_load_state_device_buffer_incoming(name, idx): a packet passed the header checks (before the insert).</summary>
public sealed record BufferIncoming(string Device, uint Idx) : MigrationEvent
{
    public override string TraceName => "vfio_load_state_device_buffer_incoming";
    public override string Args => Qemu(Device, Idx);
}

/// <summary>Model only: a buffer was inserted into load_bufs (under load_bufs_mutex), with the state after the insert.</summary>
public sealed record BufferInserted(string Device, uint Idx, int Bytes, bool IsConfig, uint LoadBufIdx,
    uint LoadBufIdxLast, ulong QueuedCount, ulong QueuedBytes) : MigrationEvent
{
    public override string TraceName => "model_vfio_load_state_buffer_insert";
    public override string Args => $"{Device} idx {Idx} size {Bytes}{(IsConfig ? " config" : "")}";
}

/// <summary>Model only: the size or count limit refused a buffer: "would exceed the ... max of M".</summary>
/// <param name="Limit">"count" or "size".</param>
/// <param name="Counter">The engine's counter after the (not rolled back) increment.</param>
/// <param name="Bytes">The refused buffer's data length.</param>
public sealed record QueueLimitExceeded(string Device, uint Idx, string Limit, ulong Counter, ulong Max, int Bytes = 0) : MigrationEvent
{
    public override string TraceName => "model_vfio_load_state_buffer_insert_limit";
    public override string Args => $"{Device} idx {Idx} size {Bytes}: {Limit} {Counter} > {Max}";
}

/// <summary>vfio_load_bufs_thread_start(name).</summary>
public sealed record LoadBufsThreadStart(string Device) : MigrationEvent
{
    public override string TraceName => "vfio_load_bufs_thread_start";
    public override string Args => Qemu(Device);
}

/// <summary>vfio_load_bufs_thread_end(name), on success and on failure alike (<paramref name="Ret"/> is not printed).</summary>
public sealed record LoadBufsThreadEnd(string Device, bool Ret) : MigrationEvent
{
    public override string TraceName => "vfio_load_bufs_thread_end";
    public override string Args => Qemu(Device);
}

/// <summary>vfio_load_state_device_buffer_start(name): the load thread is about to write buffer 0.</summary>
public sealed record LoadBuffersStart(string Device) : MigrationEvent
{
    public override string TraceName => "vfio_load_state_device_buffer_start";
    public override string Args => Qemu(Device);
}

/// <summary>vfio_load_state_device_buffer_end(name): the load thread wrote the last data buffer (idx == last - 1).</summary>
public sealed record LoadBuffersEnd(string Device) : MigrationEvent
{
    public override string TraceName => "vfio_load_state_device_buffer_end";
    public override string Args => Qemu(Device);
}

/// <summary>vfio_load_state_device_buffer_starved(name, idx): buffer idx has not arrived; the load thread waits.</summary>
public sealed record BufferStarved(string Device, uint Idx) : MigrationEvent
{
    public override string TraceName => "vfio_load_state_device_buffer_starved";
    public override string Args => Qemu(Device, Idx);
}

/// <summary>vfio_load_state_device_buffer_load_start(name, idx): only for a buffer with data (len &gt; 0).</summary>
public sealed record BufferLoadStart(string Device, uint Idx) : MigrationEvent
{
    public override string TraceName => "vfio_load_state_device_buffer_load_start";
    public override string Args => Qemu(Device, Idx);
}

/// <summary>Model only: one write() of a buffer to data_fd returned; the counters are after the decrement.</summary>
public sealed record BufferChunkWritten(string Device, uint Idx, int Requested, int Ret, ulong QueuedCount,
    ulong QueuedBytes) : MigrationEvent
{
    public override string TraceName => "model_vfio_load_state_buffer_write";
    public override string Args => $"{Device} idx {Idx} wrote {Ret} of {Requested}";
}

/// <summary>vfio_load_state_device_buffer_load_end(name, idx): buffer idx was written whole.</summary>
public sealed record BufferLoadEnd(string Device, uint Idx) : MigrationEvent
{
    public override string TraceName => "vfio_load_state_device_buffer_load_end";
    public override string Args => Qemu(Device, Idx);
}

/// <summary>Model only: the load thread finished buffer idx (including zero-length ones) and moves load_buf_idx on.</summary>
public sealed record BufferLoaded(string Device, uint Idx, int Bytes, uint LoadBufIdxLast, ulong QueuedCount,
    ulong QueuedBytes) : MigrationEvent
{
    public override string TraceName => "model_vfio_load_buf_idx_next";
    public override string Args => $"{Device} idx {Idx} -> {Idx + 1}";
}

/// <summary>Model only: the load thread waits on load_bufs_iter_done_cond.</summary>
public sealed record IterDoneWait(string Device) : MigrationEvent
{
    public override string TraceName => "model_vfio_load_bufs_iter_done_wait";
    public override string Args => Device;
}

/// <summary>Model only: vfio_load_state_config_load_ready set load_bufs_iter_done (Duplicate: it was already set), under load_bufs_mutex.</summary>
public sealed record ConfigLoadReady(string Device, bool Duplicate) : MigrationEvent
{
    public override string TraceName => "model_vfio_load_state_config_load_ready";
    public override string Args => Duplicate ? $"{Device} duplicate" : Device;
}

/// <summary>vfio_load_device_config_state_start(name); the idx, BQL and iter_done state are the model's (not printed).</summary>
public sealed record ConfigLoadStart(string Device, uint Idx, bool BqlHeld, bool IterDone) : MigrationEvent
{
    public override string TraceName => "vfio_load_device_config_state_start";
    public override string Args => Qemu(Device);
}

/// <summary>vfio_load_device_config_state_end(name): QEMU traces it only when the config loaded.</summary>
public sealed record ConfigLoadEnd(string Device, int Ret) : MigrationEvent
{
    public override string TraceName => "vfio_load_device_config_state_end";
    public override string Args => Qemu(Device);
}

/// <summary>vmstate_load(idstr, vmsd_name) of the interrupt controller's section (the ARM GIC; non-iterable).</summary>
/// <param name="VmsdName">The section's VMStateDescription name (null: the same as the idstr, as for arm_gicv3).</param>
public sealed record InterruptControllerLoaded(string Idstr, string? VmsdName = null) : MigrationEvent
{
    public override string TraceName => "vmstate_load";
    public override string Args => Qemu(Idstr, VmsdName ?? Idstr);
}

/// <summary>qemu_loadvm_state_section_startfull(section_id, idstr, instance_id, version_id): a START or FULL section header.</summary>
public sealed record SectionStartFull(uint SectionId, string Idstr, uint InstanceId, uint VersionId) : MigrationEvent
{
    public override string TraceName => "qemu_loadvm_state_section_startfull";
    public override string Args => Qemu(SectionId, Idstr, InstanceId, VersionId);
}

/// <summary>loadvm_state_cleanup: qemu_loadvm_state_cleanup is entered (it requires the BQL since 6a76eb4872; <paramref name="BqlHeld"/> is the model's).</summary>
public sealed record LoadvmStateCleanup(bool BqlHeld) : MigrationEvent
{
    public override string TraceName => "loadvm_state_cleanup";
    public override string Args => Qemu();
}

/// <summary>Model only: load_threads_abort is set after qemu_loadvm_state_main.</summary>
public sealed record LoadThreadsAbortSet : MigrationEvent
{
    public override string TraceName => "model_qemu_loadvm_load_threads_abort";
    public override string Args => "";
}

/// <summary>Model only: qemu_loadvm_thread_pool_wait returned.</summary>
public sealed record LoadThreadsWait(bool Ok) : MigrationEvent
{
    public override string TraceName => "model_qemu_loadvm_thread_pool_wait";
    public override string Args => Ok ? "ok" : "failed";
}

/// <summary>qemu_loadvm_state_post_main(ret): qemu_loadvm_state_main returned.</summary>
public sealed record LoadStatePostMain(int Ret) : MigrationEvent
{
    public override string TraceName => "qemu_loadvm_state_post_main";
    public override string Args => Qemu(Ret);
}

/// <summary>process_incoming_migration_co_end(ret[, ps]): qemu_loadvm_state returned (10.0 and 10.1 also print the postcopy state, 0 for precopy).</summary>
public sealed record IncomingMigrationCoEnd(int Ret, int PostcopyState = 0) : MigrationEvent
{
    public override string TraceName => "process_incoming_migration_co_end";
    public override string Args => Qemu(Ret, PostcopyState);
}

/// <summary>vmstate_downtime_checkpoint("dst-precopy-bh-vm-started"): the destination started the VM.</summary>
public sealed record VmStarted : MigrationEvent
{
    public override string TraceName => "vmstate_downtime_checkpoint";
    public override string Args => Qemu("dst-precopy-bh-vm-started");
}

/// <summary>multifd_recv_thread_start(id): a recv thread begins.</summary>
public sealed record RecvThreadStart(int Channel) : MigrationEvent
{
    public override string TraceName => "multifd_recv_thread_start";
    public override string Args => Qemu(Channel);
}

/// <summary>multifd_recv_thread_end(id, packets): packets counts every packet read whole (device state included).</summary>
public sealed record RecvThreadEnd(int Channel, ulong Packets) : MigrationEvent
{
    public override string TraceName => "multifd_recv_thread_end";
    public override string Args => Qemu(Channel, Packets);
}

/// <summary>multifd_recv_terminate_threads(error): called with (1) or without (0) an error, before the exiting check.</summary>
public sealed record RecvTerminateThreads(bool Error) : MigrationEvent
{
    public override string TraceName => "multifd_recv_terminate_threads";
    public override string Args => Qemu(Error);
}

/// <summary>Model only: multifd_recv_cleanup joined every recv thread.</summary>
public sealed record RecvThreadsJoined : MigrationEvent
{
    public override string TraceName => "model_multifd_recv_cleanup";
    public override string Args => "";
}

/// <summary>Model only: vfio_load_cleanup_load_bufs_thread returned (Waited: it waited for a running load thread).</summary>
public sealed record LoadBufsThreadCleanedUp(string Device, bool Waited) : MigrationEvent
{
    public override string TraceName => "model_vfio_load_cleanup_load_bufs_thread";
    public override string Args => Waited ? $"{Device} waited" : Device;
}

/// <summary>Model only: vfio_multifd_free: VFIOMultifd and every buffer still in load_bufs freed.</summary>
public sealed record VfioMultifdFreed(string Device, int BuffersFreed, bool LoadThreadRunning) : MigrationEvent
{
    public override string TraceName => "model_vfio_multifd_free";
    public override string Args => $"{Device} freed {BuffersFreed} buffers";
}

/// <summary>Model only: vfio_migration_cleanup closed data_fd.</summary>
public sealed record DataFdClosed(string Device) : MigrationEvent
{
    public override string TraceName => "model_vfio_migration_cleanup";
    public override string Args => Device;
}

/// <summary>vfio_load_cleanup(name): traced after VFIOMultifd was freed and data_fd closed.</summary>
public sealed record VfioLoadCleanup(string Device) : MigrationEvent
{
    public override string TraceName => "vfio_load_cleanup";
    public override string Args => Qemu(Device);
}

/// <summary>Model only: the destination's main thread finished.</summary>
public sealed record DestinationFinished(bool Completed, bool VmRunning) : MigrationEvent
{
    public override string TraceName => "model_migration_incoming_finished";
    public override string Args => Completed ? "completed" : "failed";
}

// ---- the world (emitted by the simulation, not by the engine) ----

/// <summary>Simulation: write(data_fd) reached the destination device.</summary>
public sealed record DeviceWrite(string Device, long Offset, int Requested, int Ret) : MigrationEvent
{
    public override string TraceName => "sim_device_data_fd_write";
    public override string Args => $"{Device} offset {Offset} wrote {Ret} of {Requested}";
}

/// <summary>Simulation: the destination device applied a config.</summary>
public sealed record DeviceConfigLoaded(string Device, int Bytes) : MigrationEvent
{
    public override string TraceName => "sim_device_config_load";
    public override string Args => $"{Device} size {Bytes}";
}

/// <summary>Simulation: a fault the scenario allowed was injected here.</summary>
public sealed record FaultInjected(string Fault, string Where) : MigrationEvent
{
    public override string TraceName => "sim_fault";
    public override string Args => $"{Fault} at {Where}";
}

// ---- waits (model only: where a thread may block; they explain a hang) ----

/// <summary>Model only: a thread begins qemu_cond_wait on a cond (of a device's mutex, if any).</summary>
public sealed record CondWait(string Cond, string? Device) : MigrationEvent
{
    public override string TraceName => "model_cond_wait";
    public override string Args => Device is null ? Cond : $"{Device}.{Cond}";
}

/// <summary>Model only: a thread blocks in qemu_sem_wait (the semaphore's count was zero).</summary>
public sealed record SemWait(string Semaphore) : MigrationEvent
{
    public override string TraceName => "model_sem_wait";
    public override string Args => Semaphore;
}

/// <summary>Model only: a thread joins another (qemu_thread_join); it blocks until that thread ends.</summary>
public sealed record ThreadJoin(string Thread) : MigrationEvent
{
    public override string TraceName => "model_thread_join";
    public override string Args => Thread;
}

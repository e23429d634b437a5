using System.Collections.Immutable;

namespace Multifd.Engine.Ports;

/// <summary>Which QEMU process an event comes from.</summary>
public enum Side
{
    Source,
    Destination,
}

/// <summary>
/// What the engine reports as it runs. Names follow QEMU's trace events (hw/vfio/trace-events,
/// migration/trace-events) where QEMU has one; <see cref="TraceName"/> is that name.
/// </summary>
public abstract record MigrationEvent
{
    /// <summary>The QEMU trace event (or, where QEMU has none, the function) this event stands for.</summary>
    public abstract string TraceName { get; }

    /// <summary>The arguments, as a QEMU trace line prints them.</summary>
    public abstract string Args { get; }

    public override string ToString() => Args.Length == 0 ? TraceName : $"{TraceName} {Args}";
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

public sealed record ThreadStarted(string Name) : MigrationEvent
{
    public override string TraceName => "qemu_thread_start";
    public override string Args => Name;
}

/// <param name="Aborted">The thread died in a failed QEMU assertion (abort()).</param>
public sealed record ThreadEnded(string Name, bool Aborted) : MigrationEvent
{
    public override string TraceName => "qemu_thread_end";
    public override string Args => Aborted ? $"{Name} aborted" : Name;
}

/// <summary>A QEMU assert() failed: QEMU would abort the process.</summary>
public sealed record QemuAborted(string Message) : MigrationEvent
{
    public override string TraceName => "abort";
    public override string Args => Message;
}

/// <summary>A thread acquired a mutex; <paramref name="Held"/> are the locks it already held.</summary>
public sealed record MutexLocked(string Mutex, string? Device, ImmutableArray<string> Held) : MigrationEvent
{
    public bool BqlHeld => Held.Contains("BQL");
    public override string TraceName => "qemu_mutex_lock";
    public override string Args =>
        (Device is null ? Mutex : $"{Device}.{Mutex}") + (Held.IsEmpty ? "" : $" holding {string.Join(",", Held)}");
}

/// <summary>migrate_set_error / migrate_error_propagate: the first error of a side is kept.</summary>
public sealed record MigrationErrorSet(string Message, ErrorKind Kind) : MigrationEvent
{
    public override string TraceName => "migrate_set_error";
    public override string Args => $"[{Kind}] {Message}";
}

/// <summary>An error_report() that does not go through migrate_set_error (e.g. a section load failure).</summary>
public sealed record ErrorReported(string Message, ErrorKind Kind) : MigrationEvent
{
    public override string TraceName => "error_report";
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

/// <param name="ConfigAfterIter">vfio_load_config_after_iter() on the source: whether save_state sends DEV_CONFIG_LOAD_READY.</param>
public sealed record SaveSetup(string Device, bool MultifdTransfer, int DataBufferSize, bool ConfigAfterIter = false) : MigrationEvent
{
    public override string TraceName => "vfio_save_setup";
    public override string Args =>
        $"{Device} data_buffer_size {DataBufferSize}{(MultifdTransfer ? " multifd" : "")}{(ConfigAfterIter ? " config-after-iter" : "")}";
}

/// <summary>The migration thread finished setup (every SE's save_setup) and enters precopy.</summary>
public sealed record MigrationThreadSetupComplete : MigrationEvent
{
    public override string TraceName => "migration_thread_setup_complete";
    public override string Args => "";
}

public sealed record SwitchoverStartSent : MigrationEvent
{
    public override string TraceName => "savevm_send_switchover_start";
    public override string Args => "";
}

public sealed record SaveThreadStart(string Device) : MigrationEvent
{
    public override string TraceName => "vfio_save_complete_precopy_thread_start";
    public override string Args => Device;
}

public sealed record SaveThreadEnd(string Device, bool Ret) : MigrationEvent
{
    public override string TraceName => "vfio_save_complete_precopy_thread_end";
    public override string Args => $"{Device} ret {(Ret ? 0 : -1)}";
}

/// <summary>multifd_queue_device_state is handing a VFIO packet to multifd_send.</summary>
public sealed record DeviceStateQueued(string Device, uint Idx, uint Flags, int DataBytes) : MigrationEvent
{
    public bool IsConfig => (Flags & 1) != 0;
    public override string TraceName => "multifd_queue_device_state";
    public override string Args => $"{Device} idx {Idx}{(IsConfig ? " config" : "")} size {DataBytes}";
}

/// <summary>A send thread wrote a packet to its channel (writev): a device-state packet, or a RAM SYNC.</summary>
public sealed record PacketSent(int Channel, string? Device, uint Idx, bool IsConfig, bool ZeroCopy) : MigrationEvent
{
    public bool IsSync => Device is null;
    public override string TraceName => "multifd_send";
    public override string Args => IsSync ? $"ch{Channel} SYNC"
        : $"ch{Channel} {Device} idx {Idx}{(IsConfig ? " config" : "")}{(ZeroCopy ? " zerocopy" : "")}";
}

/// <summary>A VFIO marker or data section written on the main channel.</summary>
public sealed record MainMarkerSent(string Device, ulong Marker, int DataBytes) : MigrationEvent
{
    public override string TraceName => "vfio_main_channel_put";
    public override string Args => $"{Device} {Wire.VfioMarkers.Name(Marker)}{(DataBytes > 0 ? $" size {DataBytes}" : "")}";
}

public sealed record ThreadsAbortSet(bool AllSpawned) : MigrationEvent
{
    public override string TraceName => "multifd_abort_device_state_save_threads";
    public override string Args => AllSpawned ? "" : "before all save threads were spawned";
}

public sealed record SaveThreadsJoined(bool Ok) : MigrationEvent
{
    public override string TraceName => "multifd_join_device_state_save_threads";
    public override string Args => Ok ? "ok" : "failed";
}

/// <summary>multifd_send_fill: a send thread filled a RAM or SYNC packet (no event for device state, as in QEMU).</summary>
public sealed record MultifdSendFill(int Id, ulong PacketNum, uint Flags, uint NextPacketSize) : MigrationEvent
{
    public bool IsSync => (Flags & Wire.MultifdWire.FlagSync) != 0;
    public override string TraceName => "multifd_send_fill";
    public override string Args => $"channel {Id} packet_num {PacketNum} flags 0x{Flags:x} next packet size {NextPacketSize}";
}

/// <summary>multifd_send_sync_main: the migration thread synced with every send thread.</summary>
public sealed record MultifdSendSyncMain(long PacketNum) : MigrationEvent
{
    public override string TraceName => "multifd_send_sync_main";
    public override string Args => $"packet num {PacketNum}";
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
    public override string Args => $"new state {Core.MigrationStatusNames.QemuName(NewState)}";
}

/// <summary>vmstate_downtime_checkpoint.</summary>
public sealed record Checkpoint(string Name) : MigrationEvent
{
    public override string TraceName => "vmstate_downtime_checkpoint";
    public override string Args => Name;
}

/// <summary>The source finished (migration thread done, threads joined, channels closed).</summary>
public sealed record SourceFinished(bool Completed) : MigrationEvent
{
    public override string TraceName => "migration_source_finished";
    public override string Args => Completed ? "completed" : "failed";
}

// ---- destination ----

/// <summary>vfio_load_setup: what the device snapshotted for this migration.</summary>
/// <param name="ConfigAfterIter">Multifd transfer with x-migration-load-config-after-iter in effect.</param>
/// <param name="Platform">The destination's target (ARM needs the interrupt controller loaded before VFIO config).</param>
/// <param name="MaxQueuedBuffers">x-migration-max-queued-buffers (the unmerged count limit); ulong.MaxValue: none.</param>
/// <param name="MaxQueuedBuffersSizeBytes">x-migration-max-queued-buffers-size; ulong.MaxValue: none.</param>
public sealed record LoadSetup(string Device, bool MultifdTransfer, bool ConfigAfterIter, Platform Platform = Platform.X86_64,
    ulong MaxQueuedBuffers = ulong.MaxValue, ulong MaxQueuedBuffersSizeBytes = ulong.MaxValue) : MigrationEvent
{
    public override string TraceName => "vfio_load_setup";
    public override string Args => $"{Device}{(MultifdTransfer ? " multifd" : "")}{(ConfigAfterIter ? " config-after-iter" : "")}" +
        (MaxQueuedBuffers == ulong.MaxValue ? "" : $" max-queued-buffers {MaxQueuedBuffers}") +
        (MaxQueuedBuffersSizeBytes == ulong.MaxValue ? "" : $" max-queued-buffers-size {MaxQueuedBuffersSizeBytes}");
}

/// <summary>vfio_load_state(name, data): a VFIO marker read on the main channel.</summary>
public sealed record LoadStateMarker(string Device, ulong Marker) : MigrationEvent
{
    public override string TraceName => "vfio_load_state";
    public override string Args => $"{Device} {Wire.VfioMarkers.Name(Marker)}";
}

/// <summary>vfio_load_state_device_data: main-channel device data written by the main thread.</summary>
public sealed record LoadStateDeviceData(string Device, int Size, int Ret) : MigrationEvent
{
    public override string TraceName => "vfio_load_state_device_data";
    public override string Args => $"{Device} size {Size} ret {Ret}";
}

public sealed record SwitchoverStartReceived : MigrationEvent
{
    public override string TraceName => "loadvm_process_command";
    public override string Args => "SWITCHOVER_START";
}

/// <summary>multifd_recv_sync_main: the main thread synced with every recv thread.</summary>
public sealed record RecvSyncMain(bool Ok) : MigrationEvent
{
    public override string TraceName => "multifd_recv_sync_main";
    public override string Args => Ok ? "" : "failed";
}

/// <summary>multifd_recv_unfill: a recv thread read a RAM or SYNC packet.</summary>
public sealed record MultifdRecvUnfill(int Id, ulong PacketNum, uint Flags, uint NextPacketSize) : MigrationEvent
{
    public bool IsSync => (Flags & Wire.MultifdWire.FlagSync) != 0;
    public override string TraceName => "multifd_recv_unfill";
    public override string Args => $"channel {Id} packet_num {PacketNum} flags 0x{Flags:x} next packet size {NextPacketSize}";
}

/// <summary>multifd_recv_terminate_threads(error): traced on every call, before the first-caller check.</summary>
public sealed record MultifdRecvTerminateThreads(bool Error) : MigrationEvent
{
    public override string TraceName => "multifd_recv_terminate_threads";
    public override string Args => $"error {(Error ? 1 : 0)}";
}

public sealed record LoadThreadSubmitted(string Name) : MigrationEvent
{
    public override string TraceName => "qemu_loadvm_start_load_thread";
    public override string Args => Name;
}

public sealed record BufferIncoming(string Device, uint Idx) : MigrationEvent
{
    public override string TraceName => "vfio_load_state_device_buffer_incoming";
    public override string Args => $"{Device} idx {Idx}";
}

/// <summary>A buffer was inserted into load_bufs (under load_bufs_mutex), with the state after the insert.</summary>
public sealed record BufferInserted(string Device, uint Idx, int Bytes, bool IsConfig, uint LoadBufIdx,
    uint LoadBufIdxLast, ulong QueuedCount, ulong QueuedBytes) : MigrationEvent
{
    public override string TraceName => "vfio_load_state_buffer_insert";
    public override string Args => $"{Device} idx {Idx} size {Bytes}{(IsConfig ? " config" : "")}";
}

/// <summary>The size or count limit refused a buffer: "would exceed the ... max of M".</summary>
/// <param name="Limit">"count" or "size".</param>
/// <param name="Counter">The engine's counter after the (not rolled back) increment.</param>
/// <param name="Bytes">The refused buffer's data length.</param>
public sealed record QueueLimitExceeded(string Device, uint Idx, string Limit, ulong Counter, ulong Max, int Bytes = 0) : MigrationEvent
{
    public override string TraceName => "vfio_load_state_buffer_insert_limit";
    public override string Args => $"{Device} idx {Idx} size {Bytes}: {Limit} {Counter} > {Max}";
}

public sealed record LoadBufsThreadStart(string Device) : MigrationEvent
{
    public override string TraceName => "vfio_load_bufs_thread_start";
    public override string Args => Device;
}

public sealed record LoadBufsThreadEnd(string Device, bool Ret) : MigrationEvent
{
    public override string TraceName => "vfio_load_bufs_thread_end";
    public override string Args => $"{Device}{(Ret ? "" : " failed")}";
}

public sealed record BufferStarved(string Device, uint Idx) : MigrationEvent
{
    public override string TraceName => "vfio_load_state_device_buffer_starved";
    public override string Args => $"{Device} idx {Idx}";
}

public sealed record BufferLoadStart(string Device, uint Idx) : MigrationEvent
{
    public override string TraceName => "vfio_load_state_device_buffer_load_start";
    public override string Args => $"{Device} idx {Idx}";
}

/// <summary>One write() of a buffer to data_fd returned; the counters are after the decrement.</summary>
public sealed record BufferChunkWritten(string Device, uint Idx, int Requested, int Ret, ulong QueuedCount,
    ulong QueuedBytes) : MigrationEvent
{
    public override string TraceName => "vfio_load_state_buffer_write";
    public override string Args => $"{Device} idx {Idx} wrote {Ret} of {Requested}";
}

public sealed record BufferLoadEnd(string Device, uint Idx) : MigrationEvent
{
    public override string TraceName => "vfio_load_state_device_buffer_load_end";
    public override string Args => $"{Device} idx {Idx}";
}

/// <summary>The load thread finished buffer idx (including zero-length ones) and moves load_buf_idx on.</summary>
public sealed record BufferLoaded(string Device, uint Idx, int Bytes, uint LoadBufIdxLast, ulong QueuedCount,
    ulong QueuedBytes) : MigrationEvent
{
    public override string TraceName => "vfio_load_buf_idx_next";
    public override string Args => $"{Device} idx {Idx} -> {Idx + 1}";
}

public sealed record IterDoneWait(string Device) : MigrationEvent
{
    public override string TraceName => "vfio_load_bufs_iter_done_wait";
    public override string Args => Device;
}

/// <summary>vfio_load_state_config_load_ready set load_bufs_iter_done (Duplicate: it was already set), under load_bufs_mutex.</summary>
public sealed record ConfigLoadReady(string Device, bool Duplicate) : MigrationEvent
{
    public override string TraceName => "vfio_load_state_config_load_ready";
    public override string Args => Duplicate ? $"{Device} duplicate" : Device;
}

public sealed record ConfigLoadStart(string Device, uint Idx, bool BqlHeld, bool IterDone) : MigrationEvent
{
    public override string TraceName => "vfio_load_device_config_state_start";
    public override string Args => $"{Device} idx {Idx}";
}

public sealed record ConfigLoadEnd(string Device, int Ret) : MigrationEvent
{
    public override string TraceName => "vfio_load_device_config_state_end";
    public override string Args => $"{Device} ret {Ret}";
}

/// <summary>The destination loaded the interrupt controller's section (the ARM GIC/ITS; non-iterable).</summary>
public sealed record InterruptControllerLoaded(string Idstr) : MigrationEvent
{
    public override string TraceName => "vmstate_load";
    public override string Args => Idstr;
}

/// <summary>qemu_loadvm_state_cleanup is entered (it requires the BQL since 6a76eb4872).</summary>
public sealed record LoadvmStateCleanup(bool BqlHeld) : MigrationEvent
{
    public override string TraceName => "loadvm_state_cleanup";
    public override string Args => BqlHeld ? "" : "without the BQL";
}

public sealed record LoadThreadsAbortSet : MigrationEvent
{
    public override string TraceName => "qemu_loadvm_load_threads_abort";
    public override string Args => "";
}

public sealed record LoadThreadsWait(bool Ok) : MigrationEvent
{
    public override string TraceName => "qemu_loadvm_thread_pool_wait";
    public override string Args => Ok ? "ok" : "failed";
}

public sealed record LoadStatePostMain(int Ret) : MigrationEvent
{
    public override string TraceName => "qemu_loadvm_state_post_main";
    public override string Args => $"ret {Ret}";
}

public sealed record VmStarted : MigrationEvent
{
    public override string TraceName => "vmstate_downtime_checkpoint";
    public override string Args => "dst-precopy-bh-vm-started";
}

public sealed record RecvThreadsJoined : MigrationEvent
{
    public override string TraceName => "multifd_recv_cleanup";
    public override string Args => "";
}

/// <summary>vfio_load_cleanup_load_bufs_thread returned (Waited: it waited for a running load thread).</summary>
public sealed record LoadBufsThreadCleanedUp(string Device, bool Waited) : MigrationEvent
{
    public override string TraceName => "vfio_load_cleanup_load_bufs_thread";
    public override string Args => Waited ? $"{Device} waited" : Device;
}

/// <summary>vfio_multifd_free: VFIOMultifd and every buffer still in load_bufs freed.</summary>
public sealed record VfioMultifdFreed(string Device, int BuffersFreed, bool LoadThreadRunning) : MigrationEvent
{
    public override string TraceName => "vfio_multifd_free";
    public override string Args => $"{Device} freed {BuffersFreed} buffers";
}

public sealed record DataFdClosed(string Device) : MigrationEvent
{
    public override string TraceName => "vfio_migration_cleanup";
    public override string Args => Device;
}

public sealed record DestinationFinished(bool Completed, bool VmRunning) : MigrationEvent
{
    public override string TraceName => "migration_incoming_finished";
    public override string Args => Completed ? "completed" : "failed";
}

// ---- the world (emitted by the simulation, not by the engine) ----

/// <summary>write(data_fd) reached the destination device.</summary>
public sealed record DeviceWrite(string Device, long Offset, int Requested, int Ret) : MigrationEvent
{
    public override string TraceName => "device_data_fd_write";
    public override string Args => $"{Device} offset {Offset} wrote {Ret} of {Requested}";
}

/// <summary>The destination device applied a config.</summary>
public sealed record DeviceConfigLoaded(string Device, int Bytes) : MigrationEvent
{
    public override string TraceName => "device_config_load";
    public override string Args => $"{Device} size {Bytes}";
}

/// <summary>A fault the scenario allowed was injected here.</summary>
public sealed record FaultInjected(string Fault, string Where) : MigrationEvent
{
    public override string TraceName => "fault";
    public override string Args => $"{Fault} at {Where}";
}

// ---- waits (where a thread may block; they explain a hang) ----

/// <summary>A thread begins qemu_cond_wait on a cond (of a device's mutex, if any).</summary>
public sealed record CondWait(string Cond, string? Device) : MigrationEvent
{
    public override string TraceName => "qemu_cond_wait";
    public override string Args => Device is null ? Cond : $"{Device}.{Cond}";
}

/// <summary>A thread blocks in qemu_sem_wait (the semaphore's count was zero).</summary>
public sealed record SemWait(string Semaphore) : MigrationEvent
{
    public override string TraceName => "qemu_sem_wait";
    public override string Args => Semaphore;
}

/// <summary>A thread joins another (qemu_thread_join); it blocks until that thread ends.</summary>
public sealed record ThreadJoin(string Thread) : MigrationEvent
{
    public override string TraceName => "qemu_thread_join";
    public override string Args => Thread;
}

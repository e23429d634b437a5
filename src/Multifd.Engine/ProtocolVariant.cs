namespace Multifd.Engine;

/// <summary>
/// A named, documented deviation of the protocol: an earlier or plausible-wrong version of QEMU's code.
/// Each variant is checked at exactly one place in the engine (grep the enum member).
/// </summary>
public enum ProtocolVariant
{
    /// <summary>QEMU 10.1 as merged (the protocol the checker must find no bug in).</summary>
    Correct,
    /// <summary>After its last scan's flush-and-sync, ram_save_complete sends one more multifd SYNC with no MULTIFD_FLUSH marker (9.1 637280aeb2, fixed by 1d457daf86).</summary>
    FinalSyncStrandsRecv,
    /// <summary>Load-thread cleanup waits once on thread_finished instead of looping while running (series v3 22/24).</summary>
    SingleWaitCleanup,
    /// <summary>A partial write() of a state buffer is taken as the whole buffer (mutation of the v3 write path).</summary>
    ShortWriteAsComplete,
    /// <summary>VFIODeviceStatePacket header in host byte order (before cbb2e10526).</summary>
    HostEndianHeader,
    /// <summary>migration_incoming_state_destroy entered without the BQL (fixed by 6a76eb4872).</summary>
    CleanupWithoutBql,
    /// <summary>The load thread starts at load_setup, not at MIG_CMD_SWITCHOVER_START (series v2, without its gate).</summary>
    LoadThreadAtSetup,
    /// <summary>QEMU 10.0 on ARM64: config loaded without waiting for DEV_CONFIG_LOAD_READY (before 6380b0a02f).</summary>
    NoConfigInterlock,
    /// <summary>The queued-buffers count is decremented when a write starts, not after it (count limit of the v2..v6 series).</summary>
    QueuedCountDrift,
    /// <summary>vfio_multifd_switchover_start takes load_bufs_mutex without dropping the BQL.</summary>
    LockOrderInversion,
    /// <summary>vfio_load_cleanup_load_bufs_thread takes load_bufs_mutex without dropping the BQL (deadlocks).</summary>
    CleanupLockOrderInversion,
    /// <summary>Device-state packets sent with the zero-copy write flag (fixed by 6be7696129).</summary>
    ZeroCopyDeviceState,
    /// <summary>The destination ignores a migration error set by a recv thread after loadvm (before e0ad300fe1).</summary>
    NoErrorCheckAfterLoadvm,
    /// <summary>vfio_load_state_config_load_ready without its load_bufs_iter_done check: a second DEV_CONFIG_LOAD_READY is accepted (mutation).</summary>
    NoDuplicateLoadReadyCheck,
    /// <summary>vfio_save_state without its multifd return: the config also goes on the main channel as DEV_CONFIG_STATE (mutation).</summary>
    ConfigAlsoOnMainChannel,
    /// <summary>vfio_load_state_buffer_insert without its "already filled" check: a duplicate packet overwrites its buffer (mutation).</summary>
    NoAlreadyFilledCheck,
    /// <summary>Deep: the load thread drops load_bufs_mutex between finding its buffer absent and waiting on load_bufs_buffer_ready_cond, then waits without re-checking (mutation of vfio_load_bufs_thread).</summary>
    BufferWaitAfterUnlock,
    /// <summary>Deep: vfio_load_state_buffer_write computes load_buf_queued_pending_buffers_size's new value before it re-takes load_bufs_mutex (mutation).</summary>
    QueuedSizeUpdateOutsideLock,
    /// <summary>Deep: multifd_send_terminate_threads posts each p->sem before it sets exiting (mutation of its order).</summary>
    ExitingSetAfterKick,
    /// <summary>Deep: vfio_load_state_config_load_ready signals load_bufs_iter_done_cond and sets load_bufs_iter_done in a later critical section (mutation).</summary>
    IterDoneSignalBeforeSet,
    /// <summary>Deep: vfio_load_state_buffer_insert marks the buffer present, then drops load_bufs_mutex to copy the payload (mutation).</summary>
    InsertUnlockedBeforeStore,
    /// <summary>Deep: vfio_load_cleanup_load_bufs_thread wakes load_bufs_buffer_ready_cond only, not load_bufs_iter_done_cond (mutation).</summary>
    CleanupMissesIterDoneWake,
    /// <summary>Deep: the load thread's wait for load_bufs_iter_done does not re-check want_exit/should_quit after a wakeup (mutation).</summary>
    IterDoneWaitIgnoresWantExit,
    /// <summary>Deep: multifd_recv_terminate_threads does not post each p->sem_sync (mutation).</summary>
    RecvTerminateSkipsSemSync,
    /// <summary>Deep: vfio_load_bufs_thread's exit signals load_bufs_thread_finished_cond, then clears load_bufs_thread_running in a later critical section (mutation).</summary>
    FinishedSignalBeforeRunningCleared,
}

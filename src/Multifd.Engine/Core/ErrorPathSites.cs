namespace Multifd.Engine.Core;

/// <summary>One error or cleanup branch of the engine: its id, the QEMU function it follows, and what the branch does.</summary>
public sealed record ErrorPathSite(string Id, string Function, string Description);

/// <summary>
/// Every error and cleanup branch of the engine (each QEMU <c>goto err</c> or early error return, each exiting /
/// should_quit / threads_abort / load_threads_abort check that is taken, each cond and semaphore wake of a
/// termination or cleanup) as a named site. The engine marks a site where the branch is taken
/// (<see cref="QemuProcess.Site"/>); the checker reports which sites a run reached and, with
/// <c>check --require-sites</c>, makes an untaken site fail a pass as inconclusive. Ids are "area.what"; the area is
/// the engine file's side (recv, send, dst, src, vfio, dev).
/// </summary>
public static class ErrorPathSites
{
    public static readonly IReadOnlyList<ErrorPathSite> All =
    [
        new("recv.thread-exiting", "multifd_recv_thread", "exiting set: the recv thread leaves its loop"),
        new("recv.thread-eof", "multifd_recv_thread", "end of stream at a packet boundary: the thread ends without error"),
        new("recv.thread-read-error", "multifd_recv_thread", "reading a packet header failed: error, terminate the threads"),
        new("recv.thread-bad-header", "multifd_recv_thread", "multifd_recv_unfill_packet refuses the header (magic, version, flags)"),
        new("recv.thread-terminate", "multifd_recv_thread", "the thread failed: multifd_recv_terminate_threads(local_err)"),
        new("recv.device-state-header-eof", "multifd_recv_thread", "EOF in the device-state packet header"),
        new("recv.device-state-empty", "multifd_device_state_recv", "an empty device-state packet"),
        new("recv.device-state-load-error", "multifd_device_state_recv", "qemu_loadvm_load_state_buffer failed"),
        new("recv.device-state-sync-flag", "multifd_recv_thread", "a device-state packet with the SYNC flag"),
        new("recv.device-state-payload-eof", "multifd_device_state_recv", "EOF in the device-state payload"),
        new("recv.device-state-bad-idstr", "multifd_device_state_recv", "the idstr is not NUL-terminated"),
        new("recv.ram-header-eof", "multifd_recv_thread", "EOF in a RAM packet header"),
        new("recv.terminate-already-exiting", "multifd_recv_terminate_threads", "already exiting: a later error is dropped"),
        new("recv.terminate-set-error", "multifd_recv_terminate_threads", "the first terminator records its error (migrate_set_error)"),
        new("recv.terminate-wake", "multifd_recv_terminate_threads", "posts every p->sem_sync and shuts every channel down"),
        new("recv.cleanup-join", "multifd_recv_cleanup", "joins the recv threads"),
        new("dst.incoming-fail", "process_incoming_migration_co", "qemu_loadvm_state failed: FAILED, error, migration_incoming_state_destroy"),
        new("dst.bad-header", "qemu_loadvm_state_header", "bad magic or version, or the read failed"),
        new("dst.load-setup-failed", "qemu_loadvm_state_setup", "a load_setup handler failed"),
        new("dst.error-after-main", "qemu_loadvm_state", "migrate_has_error() after qemu_loadvm_state_main (e0ad300fe1)"),
        new("dst.load-threads-failed", "qemu_loadvm_state", "qemu_loadvm_thread_pool_wait: a load thread failed"),
        new("dst.main-read-error", "qemu_loadvm_state_main", "reading a section type failed (EOF or error)"),
        new("dst.unknown-section-type", "qemu_loadvm_state_main", "unknown section type"),
        new("dst.unknown-idstr", "qemu_loadvm_section_start_full", "unknown savevm section or instance"),
        new("dst.section-load-failed", "vmstate_load", "a section's load_state failed"),
        new("dst.section-footer", "check_section_footer", "missing section footer, or the read failed"),
        new("dst.command-read-error", "loadvm_process_command", "reading the command failed"),
        new("dst.unknown-command", "loadvm_process_command", "unknown MIG_CMD"),
        new("dst.switchover-bad-length", "loadvm_process_command", "SWITCHOVER_START with a bad length"),
        new("dst.load-thread-error", "qemu_loadvm_load_thread", "a load thread returned an error: migrate_set_error"),
        new("dst.destroy-abort-load-threads", "qemu_loadvm_thread_pool_destroy", "sets load_threads_abort and waits for the load threads"),
        new("dst.return-path-shut", "migration_incoming_state_destroy", "sends SHUT (with the error flag on failure) on the return path"),
        new("dst.ram-read-error", "ram_load_precopy", "reading the RAM flags failed"),
        new("dst.ram-unknown-flags", "ram_load_precopy", "unknown combination of RAM flags"),
        new("vfio.load-setup-unsupported", "vfio_multifd_setup", "multifd transfer requested but unsupported (destination)"),
        new("vfio.config-on-main-in-multifd", "vfio_load_state", "DEV_CONFIG_STATE on the main channel in multifd mode"),
        new("vfio.setup-state-no-eos", "vfio_load_state", "SETUP_STATE without END_OF_STATE"),
        new("vfio.load-buffer-failed", "vfio_load_buffer", "copying main-channel data to data_fd failed"),
        new("vfio.unknown-tag", "vfio_load_state", "unknown tag"),
        new("vfio.load-state-read-error", "vfio_load_state", "reading the device section failed"),
        new("vfio.load-ready-not-multifd", "vfio_load_state_config_load_ready", "DEV_CONFIG_LOAD_READY outside multifd transfer"),
        new("vfio.packet-not-multifd", "vfio_multifd_load_state_buffer", "a device-state packet for a device not doing multifd transfer"),
        new("vfio.packet-too-short", "vfio_multifd_load_state_buffer", "packet too short"),
        new("vfio.packet-bad-version", "vfio_multifd_load_state_buffer", "unknown packet version"),
        new("vfio.packet-invalid-idx", "vfio_multifd_load_state_buffer", "packet index UINT32_MAX"),
        new("vfio.insert-failed", "vfio_multifd_load_state_buffer", "vfio_load_state_buffer_insert failed"),
        new("vfio.insert-already-filled", "vfio_load_state_buffer_insert", "state buffer already filled"),
        new("vfio.insert-count-limit", "vfio_load_state_buffer_insert", "queuing would exceed x-migration-max-queued-buffers"),
        new("vfio.insert-size-limit", "vfio_load_state_buffer_insert", "queuing would exceed x-migration-max-queued-buffers-size"),
        new("vfio.load-thread-quit", "vfio_load_bufs_thread", "load_bufs_thread_want_exit or should_quit at the loop top: cancelled"),
        new("vfio.load-thread-starved", "vfio_load_bufs_thread", "no buffer at load_buf_idx: wait on load_bufs_buffer_ready_cond"),
        new("vfio.load-thread-write-failed", "vfio_load_bufs_thread", "vfio_load_state_buffer_write failed"),
        new("vfio.load-thread-quit-iter-done", "vfio_load_bufs_thread", "want_exit or should_quit after the load_bufs_iter_done wait: cancelled"),
        new("vfio.buffer-write-error", "vfio_load_state_buffer_write", "write() to data_fd failed"),
        new("vfio.config-bad-header", "vfio_load_bufs_thread_load_config", "the config buffer does not start with DEV_CONFIG_STATE"),
        new("vfio.load-ready-disabled", "vfio_load_state_config_load_ready", "DEV_CONFIG_LOAD_READY with load-config-after-iter off"),
        new("vfio.load-ready-duplicate", "vfio_load_state_config_load_ready", "a second DEV_CONFIG_LOAD_READY"),
        new("vfio.cleanup-stop-load-thread", "vfio_load_cleanup_load_bufs_thread", "the load thread still runs: set want_exit, signal both conds, wait for it"),
        new("vfio.config-load-failed", "vfio_load_bufs_thread_load_config", "vfio_load_device_config_state failed: the load thread returns the error"),
        new("send.thread-exiting", "multifd_send_thread", "multifd_send_should_exit() after the sem wait: the thread leaves (a pending job unwritten)"),
        new("send.thread-job-error", "multifd_send_thread", "writing a job failed"),
        new("send.thread-sync-write-error", "multifd_send_thread", "writing the SYNC packet failed"),
        new("send.thread-error-exit", "multifd_send_thread", "the thread failed: multifd_send_set_error, multifd_send_kick_main"),
        new("send.sync-exiting-post", "multifd_send_sync_main", "multifd_send_should_exit() while posting the sync requests"),
        new("send.sync-exiting-wait", "multifd_send_sync_main", "multifd_send_should_exit() before waiting for a channel"),
        new("send.set-error-dropped", "multifd_send_set_error", "exiting already set: a later error is dropped"),
        new("send.set-error-fail-migration", "multifd_send_set_error", "fails the migration still under way (FAILED)"),
        new("send.kick-main", "multifd_send_kick_main", "posts p->sem_sync and channels_ready"),
        new("send.terminate-wake", "multifd_send_terminate_threads", "sets exiting and posts every p->sem"),
        new("send.shutdown-join", "multifd_send_shutdown", "joins the send threads"),
        new("send.send-exiting-entry", "multifd_send", "multifd_send_should_exit() on entry: the job is not sent"),
        new("send.send-exiting-loop", "multifd_send", "multifd_send_should_exit() while looking for a free channel"),
        new("dev.queue-failed", "multifd_queue_device_state", "multifd_send failed: the queued device state is dropped"),
        new("dev.save-thread-error", "multifd_device_state_save_thread", "a save thread failed: migrate_set_error (threads_abort not set)"),
        new("dev.abort-save-threads", "multifd_abort_device_state_save_threads", "sets threads_abort"),
        new("vfio.save-setup-unsupported", "vfio_multifd_setup", "multifd transfer requested but unsupported (source)"),
        new("vfio.save-setup-set-state", "vfio_save_setup", "setting PRE_COPY failed"),
        new("vfio.save-complete-read-error", "vfio_save_complete_precopy", "reading device state on the main channel failed"),
        new("vfio.save-thread-should-exit", "vfio_multifd_save_complete_precopy_thread", "multifd_device_state_save_thread_should_exit(): cancelled"),
        new("vfio.save-thread-read-error", "vfio_multifd_save_complete_precopy_thread", "read(data_fd) failed"),
        new("vfio.save-thread-queue-failed", "vfio_multifd_save_complete_precopy_thread", "queuing a data buffer failed"),
        new("vfio.save-thread-config-queue-failed", "vfio_multifd_save_complete_precopy_thread", "queuing the config failed"),
        new("src.cancel-shutdown-file", "migration_cancel", "CANCELLING: qemu_file_shutdown(to_dst_file)"),
        new("src.setup-failed", "migration_thread", "qemu_savevm_state_setup failed: FAILED"),
        new("src.ram-setup-sync-failed", "ram_save_setup", "multifd_ram_flush_and_sync failed in setup"),
        new("src.device-setup-failed", "qemu_savevm_state_setup", "a save_setup handler failed"),
        new("src.flush-and-sync-failed", "multifd_ram_flush_and_sync", "multifd_send_sync_main failed"),
        new("src.ram-job-send-failed", "multifd_ram_send", "multifd_send refused a RAM job (exiting)"),
        new("src.ram-iterate-failed", "ram_save_iterate", "RAM iteration failed (multifd)"),
        new("src.device-iterate-failed", "qemu_savevm_state_iterate", "a save_live_iterate handler failed"),
        new("src.detect-error-cancelling", "migration_detect_error", "CANCELLING or CANCELLED: stop iterating"),
        new("src.detect-error-failed", "migration_detect_error", "a file or device error: FAILED"),
        new("src.completion-file-error", "migration_completion", "the main channel failed during completion"),
        new("src.completion-error", "migration_completion", "completion failed without an error: \"Error in migration completion\""),
        new("src.completion-failed", "migration_completion", "completion failed: FAILED (unless CANCELLING)"),
        new("src.switchover-cancelled", "migration_switchover_prepare", "a concurrent cancel interrupts the switchover"),
        new("src.switchover-start-flush-failed", "qemu_savevm_maybe_send_switchover_start", "flushing SWITCHOVER_START failed"),
        new("src.complete-iterable-failed", "qemu_savevm_state_complete_precopy_iterable", "a save_complete handler failed: abort and join the save threads"),
        new("src.abort-save-threads-on-error", "qemu_savevm_state_complete_precopy_iterable", "migrate_has_error(): multifd_abort_device_state_save_threads"),
        new("src.join-save-threads-failed", "qemu_savevm_state_complete_precopy_iterable", "multifd_join_device_state_save_threads failed"),
        new("src.ram-complete-failed", "ram_save_complete", "RAM completion failed (multifd send or sync)"),
        new("src.device-complete-failed", "qemu_savevm_state_complete_precopy_iterable", "a device's save_live_complete_precopy failed"),
        new("src.ram-complete-send-failed", "ram_save_complete", "a RAM job or the flush-and-sync failed"),
        new("src.return-path-error", "source_return_path_thread", "reading the return path failed"),
        new("src.return-path-bad-message", "source_return_path_thread", "an invalid return-path message"),
        new("src.return-path-sibling-error", "source_return_path_thread", "SHUT with an error: \"Sibling indicated error\""),
        new("src.cleanup-cancelled", "migration_cleanup", "CANCELLING -> CANCELLED"),
        new("src.flush-failed", "qemu_fflush", "a flush of the main channel failed"),
    ];

    private static readonly Dictionary<string, int> Index = All.Select((s, i) => (s.Id, i)).ToDictionary(p => p.Id, p => p.i);

    /// <summary>The site's position in <see cref="All"/>; an unknown id is a bug of the engine (it throws).</summary>
    public static int IndexOf(string id) =>
        Index.TryGetValue(id, out var i) ? i : throw new ArgumentException($"unknown error-path site \"{id}\"", nameof(id));

    public static bool IsKnown(string id) => Index.ContainsKey(id);
}

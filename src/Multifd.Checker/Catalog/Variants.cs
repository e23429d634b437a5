using System.Text.Json;
using Multifd.Engine;

namespace Multifd.Checker;

/// <summary>A protocol variant as users name it, with where it comes from.</summary>
public sealed record VariantInfo(ProtocolVariant Variant, string Name, string Description, string Source);

/// <summary>The catalogue of protocol variants (selected with "variant" in a scenario or --variant).</summary>
public static class Variants
{
    public static readonly IReadOnlyList<VariantInfo> All =
    [
        new(ProtocolVariant.Correct, "correct", "QEMU 10.1 as merged", "qemu 10.1 (f79afdf7da)"),
        new(ProtocolVariant.FinalSyncStrandsRecv, "final-sync-strands-recv",
            "after its last scan's flush-and-sync, ram_save_complete syncs the send threads once more, a SYNC with no MULTIFD_FLUSH after it; recv threads park, the load thread starves",
            "637280aeb2 (9.1), fixed by 1d457daf86 (10.0)"),
        new(ProtocolVariant.SingleWaitCleanup, "single-wait-cleanup",
            "load-thread cleanup waits once on thread_finished instead of looping while running",
            "series v3 22/24 (2024-11-17), fixed in v4"),
        new(ProtocolVariant.ShortWriteAsComplete, "short-write-as-complete",
            "a partial write() of a state buffer is taken as the whole buffer",
            "mutation of the v3 write path (v3 failed on a partial write; v4 loops)"),
        new(ProtocolVariant.HostEndianHeader, "host-endian-header",
            "the VFIO packet header in host byte order between hosts of different endianness",
            "before cbb2e10526 (2025-03-11)"),
        new(ProtocolVariant.CleanupWithoutBql, "cleanup-without-bql",
            "migration_incoming_state_destroy entered without the BQL",
            "fixed by 6a76eb4872 (10.0)"),
        new(ProtocolVariant.LoadThreadAtSetup, "load-thread-at-setup",
            "the load thread starts at load_setup instead of MIG_CMD_SWITCHOVER_START",
            "series v2 15/17 (2024-08-27), without its device-ready gate"),
        new(ProtocolVariant.NoConfigInterlock, "no-config-interlock",
            "QEMU 10.0 on ARM64: the config is loaded without waiting for DEV_CONFIG_LOAD_READY",
            "10.0; 6380b0a02f added the interlock in 10.1"),
        new(ProtocolVariant.QueuedCountDrift, "queued-count-drift",
            "the queued-buffers count drops when a buffer's write starts instead of after it (needs the count limit "
            + "x-migration-max-queued-buffers on: " + VfioDeviceProperties.CountLimitLabel + ")",
            "mutation of the count limit (v2..v6 series, dc15bcb035)"),
        new(ProtocolVariant.LockOrderInversion, "lock-order-inversion",
            "vfio_multifd_switchover_start takes load_bufs_mutex without dropping the BQL",
            "mutation (every series from v3 drops the BQL first)"),
        new(ProtocolVariant.CleanupLockOrderInversion, "cleanup-lock-order-inversion",
            "vfio_load_cleanup_load_bufs_thread takes load_bufs_mutex without dropping the BQL",
            "mutation; deadlocks against the load thread's config load"),
        new(ProtocolVariant.ZeroCopyDeviceState, "zero-copy-device-state",
            "device-state packets are written with the zero-copy flag and freed right after",
            "0525b91a0b (10.0), fixed by 6be7696129 (10.1, 10.0.1)"),
        new(ProtocolVariant.NoErrorCheckAfterLoadvm, "no-error-check-after-loadvm",
            "the destination ignores an error a recv thread recorded while loading",
            "before e0ad300fe1 (10.0)"),
        new(ProtocolVariant.NoDuplicateLoadReadyCheck, "no-duplicate-load-ready-check",
            "vfio_load_state_config_load_ready accepts a second DEV_CONFIG_LOAD_READY (no load_bufs_iter_done check)",
            "mutation of the 10.1 interlock (6380b0a02f), whose check makes a duplicate fail the load"),
        new(ProtocolVariant.ConfigAlsoOnMainChannel, "config-also-on-main-channel",
            "vfio_save_state in multifd mode sends its marker and then the config on the main channel too (no early return)",
            "mutation of vfio_save_state's multifd branch (the config travels only as the idx N multifd packet)"),
        new(ProtocolVariant.NoAlreadyFilledCheck, "no-already-filled-check",
            "vfio_load_state_buffer_insert stores a packet for an idx that is already filled (no \"already filled\" rejection)",
            "mutation of vfio_load_state_buffer_insert (its is_present check)"),
        new(ProtocolVariant.BufferWaitAfterUnlock, "buffer-wait-after-unlock",
            "deep: vfio_load_bufs_thread drops load_bufs_mutex between finding its buffer absent and waiting on load_bufs_buffer_ready_cond, and waits without re-checking (a signal sent in between is lost)",
            "mutation of vfio_load_bufs_thread's check-then-wait (docs/deep-variants.md)"),
        new(ProtocolVariant.QueuedSizeUpdateOutsideLock, "queued-size-update-outside-lock",
            "deep: vfio_load_state_buffer_write computes load_buf_queued_pending_buffers_size's new value from a read made before it re-takes load_bufs_mutex (a concurrent insert's increment is lost)",
            "mutation of the 10.1 size accounting (docs/deep-variants.md)"),
        new(ProtocolVariant.ExitingSetAfterKick, "exiting-set-after-kick",
            "deep: multifd_send_terminate_threads posts each p->sem before it sets exiting (a kicked send thread sees neither exiting nor a job)",
            "mutation of multifd_send_terminate_threads' order (docs/deep-variants.md)"),
        new(ProtocolVariant.IterDoneSignalBeforeSet, "iter-done-signal-before-set",
            "deep: vfio_load_state_config_load_ready signals load_bufs_iter_done_cond, then sets load_bufs_iter_done in a later critical section (the woken waiter may re-check too early)",
            "mutation of the 10.1 interlock (6380b0a02f) (docs/deep-variants.md)"),
        new(ProtocolVariant.InsertUnlockedBeforeStore, "insert-unlocked-before-store",
            "deep: vfio_load_state_buffer_insert sets is_present, then drops load_bufs_mutex to copy the payload (the load thread may take a present buffer with no data)",
            "mutation of vfio_load_state_buffer_insert (docs/deep-variants.md)"),
        new(ProtocolVariant.CleanupMissesIterDoneWake, "cleanup-misses-iter-done-wake",
            "deep: vfio_load_cleanup_load_bufs_thread signals load_bufs_buffer_ready_cond only, not load_bufs_iter_done_cond (a load thread waiting for DEV_CONFIG_LOAD_READY is never woken)",
            "mutation of vfio_load_cleanup_load_bufs_thread (docs/deep-variants.md)"),
        new(ProtocolVariant.IterDoneWaitIgnoresWantExit, "iter-done-wait-ignores-want-exit",
            "deep: the load thread's wait for load_bufs_iter_done does not re-check want_exit/should_quit when woken (cleanup's wakeup is lost)",
            "mutation of vfio_load_bufs_thread's after-iter wait (docs/deep-variants.md)"),
        new(ProtocolVariant.RecvTerminateSkipsSemSync, "recv-terminate-skips-sem-sync",
            "deep: multifd_recv_terminate_threads does not post each p->sem_sync (a recv thread parked after its SYNC is never released)",
            "mutation of multifd_recv_terminate_threads (docs/deep-variants.md)"),
        new(ProtocolVariant.FinishedSignalBeforeRunningCleared, "finished-signal-before-running-cleared",
            "deep: vfio_load_bufs_thread's exit signals load_bufs_thread_finished_cond before it clears load_bufs_thread_running, in separate critical sections (a cleanup that re-checks in between waits for ever)",
            "mutation of vfio_load_bufs_thread's thread_exit (docs/deep-variants.md)"),
    ];

    public static string NameOf(ProtocolVariant variant) => All.First(v => v.Variant == variant).Name;

    public static bool TryParse(string name, out ProtocolVariant variant)
    {
        var info = All.FirstOrDefault(v => v.Name == name);
        variant = info?.Variant ?? ProtocolVariant.Correct;
        return info is not null;
    }

    public static ProtocolVariant Parse(string name) =>
        TryParse(name, out var v) ? v : throw new ArgumentException($"unknown variant \"{name}\"");

    /// <summary>Kebab-case of an enum member name, as scenario files write enum values.</summary>
    public static string Kebab(string name) => JsonNamingPolicy.KebabCaseLower.ConvertName(name);
}

/// <summary>Exploration strategies the checker offers (names of the user-facing contract).</summary>
public static class Strategies
{
    public static readonly IReadOnlyList<string> Names = ["portfolio", "random", "pct", "fair-pct", "probabilistic", "q-learning"];

    public static bool IsKnown(string name) => Names.Contains(name);
}

/// <summary>The hostile-source behaviours a scenario can ask for.</summary>
public static class HostileKinds
{
    public static readonly IReadOnlyList<(string Name, string Description)> All =
    [
        ("duplicate-idx", "a data packet sent twice"),
        ("idx-uint32-max", "a packet with idx == UINT32_MAX"),
        ("huge-idx", "a packet with an idx far beyond the device's data (config idx + 1,000,000: load_bufs grows to about 24 MB)"),
        ("max-idx", "a packet with idx UINT32_MAX - 1, the largest QEMU accepts: load_bufs grows to UINT32_MAX elements (about 96 GiB)"),
        ("huge-packet", "a device-state header whose next_packet_size claims 4 GiB - 1 bytes (the recv thread allocates it before any check)"),
        ("after-config-idx", "a data packet with an idx beyond the config packet's"),
        ("second-config", "a second config packet at a lower idx"),
        ("wrong-version", "a VFIO packet header with version 1"),
        ("short-packet", "a device-state payload shorter than the 12-byte VFIO header"),
        ("unknown-idstr", "a device-state packet for an idstr the destination does not have"),
        ("not-multifd-device", "device-state packets for a device whose destination multifd transfer is off"),
        ("load-ready-twice", "DEV_CONFIG_LOAD_READY sent twice"),
        ("load-ready-after-iter-off", "DEV_CONFIG_LOAD_READY to a destination with after-iter off"),
        ("flood", "many more data packets than the device has, beyond the queue limits"),
    ];

    public static IEnumerable<string> Names => All.Select(k => k.Name);

    public static bool IsKnown(string name) => All.Any(k => k.Name == name);
}

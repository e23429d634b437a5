namespace Multifd.Checker;

/// <summary>
/// Error-path sites (<see cref="Engine.Core.ErrorPathSites"/>) that no pass-scenario of models/manifest.json reaches,
/// each with why. SiteCoverageTests asserts that the manifest's pass-scenarios together reach every other site, and
/// that none of these is reached (a listing that went stale fails it). docs/cli.md has the same table.
/// </summary>
public static class UnreachableSites
{
    public static readonly IReadOnlyDictionary<string, string> All = new Dictionary<string, string>
    {
        ["recv.thread-bad-header"] = "No source writes a bad multifd packet header: the simulated QEMU writes QEMU's, and the hostile kinds corrupt the VFIO device-state packet inside a valid multifd packet.",
        ["recv.device-state-header-eof"] = "A channel ending inside a packet header: each packet is one write and simulated channels break or end only between writes.",
        ["recv.device-state-payload-eof"] = "A channel ending inside a device-state payload: each packet is one write and simulated channels break or end only between writes (hostile-huge-packet, a bug entry for F8, ends inside its claimed 4 GiB payload).",
        ["recv.ram-header-eof"] = "A channel ending inside a RAM packet: each packet is one write and simulated channels break or end only between writes.",
        ["recv.device-state-empty"] = "No hostile kind sends a device-state packet with next_packet_size 0.",
        ["recv.device-state-sync-flag"] = "No hostile kind sends a device-state packet with the SYNC flag.",
        ["recv.device-state-bad-idstr"] = "No hostile kind sends an idstr without its terminating NUL.",
        ["dst.unknown-section-type"] = "No source corrupts the main stream: the hostile kinds send a valid main stream and misbehave on the multifd channels or with DEV_CONFIG_LOAD_READY.",
        ["dst.unknown-idstr"] = "No source sends a section for an idstr the destination lacks (hostile-unknown-idstr does it on a multifd channel: recv.device-state-load-error).",
        ["dst.section-footer"] = "A wrong footer needs a corrupt main stream or a read error right at a footer; the source flushes whole sections, so an early end of the main channel falls between them.",
        ["dst.command-read-error"] = "A command is flushed whole (SWITCHOVER_START with its flush): an early end of the main channel falls before or after it.",
        ["dst.unknown-command"] = "No source sends a MIG_CMD other than SWITCHOVER_START.",
        ["dst.switchover-bad-length"] = "No source sends SWITCHOVER_START with a length.",
        ["dst.ram-unknown-flags"] = "No source sends RAM flags other than MULTIFD_FLUSH and EOS (the model's RAM carries no pages on the main channel).",
        ["vfio.config-on-main-in-multifd"] = "No source sends DEV_CONFIG_STATE on the main channel to a device in multifd transfer (variant-config-also-on-main-channel does, a bug entry for P9).",
        ["vfio.setup-state-no-eos"] = "No source sends SETUP_STATE without END_OF_STATE.",
        ["vfio.unknown-tag"] = "No source sends an unknown VFIO tag.",
        ["vfio.load-state-read-error"] = "A device section's read error: the source flushes whole sections, so an early end of the main channel falls between them.",
        ["vfio.load-ready-not-multifd"] = "No source sends DEV_CONFIG_LOAD_READY to a device whose multifd transfer is off (hostile-load-ready-after-iter-off sends it to a multifd device with after-iter off: vfio.load-ready-disabled).",
        ["vfio.insert-count-limit"] = "Exceeding x-migration-max-queued-buffers: its scenarios (tight-count-limit, and the count-limit variant) are bug entries, since a refused packet can also come after the post-EOF error check (F1) or before a SYNC (F9).",
        ["vfio.insert-size-limit"] = "Exceeding x-migration-max-queued-buffers-size: its scenarios (tight-byte-limit, hostile-flood-limited) are bug entries (F1, F9; F6 for the flood).",
        ["vfio.load-thread-write-failed"] = "A load thread's write error fails the destination during the source's completion: its scenarios (fault-device-write-error, fault-anywhere-device-write, -one-channel) are bug entries, since the source's send error there reaches F10.",
        ["vfio.buffer-write-error"] = "As vfio.load-thread-write-failed (the write() inside vfio_load_state_buffer_write).",
        ["vfio.config-bad-header"] = "No source sends a CONFIG-flagged packet whose payload does not start with DEV_CONFIG_STATE (hostile-second-config's config is well formed; it is a bug entry for F5).",
        ["vfio.save-setup-set-state"] = "The simulated source device's set_state never fails.",
        ["src.completion-error"] = "Every way the model's completion fails first records an error or sets the main file's error (a cancel sets -EIO on it), so the generic \"Error in migration completion\" never applies.",
        ["src.ram-complete-failed"] = "Needs a multifd failure while ram_save_complete runs with the BQL held, where a cancel cannot land; the faults that can (send, recv, device write, main-channel EOF) reach F4, F9 or F10 there, so their scenarios are bug entries.",
        ["src.ram-complete-send-failed"] = "As src.ram-complete-failed (a RAM job or the flush-and-sync of ram_save_complete failing).",
        ["src.return-path-bad-message"] = "The destination sends only a well-formed SHUT on the return path; no hostile return path is modelled.",
    };
}

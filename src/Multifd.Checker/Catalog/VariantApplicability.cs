using Multifd.Checker.Scenarios;
using Multifd.Engine;

namespace Multifd.Checker;

/// <summary>
/// Whether a protocol variant can show in a scenario: each variant changes one place of QEMU's code, and a scenario
/// whose knobs never reach that place (or reach it only where the variant behaves as QEMU does) cannot show it, so a
/// pass there says nothing. One rule per variant, next to the catalogue (<see cref="Variants"/>).
/// </summary>
public static class VariantApplicability
{
    /// <summary>Why <paramref name="variant"/> cannot show in <paramref name="scenario"/>, or null when it can.</summary>
    public static string? WhyNot(ProtocolVariant variant, Scenario scenario)
    {
        var s = new Knobs(scenario);
        return variant switch
        {
            ProtocolVariant.Correct => null,
            ProtocolVariant.CleanupWithoutBql => null, // qemu_loadvm_state_cleanup runs at the end of every incoming migration
            ProtocolVariant.FinalSyncStrandsRecv => s.NeedRealSource("ram_save_complete's final SYNC") ?? s.NeedMultifdDevice(),
            ProtocolVariant.SingleWaitCleanup => s.NeedMultifdDevice()
                ?? Need(scenario.Assumptions.SpuriousWakeups,
                    "needs assumptions.spuriousWakeups: without a spurious wakeup the single wait on load_bufs_thread_finished_cond returns only when the load thread ended"),
            ProtocolVariant.ShortWriteAsComplete => s.NeedMultifdDevice()
                ?? Need(scenario.DataFd.PartialWrites, "needs dataFd.partialWrites: without a partial write() every write is complete"),
            ProtocolVariant.HostEndianHeader => s.NeedMultifdDevice() ?? s.NeedEndiannessMismatch(),
            ProtocolVariant.LoadThreadAtSetup => s.NeedMultifdDevice()
                ?? Need(s.MultifdDevices.Any(d => d.PrecopyBytes > 0),
                    "needs a multifd device with precopyBytes > 0: the early load thread shows against main-channel device data (P2)"),
            ProtocolVariant.NoConfigInterlock => s.NeedMultifdDevice()
                ?? Need(scenario.Destination.Platform == Platform.Aarch64 && s.MultifdDevices.Any(s.DestinationAfterIter),
                    "needs an aarch64 destination with x-migration-load-config-after-iter in effect (on, or auto on aarch64): "
                    + "only there does the config wait for DEV_CONFIG_LOAD_READY and the interrupt controller"),
            // QEMU as merged keeps no buffer count: only the count limit of the series (opt-in) has one to drift.
            ProtocolVariant.QueuedCountDrift => s.NeedMultifdDevice()
                ?? Need(s.MultifdDevices.Any(d => d.Destination.MaxQueuedBuffers is not null),
                    "needs the count limit x-migration-max-queued-buffers (proposed in the reviewed series, not merged) on a multifd "
                    + "device's destination: without it the engine keeps no queued-buffers count to drift"),
            ProtocolVariant.LockOrderInversion => s.NeedMultifdDevice(),
            ProtocolVariant.CleanupLockOrderInversion => s.NeedMultifdDevice(),
            ProtocolVariant.ZeroCopyDeviceState => s.NeedRealSource("multifd_send") ?? s.NeedMultifdDevice()
                ?? Need(scenario.Source.ZeroCopySend, "needs source.zeroCopySend: the zero-copy flag is only set with the zero-copy-send capability"),
            ProtocolVariant.NoErrorCheckAfterLoadvm => s.NeedMultifdDevice()
                ?? Need(scenario.Hostile is not null || scenario.Faults.Count > 0 || s.MultifdDevices.Any(HasLimit),
                    "needs something that fails a recv thread (a hostile source, a fault or a queue limit): otherwise no error is recorded to ignore"),
            ProtocolVariant.NoDuplicateLoadReadyCheck => s.NeedMultifdDevice()
                ?? Need(scenario.Hostile?.Kind == "load-ready-twice" && s.MultifdDevices.Any(s.DestinationAfterIter),
                    "needs hostile kind load-ready-twice to a destination with after-iter in effect: QEMU's own source never sends DEV_CONFIG_LOAD_READY twice"),
            ProtocolVariant.ConfigAlsoOnMainChannel => s.NeedRealSource("vfio_save_state") ?? s.NeedMultifdDevice(),
            ProtocolVariant.NoAlreadyFilledCheck => s.NeedMultifdDevice()
                ?? Need(scenario.Hostile?.Kind is "duplicate-idx" or "second-config",
                    "needs hostile kind duplicate-idx or second-config: QEMU's own source never sends an idx twice"),
            ProtocolVariant.BufferWaitAfterUnlock => s.NeedMultifdDevice(),
            ProtocolVariant.QueuedSizeUpdateOutsideLock => s.NeedMultifdDevice(),
            ProtocolVariant.InsertUnlockedBeforeStore => s.NeedMultifdDevice(),
            ProtocolVariant.ExitingSetAfterKick => s.NeedRealSource("multifd_send_terminate_threads")
                ?? Need(scenario.Source.Multifd, "needs multifd on the source: without it there are no send threads to kick"),
            ProtocolVariant.IterDoneSignalBeforeSet => s.NeedMultifdDevice() ?? s.NeedAfterIter(),
            ProtocolVariant.CleanupMissesIterDoneWake or ProtocolVariant.IterDoneWaitIgnoresWantExit => s.NeedMultifdDevice()
                ?? s.NeedAfterIter()
                ?? Need(scenario.Faults.Count > 0,
                    "needs a fault: only a failed migration cleans the load thread up while it waits for load_bufs_iter_done"),
            ProtocolVariant.FinishedSignalBeforeRunningCleared => s.NeedMultifdDevice()
                ?? Need(scenario.Faults.Count > 0 || scenario.Hostile is not null,
                    "needs a fault or a hostile source: only a failed migration cleans the load thread up while it still runs"),
            ProtocolVariant.RecvTerminateSkipsSemSync => s.NeedRealSource("multifd SYNCs")
                ?? Need(scenario.Destination.Multifd, "needs multifd on the destination: without it there are no recv threads")
                ?? Need(scenario.Faults.Count > 0,
                    "needs a fault: only a failure terminates the recv threads while one is parked after its SYNC"),
            _ => throw new ArgumentOutOfRangeException(nameof(variant), variant, "no applicability rule for this variant"),
        };
    }

    private static string Name(Platform platform) => platform.ToString().ToLowerInvariant();

    private static bool HasLimit(DeviceSpec d) =>
        d.Destination.MaxQueuedBuffers is not null || d.Destination.MaxQueuedBuffersSizeBytes is not null;

    private static string? Need(bool ok, string why) => ok ? null : why;

    /// <summary>The scenario's knobs as they take effect (AUTO resolved as QEMU resolves it).</summary>
    private sealed class Knobs(Scenario scenario)
    {
        /// <summary>Devices whose state travels over multifd: x-migration-multifd-transfer not off and supported on both sides.</summary>
        public IReadOnlyList<DeviceSpec> MultifdDevices { get; } = [.. scenario.Devices.Where(d =>
            Supported(scenario.Destination) && Property(scenario.Destination, d.Destination.MultifdTransfer, MultifdTransfer) != OnOffAuto.Off
            && (scenario.Hostile is not null
                || (Supported(scenario.Source) && Property(scenario.Source, d.Source.MultifdTransfer, MultifdTransfer) != OnOffAuto.Off)))];

        private const string MultifdTransfer = "x-migration-multifd-transfer";

        /// <summary>vfio_multifd_transfer_supported(): multifd on and send-switchover-start (after the machine's compat).</summary>
        private static bool Supported(SideSpec side) =>
            side.Multifd && HwCompat.Migration(side.MachineType, "send-switchover-start", side.SendSwitchoverStart, classDefault: true);

        /// <summary>A vfio-pci property as it takes effect: -device setting, else the machine's compat, else AUTO.</summary>
        private static OnOffAuto Property(SideSpec side, OnOffAuto? setting, string name) => HwCompat.VfioPci(side.MachineType, name, setting);

        /// <summary>x-migration-load-config-after-iter in effect on the destination (AUTO: on for any ARM target).</summary>
        public bool DestinationAfterIter(DeviceSpec d) =>
            Property(scenario.Destination, d.Destination.LoadConfigAfterIter, "x-migration-load-config-after-iter") switch
            {
                OnOffAuto.On => true,
                OnOffAuto.Auto => scenario.Destination.Platform.WantsConfigAfterIter(),
                _ => false,
            };

        public string? NeedMultifdDevice() => MultifdDevices.Count > 0 ? null
            : "needs a device whose state travels over multifd (multifd and send-switchover-start on both sides, "
              + "x-migration-multifd-transfer not off): the variant changes only that path";

        public string? NeedAfterIter() => MultifdDevices.Any(DestinationAfterIter) ? null
            : "needs x-migration-load-config-after-iter in effect on a multifd device's destination (on, or auto on ARM): "
              + "only there does the load thread wait for load_bufs_iter_done";

        public string? NeedRealSource(string where) => scenario.Hostile is null ? null
            : $"changes the source's {where}, but the scenario replaces the source with a hostile one";

        public string? NeedEndiannessMismatch()
        {
            // A hostile source writes the header big-endian, as QEMU does since cbb2e10526.
            var source = scenario.Hostile is null ? scenario.Source.Platform.HostByteOrder() : Engine.Wire.ByteOrder.BigEndian;
            return source != scenario.Destination.Platform.HostByteOrder() ? null
                : $"needs hosts of different endianness (source {Name(scenario.Source.Platform)}, destination {Name(scenario.Destination.Platform)} "
                  + "share a byte order, so a host-order header reads the same)";
        }
    }
}

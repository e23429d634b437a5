using Multifd.Engine.Core;
using Multifd.Engine.Ports;
using Multifd.Engine.Wire;

namespace Multifd.Engine.Source;

/// <summary>The source's world: its channels and devices.</summary>
/// <param name="ReturnPath">The return path from the destination, or null when the capability is off.</param>
/// <param name="Ram">What RAM gives multifd to send (null: <see cref="RamWorkload"/>'s defaults).</param>
public sealed record SourceWorld(
    IMigrationChannel Main,
    IReadOnlyList<IMigrationChannel> Multifd,
    IReadOnlyList<(VfioDeviceConfig Config, IVfioDevice Device)> Devices,
    IMigrationChannel? ReturnPath = null,
    RamWorkload? Ram = null);

/// <summary>
/// The guest RAM as multifd sees it: how many full scans (rounds) precopy completes, and how many multifd RAM jobs
/// (multifd_send of a full MultiFDPages_t) each round and the completion phase hand to the send threads.
/// Simplification: no pages, no dirty tracking; a round is one precopy iteration's RAM section, ended by the scan
/// wrapping past the last RAM block (find_dirty_block), and the completion phase has one such wrap.
/// </summary>
public sealed record RamWorkload(int PrecopyRounds = 1, int JobsPerRound = 0, int JobsAtCompletion = 1);

/// <summary>
/// The source QEMU: the migration thread ("mig/src/main" in QEMU, <c>mig</c> here) from setup through
/// precopy and completion to cleanup (migration/migration.c, savevm.c, ram.c as far as multifd goes), with
/// the migration state machine (s->state) and migrate_cancel.
/// </summary>
public sealed class SourceMigration
{
    public const uint RamSectionId = 0;
    public const string InterruptControllerIdstr = "arm_gicv3";

    private readonly QemuProcess qemu;
    private readonly MigrationParameters parameters;
    private readonly SourceWorld world;
    private readonly RamWorkload ram;
    private readonly MultifdSend? multifdSend;
    private readonly MultifdDeviceState? deviceState;
    private readonly List<VfioSave> vfio;
    private readonly QemuFileWriter f;

    public SourceMigration(QemuProcess qemu, MigrationParameters parameters, ModelAssumptions assumptions, SourceWorld world)
    {
        this.qemu = qemu;
        this.parameters = parameters;
        this.world = world;
        ram = world.Ram ?? new RamWorkload();
        f = new QemuFileWriter(world.Main);
        vfio = world.Devices.Select(d => new VfioSave(qemu, parameters, d.Config, d.Device)).ToList();
        if (parameters.Multifd)
        {
            multifdSend = new MultifdSend(qemu, parameters, assumptions, world.Multifd);
            deviceState = new MultifdDeviceState(qemu, multifdSend);
        }
    }

    public QemuProcess Qemu => qemu;

    /// <summary>The devices' source halves (for tests).</summary>
    public IReadOnlyList<VfioSave> Devices => vfio;

    /// <summary>Starts the migration thread; qmp_migrate has set the state to SETUP before.</summary>
    public QemuThread Start()
    {
        qemu.SetState(MigrationStatus.None, MigrationStatus.Setup);
        return qemu.StartThread("mig", Run);
    }

    /// <summary>
    /// migration_cancel (migrate_cancel from the QMP monitor, BQL held by the caller): shuts the return path down,
    /// moves a running migration to CANCELLING and shuts the main channel down. It records no migration error:
    /// the migration thread sees CANCELLING (or its next channel operation fails) and stops.
    /// </summary>
    public void Cancel()
    {
        qemu.Trace(new MigrationCancel());
        // qemu_file_shutdown(rp_state.from_dst_file), so that the return-path thread stops.
        world.ReturnPath?.Shutdown();
        while (QemuProcess.IsRunning(qemu.State) && !qemu.SetState(qemu.State, MigrationStatus.Cancelling))
        {
        }

        if (qemu.State == MigrationStatus.Cancelling)
        {
            // qemu_file_shutdown(to_dst_file): the file's error is set first (-EIO), then the socket is shut down;
            // the peer reads what was already written, then the end of the stream.
            qemu.Site("src.cancel-shutdown-file");
            f.SetError(-Errno.EIO);
            world.Main.CloseWrite();
        }
    }

    private void Run()
    {
        var ok = Migrate();
        if (ok)
        {
            // migration_completion_end -> migration_downtime_end.
            qemu.Trace(new Checkpoint("src-downtime-end"));
        }

        Cleanup();
        qemu.Trace(new SourceFinished(ok));
    }

    /// <summary>migration_thread up to the end of completion. Returns whether the migration completed.</summary>
    private bool Migrate()
    {
        Savevm.PutHeader(f);
        qemu.Bql.Lock();
        multifdSend?.Setup();
        var ok = SaveSetup();
        qemu.Bql.Unlock();
        // qemu_savevm_wait_unplug: SETUP -> ACTIVE, unless a cancel moved the state on.
        qemu.SetState(MigrationStatus.Setup, MigrationStatus.Active);
        if (!ok)
        {
            qemu.Site("src.setup-failed");
            qemu.SetState(MigrationStatus.Active, MigrationStatus.Failed);
            return false;
        }

        qemu.Trace(new MigrationThreadSetupComplete());

        // while (migration_is_active()): iterate until nothing is pending, then complete.
        return Precopy() && MigrationCompletion();
    }

    /// <summary>qemu_savevm_state_setup: RAM (with a multifd sync) and each VFIO device.</summary>
    private bool SaveSetup()
    {
        Savevm.PutSectionStart(f, SavevmCodes.SectionStart, RamSectionId, "ram", 0);
        // ram_save_setup: multifd_ram_flush_and_sync with the BQL dropped, then EOS.
        qemu.Bql.Unlock();
        var synced = RamFlushAndSync();
        qemu.Bql.Lock();
        if (!synced)
        {
            qemu.Site("src.ram-setup-sync-failed");
            return Fail("ram: multifd synchronization failed", ErrorKind.Channel);
        }

        f.PutBe64(SavevmCodes.RamSaveFlagEos);
        Savevm.PutFooter(f, RamSectionId);

        for (var i = 0; i < vfio.Count; i++)
        {
            var d = vfio[i];
            Savevm.PutSectionStart(f, SavevmCodes.SectionStart, SectionId(i), d.Config.Idstr, d.Config.InstanceId);
            if (d.SaveSetup(f, out var error) < 0)
            {
                qemu.Site("src.device-setup-failed");
                return Fail(error ?? $"{d.Config.Name}: save setup failed", ErrorKind.Setup);
            }

            Savevm.PutFooter(f, SectionId(i));
        }

        return Flush();
    }

    /// <summary>
    /// multifd_ram_flush_and_sync: sync every send thread (a SYNC packet on every channel, req ALL) and, in the
    /// default per-round mode, write RAM_SAVE_FLAG_MULTIFD_FLUSH and flush, so that the destination syncs its recv
    /// threads too. In the legacy per-section mode the destination syncs at RAM_SAVE_FLAG_EOS instead.
    /// </summary>
    /// <remarks>QEMU first hands over the RAM pages still queued (multifd_send of multifd_ram_send); the model's
    /// RAM jobs are sent whole by <see cref="SendRamJobs"/> before this.</remarks>
    private bool RamFlushAndSync()
    {
        if (multifdSend is null)
        {
            return true;
        }

        if (multifdSend.SyncMain(MultifdSyncReq.All) < 0)
        {
            qemu.Site("src.flush-and-sync-failed");
            return false;
        }

        if (!parameters.MultifdFlushAfterEachSection)
        {
            f.PutBe64(SavevmCodes.RamSaveFlagMultifdFlush);
            f.Flush(); // QEMU ignores this flush's result; a failure stays in the file's error
        }

        return true;
    }

    /// <summary>
    /// multifd_queue_page handing full page sets to multifd_send: <paramref name="count"/> RAM jobs, competing with
    /// any other multifd_send caller for multifd_send_mutex and channels_ready. False once multifd is exiting.
    /// </summary>
    private bool SendRamJobs(int count)
    {
        for (var i = 0; i < count; i++)
        {
            MultifdSendData? job = new RamPayload();
            if (!multifdSend!.Send(ref job))
            {
                qemu.Site("src.ram-job-send-failed");
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// The precopy phase (qemu_savevm_state_iterate, no BQL): RAM's section, then each VFIO device's, until RAM has
    /// done its rounds and VFIO has no precopy data left. After each iteration migration_detect_error: a cancel
    /// stops the migration without an error, a channel error fails it. Returns false if the migration stopped.
    /// </summary>
    private bool Precopy()
    {
        for (var round = 0; qemu.State == MigrationStatus.Active && (round < ram.PrecopyRounds || vfio.Any(d => d.PrecopyPending)); round++)
        {
            string? failure = null;
            if (!RamSaveIterate(round < ram.PrecopyRounds))
            {
                qemu.Site("src.ram-iterate-failed");
                failure = "ram: multifd synchronization failed";
            }

            for (var i = 0; failure is null && i < vfio.Count; i++)
            {
                if (!vfio[i].PrecopyPending)
                {
                    continue;
                }

                Savevm.PutSectionPart(f, SavevmCodes.SectionPart, SectionId(i));
                if (vfio[i].SaveIterate(f) is var ret and < 0)
                {
                    qemu.Site("src.device-iterate-failed");
                    // qemu_savevm_state_iterate: qemu_file_set_error(f, ret).
                    f.SetError(ret);
                    failure = $"{vfio[i].Config.Name}: precopy read failed";
                }
                else
                {
                    Savevm.PutFooter(f, SectionId(i));
                }
            }

            f.Flush();
            if (!DetectError(failure))
            {
                return false;
            }
        }

        return qemu.State == MigrationStatus.Active;
    }

    /// <summary>
    /// ram_save_iterate (one RAM section PART): in a round, the round's RAM jobs, then the scan wraps past the last
    /// RAM block and find_dirty_block runs multifd_ram_flush_and_sync (per-round mode); in the legacy per-section
    /// mode the sync comes at the end of every RAM section instead. Then RAM_SAVE_FLAG_EOS.
    /// </summary>
    private bool RamSaveIterate(bool round)
    {
        Savevm.PutSectionPart(f, SavevmCodes.SectionPart, RamSectionId);
        if (multifdSend is not null)
        {
            if (round && (!SendRamJobs(ram.JobsPerRound) || (!parameters.MultifdFlushAfterEachSection && !RamFlushAndSync())))
            {
                f.SetError(-Errno.EIO);
                return false;
            }

            if (parameters.MultifdFlushAfterEachSection && QemuProcess.IsRunning(qemu.State) && !RamFlushAndSync())
            {
                f.SetError(-Errno.EIO);
                return false;
            }
        }

        f.PutBe64(SavevmCodes.RamSaveFlagEos);
        Savevm.PutFooter(f, RamSectionId);
        return true;
    }

    /// <summary>
    /// migration_detect_error after an iteration: CANCELLING ends the migration without an error; an error on the
    /// main file (or <paramref name="failure"/>) is recorded and the migration FAILED. Returns true to go on.
    /// </summary>
    private bool DetectError(string? failure)
    {
        var state = qemu.State;
        if (state is MigrationStatus.Cancelling or MigrationStatus.Cancelled)
        {
            qemu.Site("src.detect-error-cancelling");
            return false;
        }

        if (f.Error == 0 && failure is null)
        {
            return true;
        }

        qemu.Site("src.detect-error-failed");
        qemu.SetError(failure ?? $"main channel write failed: {-f.Error}", failure is null ? ErrorKind.Channel : ErrorKind.Device);
        qemu.SetState(state, MigrationStatus.Failed);
        return false;
    }

    /// <summary>
    /// migration_completion: completion_precopy if the state is still ACTIVE, then close_return_path_on_source and
    /// the file's error; COMPLETED, or the fail path (the file's error recorded, FAILED unless CANCELLING).
    /// </summary>
    private bool MigrationCompletion()
    {
        var ok = false;
        if (qemu.State == MigrationStatus.Active)
        {
            // migration_completion_precopy: the BQL is held from VM stop through EOF.
            qemu.Bql.Lock();
            ok = CompletePrecopy();
            qemu.Bql.Unlock();
        }

        if (ok && world.ReturnPath is not null)
        {
            // close_return_path_on_source: the return-path thread ends at the destination's SHUT.
            ok = WaitReturnPathShut();
        }

        if (ok && f.Error == 0)
        {
            // migration_completion_end.
            qemu.SetState(MigrationStatus.Device, MigrationStatus.Completed);
            return qemu.State == MigrationStatus.Completed;
        }

        var state = qemu.State;
        if (f.Error != 0)
        {
            qemu.Site("src.completion-file-error");
            qemu.SetError($"main channel: Channel error: {-f.Error}", ErrorKind.Channel);
        }
        else if (!qemu.HasError)
        {
            qemu.Site("src.completion-error");
            qemu.SetError("Error in migration completion", ErrorKind.Other);
        }

        if (state != MigrationStatus.Cancelling)
        {
            qemu.Site("src.completion-failed");
            qemu.SetState(state, MigrationStatus.Failed);
        }

        return false;
    }

    /// <summary>
    /// migration_completion_precopy with the BQL held: stop the VM, switchover (migration_switchover_prepare, then
    /// SWITCHOVER_START), the iterable phase (save threads, save_complete, join), the non-iterable phase, EOF.
    /// </summary>
    private bool CompletePrecopy()
    {
        qemu.Trace(new Checkpoint("src-downtime-start"));
        // migration_stop_vm: the VFIO vmstate handler moves a PRE_COPY device to STOP_COPY.
        foreach (var d in vfio)
        {
            d.VmStateChangeStop();
        }

        qemu.Trace(new Checkpoint("src-vm-stopped"));

        // migration_switchover_prepare: a concurrent cancel interrupts the switchover; holding the BQL the state
        // cannot change to CANCELLING from here on, so it must be ACTIVE.
        if (qemu.State == MigrationStatus.Cancelling)
        {
            qemu.Site("src.switchover-cancelled");
            return false;
        }

        QemuAssert.That(qemu.State == MigrationStatus.Active, $"migration_switchover_prepare: state {qemu.State.QemuName()} is not active");
        qemu.SetState(MigrationStatus.Active, MigrationStatus.Device);

        // migration_switchover_start -> qemu_savevm_maybe_send_switchover_start (flushed).
        if (parameters.SendSwitchoverStart)
        {
            Savevm.PutCommand(f, SavevmCodes.CmdSwitchoverStart);
            qemu.Trace(new SwitchoverStartSent());
            if (!Flush())
            {
                qemu.Site("src.switchover-start-flush-failed");
                return false;
            }
        }

        if (!CompletePrecopyIterable())
        {
            return false;
        }

        return CompletePrecopyNonIterable();
    }
    /// <summary>qemu_savevm_state_complete_precopy_iterable.</summary>
    private bool CompletePrecopyIterable()
    {
        var multifdDeviceState = parameters.MultifdDeviceStateSupported && deviceState is not null;
        if (multifdDeviceState)
        {
            // One save thread per VFIO SE, even for a device whose multifd transfer is off.
            foreach (var d in vfio)
            {
                deviceState!.SpawnSaveThread($"save[{d.Config.Name}]", () => d.SaveCompletePrecopyThread(deviceState));
            }

            deviceState!.SpawningDone();
        }

        if (!SaveCompleteAll(out var failure))
        {
            qemu.Site("src.complete-iterable-failed");
            if (multifdDeviceState)
            {
                deviceState!.AbortSaveThreads();
                deviceState.JoinSaveThreads();
            }

            return Fail(failure!, ErrorKind.Other);
        }

        if (multifdDeviceState)
        {
            if (qemu.HasError)
            {
                qemu.Site("src.abort-save-threads-on-error");
                deviceState!.AbortSaveThreads();
            }

            if (!deviceState!.JoinSaveThreads())
            {
                qemu.Site("src.join-save-threads-failed");
                f.SetError(-Errno.EINVAL);
                return false;
            }
        }

        qemu.Trace(new Checkpoint("src-iterable-saved"));
        return true;
    }

    /// <summary>Each SE's save_complete in an END section: RAM, then every VFIO device.</summary>
    private bool SaveCompleteAll(out string? failure)
    {
        failure = null;
        Savevm.PutSectionPart(f, SavevmCodes.SectionEnd, RamSectionId);
        if (!RamSaveComplete())
        {
            qemu.Site("src.ram-complete-failed");
            failure = "ram: multifd synchronization failed";
            return false;
        }

        Savevm.PutFooter(f, RamSectionId);
        for (var i = 0; i < vfio.Count; i++)
        {
            Savevm.PutSectionPart(f, SavevmCodes.SectionEnd, SectionId(i));
            if (vfio[i].SaveComplete(f, out var error) < 0)
            {
                qemu.Site("src.device-complete-failed");
                failure = error ?? $"{vfio[i].Config.Name}: save complete failed";
                return false;
            }

            Savevm.PutFooter(f, SectionId(i));
        }

        return true;
    }

    /// <summary>
    /// ram_save_complete (BQL held, the save threads already running): ram_find_and_save_block until no dirty page
    /// is left. The pages it finds go out as multifd RAM jobs, competing with the save threads for
    /// multifd_send_mutex and channels_ready; its last scan wraps past the last RAM block, where find_dirty_block
    /// runs multifd_ram_flush_and_sync (a SYNC packet on every channel among the device-state packets, then
    /// RAM_SAVE_FLAG_MULTIFD_FLUSH). In the legacy per-section mode the sync comes before EOS instead, without the
    /// flag (the destination syncs at EOS). Then RAM_SAVE_FLAG_EOS.
    /// </summary>
    /// <remarks>Simplification: QEMU's completion scans wrap once or twice; the model wraps once.</remarks>
    private bool RamSaveComplete()
    {
        if (multifdSend is not null)
        {
            if (!SendRamJobs(ram.JobsAtCompletion) || !RamFlushAndSync())
            {
                qemu.Site("src.ram-complete-send-failed");
                return false;
            }

            if (qemu.Variant == ProtocolVariant.FinalSyncStrandsRecv && !parameters.MultifdFlushAfterEachSection
                && multifdSend.SyncMain(MultifdSyncReq.All) < 0)
            {
                // 9.1 (637280aeb2 .. 1d457daf86): after the last scan's flush-and-sync, ram_save_complete synced the
                // send threads once more, a SYNC on every channel with no MULTIFD_FLUSH for the destination to match.
                return false;
            }
        }

        f.PutBe64(SavevmCodes.RamSaveFlagEos);
        return true;
    }

    /// <summary>qemu_savevm_state_complete_precopy_non_iterable, then QEMU_VM_EOF and a flush.</summary>
    private bool CompletePrecopyNonIterable()
    {
        var nextId = (uint)vfio.Count + 1;
        if (parameters.Platform.IsBaseArm())
        {
            // The interrupt controller (higher migration priority) is saved before the VFIO devices.
            Savevm.PutSectionStart(f, SavevmCodes.SectionFull, nextId, InterruptControllerIdstr, 0);
            f.PutBe32(0);
            Savevm.PutFooter(f, nextId);
        }

        for (var i = 0; i < vfio.Count; i++)
        {
            Savevm.PutSectionStart(f, SavevmCodes.SectionFull, SectionId(i), vfio[i].Config.Idstr, vfio[i].Config.InstanceId);
            vfio[i].SaveState(f);
            Savevm.PutFooter(f, SectionId(i));
        }

        qemu.Trace(new Checkpoint("src-non-iterable-saved"));
        f.PutByte(SavevmCodes.VmEof);
        return Flush();
    }

    /// <summary>
    /// close_return_path_on_source: joins the return-path thread, which ends at the destination's SHUT (or records
    /// an error: a read failure, a bad message, a SHUT with an error status). Returns !migrate_has_error().
    /// </summary>
    /// <remarks>Simplification: the return-path thread's reading runs here, inline.</remarks>
    private bool WaitReturnPathShut()
    {
        using var reader = new QemuFileReader(world.ReturnPath!);
        var type = reader.GetBe16();
        var len = reader.GetBe16();
        var status = reader.GetBe32();
        if (reader.Error != 0)
        {
            qemu.Site("src.return-path-error");
            qemu.SetError($"return path: Channel error: {-reader.Error}", ErrorKind.Channel);
        }
        else if (type != ReturnPath.MsgShut || len != 4)
        {
            qemu.Site("src.return-path-bad-message");
            qemu.SetError($"Received invalid message 0x{type:x4} length 0x{len:x4}", ErrorKind.Rejected);
        }
        else if (status != 0)
        {
            qemu.Site("src.return-path-sibling-error");
            qemu.SetError($"Sibling indicated error {status}", ErrorKind.Other);
        }

        return !qemu.HasError;
    }

    /// <summary>
    /// migration_cleanup: save_cleanup of every SE, then multifd_send_shutdown and the main channel; a cancelled
    /// migration ends CANCELLED.
    /// </summary>
    /// <remarks>Simplification: it runs on the migration thread (QEMU: a bottom half of the main loop after the
    /// thread ended).</remarks>
    private void Cleanup()
    {
        qemu.Bql.Lock();
        foreach (var d in vfio)
        {
            d.SaveCleanup();
        }

        multifdSend?.Shutdown();
        deviceState?.Cleanup();
        world.Main.CloseWrite();
        if (qemu.State == MigrationStatus.Cancelling)
        {
            qemu.Site("src.cleanup-cancelled");
            qemu.SetState(MigrationStatus.Cancelling, MigrationStatus.Cancelled);
        }

        qemu.Bql.Unlock();
    }

    private static uint SectionId(int deviceIndex) => (uint)deviceIndex + 1;

    private bool Flush()
    {
        if (f.Flush() is var ret and < 0)
        {
            qemu.Site("src.flush-failed");
            return Fail($"main channel write failed: {-ret}", ErrorKind.Channel);
        }

        return true;
    }

    private bool Fail(string message, ErrorKind kind)
    {
        qemu.SetError(message, kind);
        return false;
    }
}

/// <summary>Return-path messages (migrate_send_rp_*).</summary>
public static class ReturnPath
{
    /// <summary>MIG_RP_MSG_SHUT: be16 type, be16 len 4, be32 status (0 = ok).</summary>
    public const ushort MsgShut = 1;
}

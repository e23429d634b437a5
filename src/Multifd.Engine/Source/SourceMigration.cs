using Multifd.Engine.Core;
using Multifd.Engine.Ports;
using Multifd.Engine.Wire;

namespace Multifd.Engine.Source;

/// <summary>The source's world: its channels and devices.</summary>
/// <param name="ReturnPath">The return path from the destination, or null when the capability is off.</param>
public sealed record SourceWorld(
    IMigrationChannel Main,
    IReadOnlyList<IMigrationChannel> Multifd,
    IReadOnlyList<(VfioDeviceConfig Config, IVfioDevice Device)> Devices,
    IMigrationChannel? ReturnPath = null);

/// <summary>
/// The source QEMU: the migration thread ("mig/src/main" in QEMU, <c>mig</c> here) from setup through
/// precopy and completion to cleanup (migration/migration.c, savevm.c, ram.c as far as multifd sync goes).
/// </summary>
public sealed class SourceMigration
{
    public const uint RamSectionId = 0;
    public const string InterruptControllerIdstr = "arm_gicv3";

    private readonly QemuProcess qemu;
    private readonly MigrationParameters parameters;
    private readonly SourceWorld world;
    private readonly MultifdSend? multifdSend;
    private readonly MultifdDeviceState? deviceState;
    private readonly List<VfioSave> vfio;
    private readonly QemuFileWriter f;

    public SourceMigration(QemuProcess qemu, MigrationParameters parameters, ModelAssumptions assumptions, SourceWorld world)
    {
        this.qemu = qemu;
        this.parameters = parameters;
        this.world = world;
        f = new QemuFileWriter(world.Main);
        vfio = world.Devices.Select(d => new VfioSave(qemu, parameters, d.Config, d.Device)).ToList();
        if (parameters.Multifd)
        {
            multifdSend = new MultifdSend(qemu, parameters, assumptions, world.Multifd);
            deviceState = new MultifdDeviceState(qemu, multifdSend);
        }
    }

    public QemuProcess Qemu => qemu;

    /// <summary>Starts the migration thread.</summary>
    public QemuThread Start() => qemu.StartThread("mig", Run);

    /// <summary>
    /// migrate_cancel from the QMP monitor (main loop, BQL held by the caller): records the error and shuts
    /// the main channel down; the migration thread fails at its next channel operation.
    /// </summary>
    public void Cancel()
    {
        qemu.SetError("migration cancelled", ErrorKind.Cancelled);
        world.Main.Shutdown();
    }

    private void Run()
    {
        var ok = Migrate();
        if (ok && world.ReturnPath is not null)
        {
            // close_return_path_on_source: wait for the destination's SHUT.
            ok = WaitReturnPathShut();
        }

        if (ok)
        {
            // migration_completion_end -> migration_downtime_end.
            qemu.Trace(new Checkpoint("src-downtime-end"));
        }

        Cleanup();
        qemu.Trace(new SourceFinished(ok));
    }

    /// <summary>migration_thread up to the end of completion. Returns false on failure.</summary>
    private bool Migrate()
    {
        Savevm.PutHeader(f);
        qemu.Bql.Lock();
        multifdSend?.Setup();
        var ok = SaveSetup();
        qemu.Bql.Unlock();
        if (!ok)
        {
            return false;
        }

        qemu.Trace(new MigrationThreadSetupComplete());

        if (!Precopy())
        {
            return false;
        }

        // migration_completion_precopy: the BQL is held from VM stop through EOF.
        qemu.Bql.Lock();
        var completed = CompletePrecopy();
        qemu.Bql.Unlock();
        return completed;
    }

    /// <summary>qemu_savevm_state_setup: RAM (with a multifd sync) and each VFIO device.</summary>
    private bool SaveSetup()
    {
        Savevm.PutSectionStart(f, SavevmCodes.SectionStart, RamSectionId, "ram", 0);
        // ram_save_setup: multifd_ram_flush_and_sync with the BQL dropped, then EOS.
        qemu.Bql.Unlock();
        var synced = RamFlushAndSync(legacyFlush: false);
        qemu.Bql.Lock();
        if (!synced)
        {
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
                return Fail(error ?? $"{d.Config.Name}: save setup failed", ErrorKind.Setup);
            }

            Savevm.PutFooter(f, SectionId(i));
        }

        return Flush();
    }

    /// <summary>
    /// multifd_ram_flush_and_sync: sync every send thread (SYNC packets for req ALL) and, in the default
    /// mode, write RAM_SAVE_FLAG_MULTIFD_FLUSH so that the destination syncs its recv threads too.
    /// </summary>
    private bool RamFlushAndSync(bool legacyFlush)
    {
        if (multifdSend is null)
        {
            return true;
        }

        if (multifdSend.SyncMain(MultifdSyncReq.All) < 0)
        {
            return false;
        }

        if (!parameters.MultifdFlushAfterEachSection && !legacyFlush)
        {
            f.PutBe64(SavevmCodes.RamSaveFlagMultifdFlush);
            return Flush();
        }

        return true;
    }

    /// <summary>The precopy phase: VFIO's save_live_iterate until no precopy data is left.</summary>
    /// <remarks>Simplification: RAM pages are not modelled, so RAM writes no iterate sections.</remarks>
    private bool Precopy()
    {
        while (vfio.Any(d => d.PrecopyPending))
        {
            for (var i = 0; i < vfio.Count; i++)
            {
                if (!vfio[i].PrecopyPending)
                {
                    continue;
                }

                Savevm.PutSectionPart(f, SavevmCodes.SectionPart, SectionId(i));
                if (vfio[i].SaveIterate(f) < 0)
                {
                    return Fail($"{vfio[i].Config.Name}: precopy read failed", ErrorKind.Device);
                }

                Savevm.PutFooter(f, SectionId(i));
            }

            if (!Flush())
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// migration_completion_precopy with the BQL held: stop the VM, switchover start, the iterable phase
    /// (save threads, save_complete, join), the non-iterable phase, EOF.
    /// </summary>
    private bool CompletePrecopy()
    {
        if (qemu.HasError)
        {
            return false;
        }

        qemu.Trace(new Checkpoint("src-downtime-start"));
        // migration_stop_vm: the VFIO vmstate handler moves a PRE_COPY device to STOP_COPY.
        foreach (var d in vfio)
        {
            d.Device.SetState(VfioDeviceState.StopCopy);
        }

        qemu.Trace(new Checkpoint("src-vm-stopped"));

        // migration_switchover_start -> qemu_savevm_maybe_send_switchover_start (flushed).
        if (parameters.SendSwitchoverStart)
        {
            Savevm.PutCommand(f, SavevmCodes.CmdSwitchoverStart);
            qemu.Trace(new SwitchoverStartSent());
            if (!Flush())
            {
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
                deviceState!.AbortSaveThreads();
            }

            if (!deviceState!.JoinSaveThreads())
            {
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
            failure = "ram: multifd synchronization failed";
            return false;
        }

        Savevm.PutFooter(f, RamSectionId);
        for (var i = 0; i < vfio.Count; i++)
        {
            Savevm.PutSectionPart(f, SavevmCodes.SectionEnd, SectionId(i));
            if (vfio[i].SaveComplete(f, out var error) < 0)
            {
                failure = error ?? $"{vfio[i].Config.Name}: save complete failed";
                return false;
            }

            Savevm.PutFooter(f, SectionId(i));
        }

        return true;
    }

    /// <summary>
    /// ram_save_complete: in the default mode no SYNC (1d457daf86): the last round's sync is relied on. In the
    /// legacy flush-after-each-section mode a SYNC, which the destination matches at RAM EOS.
    /// </summary>
    private bool RamSaveComplete()
    {
        if (parameters.MultifdFlushAfterEachSection || qemu.Variant == ProtocolVariant.FinalSyncStrandsRecv)
        {
            // FinalSyncStrandsRecv (9.1, 637280aeb2): SYNC_ALL with no MULTIFD_FLUSH marker after it.
            if (!RamFlushAndSync(legacyFlush: true))
            {
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
        if (parameters.Platform == Platform.Aarch64)
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

    /// <summary>close_return_path_on_source: the return-path thread ends at the destination's SHUT.</summary>
    private bool WaitReturnPathShut()
    {
        var reader = new QemuFileReader(world.ReturnPath!);
        var type = reader.GetBe16();
        var len = reader.GetBe16();
        var status = reader.GetBe32();
        return reader.Error == 0 && type == ReturnPath.MsgShut && len == 4 && status == 0;
    }

    /// <summary>migration_cleanup: save_cleanup of every SE, then multifd_send_shutdown and the main channel.</summary>
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
        qemu.Bql.Unlock();
    }

    private static uint SectionId(int deviceIndex) => (uint)deviceIndex + 1;

    private bool Flush()
    {
        if (f.Flush() is var ret and < 0)
        {
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

using Multifd.Engine.Core;
using Multifd.Engine.Ports;
using Multifd.Engine.Source;
using Multifd.Engine.Wire;

namespace Multifd.Engine.Destination;

/// <summary>The destination's world: its channels and devices.</summary>
/// <param name="ReturnPath">The return path to the source, or null when the capability is off.</param>
public sealed record DestinationWorld(
    IMigrationChannel Main,
    IReadOnlyList<IMigrationChannel> Multifd,
    IReadOnlyList<(VfioDeviceConfig Config, IVfioDevice Device)> Devices,
    IMigrationChannel? ReturnPath = null);

/// <summary>
/// The destination QEMU: the incoming migration on the main thread (process_incoming_migration_co,
/// qemu_loadvm_state, process_incoming_migration_bh, migration_incoming_state_destroy), which holds the BQL
/// except while its coroutine waits for main-channel data that has not arrived and while it waits for or frees the load threads.
/// </summary>
public sealed class DestinationMigration
{
    private readonly QemuProcess qemu;
    private readonly MigrationParameters parameters;
    private readonly DestinationWorld world;
    private readonly List<VfioLoad> vfio;
    private readonly MultifdRecv? multifdRecv;
    private readonly QemuFileReader f;
    private readonly Dictionary<uint, string> sectionIdstr = [];
    private QemuThreadPool? loadThreads;
    private int loadThreadsAbort; // atomic: mis->load_threads_abort, the load threads' should_quit

    public DestinationMigration(QemuProcess qemu, MigrationParameters parameters, DestinationWorld world)
    {
        this.qemu = qemu;
        this.parameters = parameters;
        this.world = world;
        vfio = world.Devices.Select(d => new VfioLoad(qemu, parameters, d.Config, d.Device)).ToList();
        f = new QemuFileReader(new MainLoopChannel(world.Main, qemu.Bql), MainIoBufBytes);
        if (parameters.Multifd)
        {
            multifdRecv = new MultifdRecv(qemu, world.Multifd, LoadStateBuffer);
        }
    }

    public QemuProcess Qemu => qemu;

    /// <summary>
    /// The main channel's QEMUFile buffer. QEMU's IO_BUF_SIZE is 32 KiB, 1/32 of the 1 MiB chunks VFIO sends in
    /// precopy, so qemu_file_get_to_fd copies a chunk in many refill-and-write rounds. Scaled to the model's chunks
    /// (64 bytes by default) that would be 2 bytes; the model uses 32, which still splits every chunk of more than
    /// 32 bytes into several rounds (the behaviour that matters) at one scheduling decision a refill.
    /// </summary>
    public const int MainIoBufBytes = 32;

    /// <summary>Whether the VM was started (the migration completed).</summary>
    public bool VmRunning { get; private set; }

    /// <summary>Starts the destination's main thread.</summary>
    public QemuThread Start() => qemu.StartThread("main", Run);

    /// <summary>Runs the destination's main thread on the calling thread, to its end.</summary>
    public void RunHere() => qemu.RunThreadHere("main", Run);

    private void Run()
    {
        qemu.Bql.Lock();
        multifdRecv?.Setup();
        var ret = LoadvmState(out var error);
        qemu.Trace(new Checkpoint("dst-precopy-loadvm-completed"));
        qemu.Trace(new IncomingMigrationCoEnd(ret));
        if (ret < 0)
        {
            // process_incoming_migration_co, fail: FAILED, record the error, destroy (then exit).
            qemu.Site("dst.incoming-fail");
            qemu.SetError($"load of migration failed: {error?.Message ?? $"error {ret}"}", error?.Kind ?? ErrorKind.Other);
            IncomingStateDestroy(fileError: true);
        }
        else
        {
            // process_incoming_migration_bh.
            qemu.Trace(new Checkpoint("dst-precopy-bh-enter"));
            multifdRecv?.Shutdown();
            VmRunning = true;
            qemu.Trace(new VmStarted());
            IncomingStateDestroy(fileError: false);
        }

        qemu.Bql.Unlock();
        qemu.Trace(new DestinationFinished(ret >= 0, VmRunning));
    }

    /// <summary>qemu_loadvm_state. Returns 0 or a negative errno.</summary>
    private int LoadvmState(out LoadError? error)
    {
        // qemu_loadvm_thread_pool_create.
        loadThreads = new QemuThreadPool("mis->load_threads", qemu);
        Volatile.Write(ref loadThreadsAbort, 0);

        var ret = LoadHeaderAndSetup(out error);
        if (ret == 0)
        {
            ret = LoadvmStateMain(out error);
            qemu.Trace(new LoadStatePostMain(ret));
            if (ret == 0)
            {
                ret = LoadvmStateCheck(out error);
            }
        }

        // Whatever the outcome: later load-thread starts trip the assert, running ones see it when they poll.
        Volatile.Write(ref loadThreadsAbort, 1);
        qemu.Trace(new LoadThreadsAbortSet());
        return ret;
    }

    private int LoadHeaderAndSetup(out LoadError? error)
    {
        error = null;
        var magic = f.GetBe32();
        var version = f.GetBe32();
        if (f.Error != 0 || magic != Savevm.FileMagic || version != Savevm.FileVersion)
        {
            qemu.Site("dst.bad-header");
            error = new(f.Error != 0 ? "main channel read failed" : "Not a migration stream", f.Error != 0 ? ErrorKind.Channel : ErrorKind.Rejected);
            return -Errno.EINVAL;
        }

        foreach (var d in vfio)
        {
            if (d.LoadSetup(out error) < 0)
            {
                qemu.Site("dst.load-setup-failed");
                return -Errno.EINVAL;
            }

            if (qemu.Variant == ProtocolVariant.LoadThreadAtSetup)
            {
                // Series v2 created the load thread here (this variant drops its device-ready gate).
                d.SwitchoverStart(StartLoadThread);
            }
        }

        return 0;
    }

    /// <summary>After the main loop: the error check (e0ad300fe1), then wait for the load threads with the BQL dropped.</summary>
    private int LoadvmStateCheck(out LoadError? error)
    {
        error = null;
        if (qemu.HasError && qemu.Variant != ProtocolVariant.NoErrorCheckAfterLoadvm)
        {
            qemu.Site("dst.error-after-main");
            error = new("migration error set while loading", ErrorKind.Other);
            return -Errno.EINVAL;
        }

        // qemu_loadvm_thread_pool_wait.
        qemu.Bql.Unlock();
        loadThreads!.Wait();
        qemu.Bql.Lock();
        var ok = !qemu.HasError || qemu.Variant == ProtocolVariant.NoErrorCheckAfterLoadvm;
        qemu.Trace(new LoadThreadsWait(ok));
        if (!ok)
        {
            qemu.Site("dst.load-threads-failed");
            error = new("load threads failed", ErrorKind.Other);
            return -Errno.EINVAL;
        }

        return f.Error;
    }

    /// <summary>qemu_loadvm_state_main: sections until QEMU_VM_EOF.</summary>
    private int LoadvmStateMain(out LoadError? error)
    {
        error = null;
        while (true)
        {
            var type = f.GetByte();
            if (f.Error != 0)
            {
                qemu.Site("dst.main-read-error");
                error = new($"main channel read failed: {f.Error}", ErrorKind.Channel);
                return f.Error;
            }

            int ret;
            switch (type)
            {
                case SavevmCodes.SectionStart:
                case SavevmCodes.SectionFull:
                    var id = f.GetBe32();
                    var (idstr, instanceId, versionId) = Savevm.GetSectionStart(f);
                    qemu.Trace(new SectionStartFull(id, idstr, instanceId, versionId));
                    sectionIdstr[id] = idstr;
                    ret = LoadSection(id, idstr, out error);
                    break;
                case SavevmCodes.SectionPart:
                case SavevmCodes.SectionEnd:
                    var partId = f.GetBe32();
                    ret = sectionIdstr.TryGetValue(partId, out var partIdstr)
                        ? LoadSection(partId, partIdstr, out error)
                        : Reject($"Unknown savevm section {partId}", out error);
                    break;
                case SavevmCodes.Command:
                    ret = ProcessCommand(out error);
                    break;
                case SavevmCodes.VmEof:
                    return 0;
                default:
                    qemu.Site("dst.unknown-section-type");
                    ret = Reject($"Unknown section type {type}", out error);
                    break;
            }

            if (ret < 0)
            {
                return ret;
            }
        }
    }

    /// <summary>vmstate_load for one section, then check_section_footer.</summary>
    private int LoadSection(uint sectionId, string idstr, out LoadError? error)
    {
        error = null;
        int ret;
        if (idstr == "ram")
        {
            ret = RamLoad(out error);
        }
        else if (idstr == SourceMigration.InterruptControllerIdstr)
        {
            f.GetBe32();
            qemu.Trace(new InterruptControllerLoaded(idstr));
            ret = f.Error;
        }
        else if (vfio.Find(d => d.Config.Idstr == idstr) is { } d)
        {
            ret = d.LoadState(f, out error);
        }
        else
        {
            qemu.Site("dst.unknown-idstr");
            return Reject($"Unknown savevm section or instance '{idstr}'", out error);
        }

        if (ret < 0)
        {
            qemu.Site("dst.section-load-failed");
            error ??= new($"{idstr}: load failed: {ret}", ErrorKind.Other);
            return ret;
        }

        if (f.GetByte() != SavevmCodes.SectionFooter || f.GetBe32() != sectionId)
        {
            qemu.Site("dst.section-footer");
            return f.Error != 0
                ? Fail(new($"main channel read failed: {f.Error}", ErrorKind.Channel), f.Error, out error)
                : Reject($"Missing section footer for {idstr}", out error);
        }

        return 0;
    }

    /// <summary>
    /// ram_load_precopy as far as multifd goes: MULTIFD_FLUSH syncs with the recv threads (multifd_recv_sync_main,
    /// BQL held), EOS ends the section (and syncs in the legacy per-section mode).
    /// </summary>
    private int RamLoad(out LoadError? error)
    {
        error = null;
        // The coroutine yields to the main loop on entry (aio_co_schedule + qemu_coroutine_yield, "to let the main
        // loop run"): one main-loop iteration, whose poll runs with the BQL released.
        qemu.Bql.Unlock();
        qemu.Bql.Lock();
        while (true)
        {
            var flags = f.GetBe64();
            if (f.Error != 0)
            {
                qemu.Site("dst.ram-read-error");
                error = new($"main channel read failed: {f.Error}", ErrorKind.Channel);
                return f.Error;
            }

            if (flags == SavevmCodes.RamSaveFlagMultifdFlush)
            {
                multifdRecv?.SyncMain();
            }
            else if (flags == SavevmCodes.RamSaveFlagEos)
            {
                if (parameters.MultifdFlushAfterEachSection)
                {
                    multifdRecv?.SyncMain();
                }

                return 0;
            }
            else
            {
                qemu.Site("dst.ram-unknown-flags");
                return Reject($"Unknown combination of migration flags: 0x{flags:x}", out error);
            }
        }
    }

    /// <summary>loadvm_process_command: only MIG_CMD_SWITCHOVER_START is modelled.</summary>
    private int ProcessCommand(out LoadError? error)
    {
        error = null;
        var cmd = f.GetBe16();
        var len = f.GetBe16();
        if (f.Error != 0)
        {
            qemu.Site("dst.command-read-error");
            error = new($"main channel read failed: {f.Error}", ErrorKind.Channel);
            return f.Error;
        }

        if (cmd != SavevmCodes.CmdSwitchoverStart)
        {
            qemu.Site("dst.unknown-command");
            return Reject($"MIG_CMD 0x{cmd:x} unknown (len 0x{len:x})", out error);
        }

        qemu.Trace(new SwitchoverStartReceived(len));

        if (len != 0)
        {
            qemu.Site("dst.switchover-bad-length");
            return Reject($"SWITCHOVER_START received with bad length - expecting 0, got {len}", out error);
        }

        // loadvm_postcopy_handle_switchover_start: each SE's switchover_start.
        if (qemu.Variant != ProtocolVariant.LoadThreadAtSetup)
        {
            foreach (var d in vfio)
            {
                d.SwitchoverStart(StartLoadThread);
            }
        }

        return 0;
    }

    /// <summary>qemu_loadvm_start_load_thread with the qemu_loadvm_load_thread wrapper.</summary>
    private void StartLoadThread(string name, Func<Func<bool>, LoadError?> function)
    {
        QemuAssert.That(Volatile.Read(ref loadThreadsAbort) == 0, $"{name}: load thread started after load_threads_abort");
        qemu.Trace(new LoadThreadSubmitted(name));
        loadThreads!.SubmitImmediate(name, () =>
        {
            if (function(() => Volatile.Read(ref loadThreadsAbort) != 0) is { } error)
            {
                // Recorded, but load_threads_abort is not set: more threads may still be started.
                qemu.Site("dst.load-thread-error");
                qemu.SetError(error.Message, error.Kind);
            }
        });
    }

    /// <summary>qemu_loadvm_load_state_buffer (recv thread): find_se, then the SE's load_state_buffer.</summary>
    private LoadError? LoadStateBuffer(string idstr, uint instanceId, ReadOnlyMemory<byte> data)
    {
        var d = vfio.Find(v => v.Config.Idstr == idstr && v.Config.InstanceId == instanceId);
        return d is null
            ? new LoadError($"Unknown idstr {idstr} or instance id {instanceId} for load state buffer", ErrorKind.Rejected)
            : d.LoadStateBuffer(data.Span);
    }

    /// <summary>
    /// migration_incoming_state_destroy (BQL held): join the recv threads, every load_cleanup, free the load
    /// thread pool with the BQL dropped, then SHUT on the return path.
    /// </summary>
    private void IncomingStateDestroy(bool fileError)
    {
        var withoutBql = qemu.Variant == ProtocolVariant.CleanupWithoutBql;
        if (withoutBql)
        {
            // Before 6a76eb4872 one caller (the postcopy listen thread) entered here without the BQL.
            qemu.Bql.Unlock();
        }

        multifdRecv?.Cleanup();
        qemu.Trace(new LoadvmStateCleanup(Bql.Locked));
        foreach (var d in vfio)
        {
            d.LoadCleanup();
        }

        // qemu_loadvm_thread_pool_destroy.
        qemu.Site("dst.destroy-abort-load-threads");
        Volatile.Write(ref loadThreadsAbort, 1);
        qemu.Bql.Unlock();
        loadThreads?.Free();
        qemu.Bql.Lock();

        if (world.ReturnPath is { } rp)
        {
            qemu.Site("dst.return-path-shut");
            var shut = new QemuFileWriter(rp);
            shut.PutBe16(ReturnPath.MsgShut);
            shut.PutBe16(4);
            shut.PutBe32(fileError ? 1u : 0u);
            shut.Flush();
            rp.CloseWrite();
        }

        if (withoutBql)
        {
            qemu.Bql.Unlock();
        }
    }

    private int Reject(string message, out LoadError? error) => Fail(new(message, ErrorKind.Rejected), -Errno.EINVAL, out error);

    private static int Fail(LoadError e, int ret, out LoadError? error)
    {
        error = e;
        return ret;
    }
}

/// <summary>
/// The main channel as the incoming coroutine reads it (qemu_fill_buffer on a non-blocking channel): a read that
/// finds bytes returns them with the BQL still held; a read that would block yields the coroutine to the main
/// loop, which polls with the BQL released, and the read completes once bytes (or the end) arrive.
/// </summary>
/// <remarks>
/// Whether bytes are there is the schedule's choice: the source's write may come before or after this read, so
/// both the "data ready, BQL kept" and the "no data, BQL dropped while waiting" interleavings are explored. A
/// thread that needs the BQL while the main thread waits for main-channel data (the load thread's config load)
/// gets it in every schedule where the main thread reaches that read before the source's write.
/// </remarks>
public sealed class MainLoopChannel(IMigrationChannel inner, Bql bql) : IMigrationChannel
{
    public string Name => inner.Name;

    public int Read(Span<byte> buffer)
    {
        var n = inner.ReadNonBlocking(buffer);
        if (n != QioChannel.ErrBlock)
        {
            return n;
        }

        // qio_channel_yield(G_IO_IN): the main loop polls with the BQL released.
        bql.Unlock();
        n = inner.Read(buffer);
        bql.Lock();
        return n;
    }

    public int ReadNonBlocking(Span<byte> buffer) => inner.ReadNonBlocking(buffer);

    public int Write(ReadOnlySpan<byte> bytes) => inner.Write(bytes);

    public int WriteZeroCopy(byte[] buffer) => inner.WriteZeroCopy(buffer);

    public void CloseWrite() => inner.CloseWrite();

    public void Shutdown() => inner.Shutdown();
}

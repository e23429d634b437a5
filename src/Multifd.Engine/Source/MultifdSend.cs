using Multifd.Engine.Core;
using Multifd.Engine.Ports;
using Multifd.Engine.Wire;

namespace Multifd.Engine.Source;

/// <summary>MultiFDSyncReq.</summary>
public enum MultifdSyncReq
{
    None,
    /// <summary>Sync with the send threads only (mapped-ram).</summary>
    Local,
    /// <summary>Sync and send a SYNC packet on every channel.</summary>
    All,
}

/// <summary>A filled MultiFDSendData slot: a RAM job or a device-state payload (the union's two members).</summary>
public abstract record MultifdSendData;

/// <summary>The device-state member of MultiFDSendData (MultiFDDeviceState_t).</summary>
public sealed record DeviceStatePayload(string Idstr, uint InstanceId, byte[] Buf, string Device, uint Idx, bool IsConfig)
    : MultifdSendData;

/// <summary>
/// The RAM member of MultiFDSendData (MultiFDPages_t), as multifd_queue_page hands it to multifd_send when it is
/// full or at a flush. Simplification: it carries no pages; it is sent as a RAM packet of header and packet_num.
/// </summary>
public sealed record RamPayload : MultifdSendData;

/// <summary>
/// The source half of migration/multifd.c: multifd_send_state, multifd_send, the send threads, the sync
/// with them, and their shutdown.
/// Lock order: queue_job_mutex -> multifd_send_mutex -> sem channels_ready.
/// </summary>
public sealed class MultifdSend
{
    private readonly QemuProcess qemu;
    private readonly MigrationParameters parameters;
    private readonly ModelAssumptions assumptions;
    private readonly SendParams[] channels;
    private readonly QemuMutex multifdSendMutex;
    private readonly QemuSemaphore channelsReady;
    private readonly QemuSemaphore pendingJobCleared; // model only: the spin of multifd_send, see Send
    // Producers parked in that spin (at most one: multifd_send_mutex is held). Model machinery, not QEMU's: plain accesses
    // with full fences (no lost wake-up on real threads) and no scheduling decision under Coyote, where the park and
    // its wake-up are an artifact of modelling a busy-wait and their interleaving cannot change what QEMU does.
    private int spinWaiters;
    private int exiting; // atomic
    private int nextChannel; // protected by multifdSendMutex
    private long packetNum; // atomic

    public MultifdSend(QemuProcess qemu, MigrationParameters parameters, ModelAssumptions assumptions,
        IReadOnlyList<IMigrationChannel> multifdChannels)
    {
        this.qemu = qemu;
        this.parameters = parameters;
        this.assumptions = assumptions;
        multifdSendMutex = qemu.NewMutex("multifd_send_mutex");
        channelsReady = qemu.NewSemaphore("channels_ready");
        pendingJobCleared = qemu.NewSemaphore("model: multifd_send spin on pending_job");
        channels = multifdChannels.Select((c, i) => new SendParams(i, c, qemu)).ToArray();
    }

    /// <summary>multifd_send_should_exit().</summary>
    public bool ShouldExit => Volatile.Read(ref exiting) != 0;

    /// <summary>multifd_send_setup: one send thread per channel.</summary>
    public void Setup()
    {
        foreach (var p in channels)
        {
            p.Thread = qemu.StartThread($"send[ch{p.Id}]", () => SendThread(p));
        }
    }

    /// <summary>
    /// multifd_send: hands the filled slot to the next free channel (round-robin) and takes that channel's
    /// empty slot. Returns false once the send side is exiting.
    /// </summary>
    public bool Send(ref MultifdSendData? sendData)
    {
        if (ShouldExit)
        {
            qemu.Site("send.send-exiting-entry");
            return false;
        }

        using (multifdSendMutex.Locked())
        {
            // Wait until at least one channel is ready.
            channelsReady.Wait();

            SendParams p;
            var i = nextChannel % channels.Length;
            var start = i;
            while (true)
            {
                if (ShouldExit)
                {
                    qemu.Site("send.send-exiting-loop");
                    return false;
                }

                p = channels[i];
                // Lockless read of pending_job: only the send thread clears it.
                if (!Volatile.Read(ref p.PendingJob))
                {
                    nextChannel = (i + 1) % channels.Length;
                    break;
                }

                i = (i + 1) % channels.Length;
                if (i == start && !AnyChannelFreeOrExiting())
                {
                    // Every channel has a job: QEMU busy-waits here, re-reading every pending_job and the exit
                    // flag, until a send thread clears pending_job (a channels_ready token does not always mean a
                    // free channel: multifd_send_sync_main takes tokens too). Simplification: the model parks the
                    // spin until a send thread clears a pending_job or exiting is set, which is when the spin could
                    // first see a change; a spin that would never end stays parked (a hang either way).
                    ParkSpin();
                }
            }

            QemuAssert.That(p.Data is null, $"send[ch{p.Id}]: data slot not empty");
            (sendData, p.Data) = (p.Data, sendData);
            Volatile.Write(ref p.PendingJob, true);
            p.Sem.Post();
            return true;
        }
    }

    /// <summary>multifd_send_thread.</summary>
    private void SendThread(SendParams p)
    {
        qemu.Trace(new SendThreadStart(p.Id));
        string? error = null;
        ulong packetsSent = 0; // p->packets_sent: RAM and SYNC packets (multifd_send_fill_packet), not device state
        while (true)
        {
            channelsReady.Post();
            p.Sem.Wait();

            // As QEMU: multifd_send_should_exit() is checked before pending_job, so a thread woken with a job
            // while exiting leaves without writing it (finding F3). Model assumption
            // SendThreadsDrainBeforeShutdown (off by default): such a thread writes its job first.
            if (ShouldExit && !(assumptions.SendThreadsDrainBeforeShutdown && Volatile.Read(ref p.PendingJob)))
            {
                qemu.Site("send.thread-exiting");
                break;
            }

            if (Volatile.Read(ref p.PendingJob))
            {
                var isRam = p.Data is not DeviceStatePayload;
                packetsSent += isRam ? 1UL : 0; // multifd_send_fill_packet counts RAM packets only
                error = isRam ? SendRam(p) : SendDeviceState(p);
                if (error is not null)
                {
                    qemu.Site("send.thread-job-error");
                    break;
                }

                Volatile.Write(ref p.PendingJob, false);
                WakeSpin();
            }
            else
            {
                // Not a job: it must be a sync request.
                var req = (MultifdSyncReq)Volatile.Read(ref p.PendingSync);
                QemuAssert.That(req != MultifdSyncReq.None, $"send[ch{p.Id}]: woken with neither a job nor a sync");
                if (req == MultifdSyncReq.All)
                {
                    // Only push the SYNC packet if it involves a remote sync.
                    var num = (ulong)Interlocked.Increment(ref packetNum) - 1;
                    qemu.Trace(new MultifdSendFill(p.Id, num, MultifdWire.FlagSync, 0));
                    packetsSent++;
                    if (p.Channel.Write(MultifdWire.EncodeRamPacket(num, MultifdWire.FlagSync)) is var ret and < 0)
                    {
                        qemu.Site("send.thread-sync-write-error");
                        error = $"multifd_send_{p.Id}: write of SYNC packet failed: {-ret}";
                        break;
                    }
                }

                Volatile.Write(ref p.PendingSync, (int)MultifdSyncReq.None);
                p.SemSync.Post();
            }
        }

        if (error is not null)
        {
            qemu.Site("send.thread-error-exit");
            qemu.Trace(new SendChannelError(p.Id, error));
            SetError(error, ErrorKind.Channel);
            KickMain(p);
        }

        qemu.Trace(new SendThreadEnd(p.Id, packetsSent));
    }

    /// <summary>A RAM job: multifd_send_fill_packet (send_prepare) + writev + multifd_send_data_clear. Returns null or the error.</summary>
    private string? SendRam(SendParams p)
    {
        p.Data = null;
        var num = (ulong)Interlocked.Increment(ref packetNum) - 1;
        qemu.Trace(new MultifdSendFill(p.Id, num, 0, 0));
        if (p.Channel.Write(MultifdWire.EncodeRamPacket(num, 0)) is var ret and < 0)
        {
            return $"multifd_send_{p.Id}: writev failed: {-ret}";
        }

        return null;
    }

    /// <summary>multifd_device_state_send_prepare + writev + payload free. Returns null or the error.</summary>
    private string? SendDeviceState(SendParams p)
    {
        var data = (DeviceStatePayload)p.Data!;
        p.Data = null;
        var packet = MultifdWire.EncodeDeviceStatePacket(data.Idstr, data.InstanceId, data.Buf);
        // 10.1 (6be7696129) masks QIO_CHANNEL_WRITE_FLAG_ZERO_COPY for device-state packets.
        var zeroCopy = parameters.ZeroCopySend && qemu.Variant == ProtocolVariant.ZeroCopyDeviceState;
        var ret = zeroCopy ? p.Channel.WriteZeroCopy(packet) : p.Channel.Write(packet);
        if (ret < 0)
        {
            return $"multifd_send_{p.Id}: writev failed: {-ret}";
        }

        qemu.Trace(new PacketSent(p.Id, data.Device, data.Idx, data.IsConfig, zeroCopy));
        // multifd_payload_clear frees the payload; with zero-copy the kernel may still read it.
        Array.Fill(packet, (byte)0xdd);
        return null;
    }

    /// <summary>multifd_send_sync_main. Does not take multifd_send_mutex: competes for channels_ready.</summary>
    public int SyncMain(MultifdSyncReq req)
    {
        QemuAssert.That(req != MultifdSyncReq.None, "multifd_send_sync_main(NONE)");
        foreach (var p in channels)
        {
            if (ShouldExit)
            {
                qemu.Site("send.sync-exiting-post");
                return -1;
            }

            QemuAssert.That(Volatile.Read(ref p.PendingSync) == (int)MultifdSyncReq.None, $"send[ch{p.Id}]: sync already pending");
            Volatile.Write(ref p.PendingSync, (int)req);
            p.Sem.Post();
        }

        foreach (var p in channels)
        {
            if (ShouldExit)
            {
                qemu.Site("send.sync-exiting-wait");
                return -1;
            }

            channelsReady.Wait();
            p.SemSync.Wait();
        }

        // As QEMU, 0 even if a channel failed after the last wait: the caller goes on, and the failure shows
        // at the next multifd_send or in the migration state.
        qemu.Trace(new MultifdSendSyncMain(packetNum)); // a plain read, as the trace's in QEMU
        return 0;
    }

    private bool AnyChannelFreeOrExiting() => ShouldExit || channels.Any(c => !Volatile.Read(ref c.PendingJob));

    /// <summary>Parks the producer's spin in <see cref="Send"/>: registered first, then re-checked, so no wake-up is lost.</summary>
    private void ParkSpin()
    {
        spinWaiters++;
        Thread.MemoryBarrier();
        if (!AnyChannelFreeOrExiting())
        {
            pendingJobCleared.Wait();
        }

        spinWaiters--;
    }

    /// <summary>Something the spin in <see cref="Send"/> reads changed: wake it if a producer is parked there.</summary>
    private void WakeSpin()
    {
        Thread.MemoryBarrier();
        if (spinWaiters > 0)
        {
            pendingJobCleared.Post();
        }
    }

    /// <summary>multifd_send_error_propagate (10.1: multifd_send_set_error): the first error wins; later ones are dropped.</summary>
    private void SetError(string message, ErrorKind kind)
    {
        if (Interlocked.Exchange(ref exiting, 1) == 1)
        {
            qemu.Site("send.set-error-dropped");
            return;
        }

        WakeSpin();

        qemu.SetError(message, kind);
        // multifd_send_error_propagate also fails the migration if it is still under way.
        var state = qemu.State;
        if (state is MigrationStatus.Setup or MigrationStatus.Active or MigrationStatus.Device)
        {
            qemu.Site("send.set-error-fail-migration");
            qemu.SetState(state, MigrationStatus.Failed);
        }
    }

    /// <summary>multifd_send_kick_main: wakes a migration thread in sync_main or a producer in multifd_send.</summary>
    private void KickMain(SendParams p)
    {
        qemu.Site("send.kick-main");
        p.SemSync.Post();
        channelsReady.Post();
    }

    /// <summary>
    /// multifd_send_shutdown (from migration_cleanup): multifd_send_terminate_threads — set exiting, kick
    /// every thread and shut its channel down, join — then close the channels.
    /// </summary>
    public void Shutdown()
    {
        qemu.Trace(new MultifdSendTerminateThreads());
        // Deep variant ExitingSetAfterKick: exiting is set after the kicks, so a kicked thread may see neither it nor a job.
        var exitingLate = qemu.Variant == ProtocolVariant.ExitingSetAfterKick;
        if (!exitingLate)
        {
            SetExiting();
        }

        foreach (var p in channels)
        {
            qemu.Site("send.terminate-wake");
            p.Sem.Post();
            if (!assumptions.SendThreadsDrainBeforeShutdown)
            {
                // migration_ioc_shutdown_gracefully -> qio_channel_shutdown(BOTH) before the join: the peer reads
                // what was written, then the end of the stream; a job not yet written never reaches it.
                p.Channel.CloseWrite();
            }
        }

        if (exitingLate)
        {
            SetExiting();
        }

        foreach (var p in channels)
        {
            if (p.Thread is { } thread)
            {
                qemu.Site("send.shutdown-join");
                qemu.Join(thread);
            }
        }

        foreach (var p in channels)
        {
            p.Channel.CloseWrite(); // qio_channel_close
        }
    }

    private void SetExiting()
    {
        Volatile.Write(ref exiting, 1);
        WakeSpin();
    }

    private sealed class SendParams(int id, IMigrationChannel channel, QemuProcess qemu)
    {
        public readonly int Id = id;
        public readonly IMigrationChannel Channel = channel;
        public readonly QemuSemaphore Sem = qemu.NewSemaphore($"send[ch{id}].sem");
        public readonly QemuSemaphore SemSync = qemu.NewSemaphore($"send[ch{id}].sem_sync");
        public bool PendingJob;
        public int PendingSync;
        public MultifdSendData? Data;
        public QemuThread? Thread;
    }
}

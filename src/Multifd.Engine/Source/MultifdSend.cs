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

/// <summary>A filled MultiFDSendData slot: a device-state payload (RAM pages are not modelled).</summary>
public sealed record DeviceStatePayload(string Idstr, uint InstanceId, byte[] Buf, string Device, uint Idx, bool IsConfig);

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
    public bool Send(ref DeviceStatePayload? sendData)
    {
        if (ShouldExit)
        {
            return false;
        }

        using (multifdSendMutex.Locked())
        {
            // Wait until at least one channel is ready.
            channelsReady.Wait();

            SendParams p;
            var i = nextChannel % channels.Length;
            while (true)
            {
                if (ShouldExit)
                {
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

            var hasJob = Volatile.Read(ref p.PendingJob);
            // Model assumption SendThreadsDrainBeforeShutdown: a thread woken with a job writes it first.
            if (ShouldExit && !(hasJob && assumptions.SendThreadsDrainBeforeShutdown))
            {
                break;
            }

            if (hasJob)
            {
                error = SendDeviceState(p);
                if (error is not null)
                {
                    break;
                }

                Volatile.Write(ref p.PendingJob, false);
            }
            else
            {
                // Not a job: it must be a sync request.
                var req = (MultifdSyncReq)Volatile.Read(ref p.PendingSync);
                QemuAssert.That(req != MultifdSyncReq.None, $"send[ch{p.Id}]: woken with neither a job nor a sync");
                if (req == MultifdSyncReq.All)
                {
                    var packet = MultifdWire.EncodeRamSyncPacket((ulong)Interlocked.Increment(ref packetNum));
                    packetsSent++;
                    if (p.Channel.Write(packet) is var ret and < 0)
                    {
                        error = $"multifd_send_{p.Id}: write of SYNC packet failed: {-ret}";
                        break;
                    }

                    qemu.Trace(new PacketSent(p.Id, null, 0, false, false));
                }

                Volatile.Write(ref p.PendingSync, (int)MultifdSyncReq.None);
                p.SemSync.Post();
            }
        }

        if (error is not null)
        {
            qemu.Trace(new SendChannelError(p.Id, error));
            SetError(error, ErrorKind.Channel);
            KickMain(p);
        }

        qemu.Trace(new SendThreadEnd(p.Id, packetsSent));
    }

    /// <summary>multifd_device_state_send_prepare + writev + payload free. Returns null or the error.</summary>
    private string? SendDeviceState(SendParams p)
    {
        var data = p.Data!;
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
                return -1;
            }

            channelsReady.Wait();
            p.SemSync.Wait();
        }

        return ShouldExit ? -1 : 0;
    }

    /// <summary>multifd_send_set_error: the first error wins; later ones are dropped.</summary>
    private void SetError(string message, ErrorKind kind)
    {
        if (Interlocked.Exchange(ref exiting, 1) == 1)
        {
            return;
        }

        qemu.SetError(message, kind);
    }

    /// <summary>multifd_send_kick_main: wakes a migration thread in sync_main or a producer in multifd_send.</summary>
    private void KickMain(SendParams p)
    {
        p.SemSync.Post();
        channelsReady.Post();
    }

    /// <summary>
    /// multifd_send_shutdown (from migration_cleanup): multifd_send_terminate_threads — set exiting, kick
    /// every thread and shut its channel down, join — then close the channels.
    /// </summary>
    public void Shutdown()
    {
        Volatile.Write(ref exiting, 1);
        foreach (var p in channels)
        {
            p.Sem.Post();
            if (!assumptions.SendThreadsDrainBeforeShutdown)
            {
                p.Channel.CloseWrite(); // qio_channel_shutdown(BOTH): unsent jobs never reach the peer
            }
        }

        foreach (var p in channels)
        {
            if (p.Thread is { } thread)
            {
                qemu.Join(thread);
            }
        }

        foreach (var p in channels)
        {
            p.Channel.CloseWrite(); // qio_channel_close
        }
    }

    private sealed class SendParams(int id, IMigrationChannel channel, QemuProcess qemu)
    {
        public readonly int Id = id;
        public readonly IMigrationChannel Channel = channel;
        public readonly QemuSemaphore Sem = qemu.NewSemaphore($"send[ch{id}].sem");
        public readonly QemuSemaphore SemSync = qemu.NewSemaphore($"send[ch{id}].sem_sync");
        public bool PendingJob;
        public int PendingSync;
        public DeviceStatePayload? Data;
        public QemuThread? Thread;
    }
}

using Multifd.Engine.Core;
using Multifd.Engine.Ports;
using Multifd.Engine.Wire;

namespace Multifd.Engine.Destination;

/// <summary>
/// The destination half of migration/multifd.c: one recv thread per channel, the sync with the main thread
/// (multifd_recv_sync_main), termination and cleanup. Recv threads never hold the BQL.
/// </summary>
public sealed class MultifdRecv
{
    private readonly QemuProcess qemu;
    private readonly RecvParams[] channels;
    private readonly Func<string, uint, ReadOnlyMemory<byte>, LoadError?> loadStateBuffer;
    private readonly QemuSemaphore semSync;
    private int exiting; // atomic

    /// <param name="loadStateBuffer">qemu_loadvm_load_state_buffer(idstr, instance_id, buf).</param>
    public MultifdRecv(QemuProcess qemu, IReadOnlyList<IMigrationChannel> multifdChannels,
        Func<string, uint, ReadOnlyMemory<byte>, LoadError?> loadStateBuffer)
    {
        this.qemu = qemu;
        this.loadStateBuffer = loadStateBuffer;
        semSync = qemu.NewSemaphore("multifd_recv_state->sem_sync");
        channels = multifdChannels.Select((c, i) => new RecvParams(i, c, qemu)).ToArray();
    }

    private bool ShouldExit => Volatile.Read(ref exiting) != 0;

    /// <summary>Creates the recv threads (multifd_recv_new_channel for every incoming channel).</summary>
    public void Setup()
    {
        foreach (var p in channels)
        {
            p.Thread = qemu.StartThread($"recv[ch{p.Id}]", () => RecvThread(p));
        }
    }

    /// <summary>multifd_recv_thread.</summary>
    private void RecvThread(RecvParams p)
    {
        qemu.Trace(new RecvThreadStart(p.Id));
        ulong packetsRecved = 0; // p->packets_recved: every packet whose header passed (device state too)
        using var reader = new QemuFileReader(p.Channel);
        LoadError? error = null;
        var header = new byte[MultifdWire.HeaderSize];
        while (error is null)
        {
            if (ShouldExit)
            {
                qemu.Site("recv.thread-exiting");
                break;
            }

            var ret = reader.ReadAllEof(header);
            if (ret == 0)
            {
                // A clean end of stream at a packet boundary: the thread just ends, with no error.
                qemu.Site("recv.thread-eof");
                break;
            }

            if (ret < 0)
            {
                qemu.Site("recv.thread-read-error");
                error = new($"multifd_recv_{p.Id}: read failed: {-reader.Error}", ErrorKind.Channel);
                break;
            }

            if (MultifdWire.CheckHeader(header, out var flags) is { } headerError)
            {
                qemu.Site("recv.thread-bad-header");
                error = new(headerError, ErrorKind.Rejected);
                break;
            }

            packetsRecved++;
            error = (flags & MultifdWire.FlagDeviceState) != 0
                ? RecvDeviceState(reader, flags)
                : RecvRam(p, reader, flags);
        }

        if (error is not null)
        {
            qemu.Site("recv.thread-terminate");
            TerminateThreads(error);
        }

        qemu.Trace(new RecvThreadEnd(p.Id, packetsRecved));
    }

    /// <summary>The device-state branch: the rest of the header, the payload, then load_state_buffer.</summary>
    private LoadError? RecvDeviceState(QemuFileReader reader, uint flags)
    {
        var rest = new byte[MultifdWire.DeviceStateHeaderSize - MultifdWire.HeaderSize];
        if (reader.ReadAllEof(rest) != 1)
        {
            qemu.Site("recv.device-state-header-eof");
            return new("multifd: unexpected EOF after packet header", ErrorKind.Channel);
        }

        var idstrError = MultifdWire.ParseDeviceStateHeader(rest, out var idstr, out var instanceId, out var size);
        if (size == 0)
        {
            qemu.Site("recv.device-state-empty");
            return new("multifd: received empty device state packet", ErrorKind.Rejected);
        }

        // multifd_device_state_recv: g_malloc(next_packet_size), read the payload, then check the idstr. The buffer is
        // QEMU's to account for (up to 4 GiB on the sender's word, before any check); it is freed on return.
        var owner = idstrError is null ? idstr : "(unterminated idstr)";
        qemu.Trace(new DeviceStateRecvBuffer(owner, size, Freed: false));
        var error = DeviceStateRecv(reader, idstr, idstrError, instanceId, size);
        qemu.Trace(new DeviceStateRecvBuffer(owner, size, Freed: true));
        if (error is not null)
        {
            qemu.Site("recv.device-state-load-error");
            return error;
        }

        if ((flags & MultifdWire.FlagSync) != 0)
        {
            qemu.Site("recv.device-state-sync-flag");
            return new("multifd: received SYNC device state packet", ErrorKind.Rejected);
        }

        return null;
    }

    /// <summary>
    /// The body of multifd_device_state_recv after its g_malloc: reads the payload, checks the idstr, hands the packet to
    /// qemu_loadvm_load_state_buffer. Simplification: the model holds real bytes only up to <see cref="MaxModelPacketBytes"/>;
    /// a larger payload (a hostile next_packet_size) is read and dropped chunk by chunk, and the simulated senders never
    /// carry that many bytes, so such a packet ends at the channel's EOF, as QEMU's read would.
    /// </summary>
    private LoadError? DeviceStateRecv(QemuFileReader reader, string idstr, string? idstrError, uint instanceId, uint size)
    {
        if (size > MaxModelPacketBytes)
        {
            var chunk = new byte[MaxModelPacketBytes];
            for (var left = (ulong)size; left > 0; left -= (ulong)chunk.Length)
            {
                if (!reader.GetBuffer(chunk.AsSpan(0, (int)Math.Min(left, (ulong)chunk.Length))))
                {
                    return new("multifd: unexpected EOF in device state payload", ErrorKind.Channel);
                }
            }

            return new($"multifd: device state packet of {size} bytes arrived whole (the model carries at most {MaxModelPacketBytes})", ErrorKind.Other);
        }

        var payload = new byte[size];
        if (reader.ReadAllEof(payload) != 1)
        {
            qemu.Site("recv.device-state-payload-eof");
            return new("multifd: unexpected EOF in device state payload", ErrorKind.Channel);
        }

        if (idstrError is not null)
        {
            qemu.Site("recv.device-state-bad-idstr");
            return new(idstrError, ErrorKind.Rejected);
        }

        return loadStateBuffer(idstr, instanceId, payload);
    }

    /// <summary>
    /// The RAM branch: a RAM job's packet (the model's carry no pages, so there is nothing to load) or a SYNC, which
    /// posts multifd_recv_state->sem_sync and parks the thread on its p->sem_sync until the main thread syncs.
    /// </summary>
    private LoadError? RecvRam(RecvParams p, QemuFileReader reader, uint flags)
    {
        var rest = new byte[MultifdWire.RamPacketSize - MultifdWire.HeaderSize];
        if (reader.ReadAllEof(rest) != 1)
        {
            qemu.Site("recv.ram-header-eof");
            return new("multifd: unexpected EOF after packet header", ErrorKind.Channel);
        }

        qemu.Trace(new MultifdRecvUnfill(p.Id, MultifdWire.RamPacketNum(rest), flags, 0));
        if ((flags & MultifdWire.FlagSync) != 0)
        {
            semSync.Post();
            p.SemSync.Wait();
        }

        return null;
    }

    /// <summary>
    /// multifd_recv_sync_main (main thread, BQL held): waits for every channel's SYNC, then releases them.
    /// As in QEMU, nothing but a recv thread's SYNC posts multifd_recv_state->sem_sync: if a recv thread fails
    /// before its SYNC, this waits for ever, holding the BQL (finding F9).
    /// </summary>
    public void SyncMain()
    {
        for (var i = 0; i < channels.Length; i++)
        {
            semSync.Wait();
        }

        foreach (var p in channels)
        {
            p.SemSync.Post();
        }

        qemu.Trace(new RecvSyncMain(true));
    }

    /// <summary>
    /// multifd_recv_terminate_threads: the first terminator records its error; every later one (and every
    /// error after multifd_recv_shutdown) is dropped. Releases parked threads and shuts the channels down.
    /// </summary>
    public void TerminateThreads(LoadError? error)
    {
        qemu.Trace(new RecvTerminateThreads(error is not null));
        if (Interlocked.Exchange(ref exiting, 1) == 1)
        {
            qemu.Site("recv.terminate-already-exiting");
            if (error is not null)
            {
                qemu.Trace(new ErrorReported($"dropped (recv already exiting): {error.Message}", error.Kind));
            }

            return;
        }

        if (error is not null)
        {
            qemu.Site("recv.terminate-set-error");
            qemu.SetError(error.Message, error.Kind);
        }

        foreach (var p in channels)
        {
            if (qemu.Variant != ProtocolVariant.RecvTerminateSkipsSemSync)
            {
                qemu.Site("recv.terminate-wake");
                p.SemSync.Post();
            }

            p.Channel.Shutdown();
        }
    }

    /// <summary>multifd_recv_shutdown (from process_incoming_migration_bh): terminate without joining.</summary>
    public void Shutdown() => TerminateThreads(null);

    /// <summary>multifd_recv_cleanup: terminate, then join every recv thread in index order.</summary>
    public void Cleanup()
    {
        TerminateThreads(null);
        foreach (var p in channels)
        {
            if (p.Thread is { } thread)
            {
                qemu.Site("recv.cleanup-join");
                qemu.Join(thread);
            }
        }

        qemu.Trace(new RecvThreadsJoined());
    }

    /// <summary>
    /// The most payload bytes the model carries in one packet (simulated sources never send more). QEMU trusts
    /// next_packet_size up to 4 GiB: the model accounts a larger one (DeviceStateRecvBuffer) without holding its bytes.
    /// </summary>
    public const uint MaxModelPacketBytes = 1 << 20;

    private sealed class RecvParams(int id, IMigrationChannel channel, QemuProcess qemu)
    {
        public readonly int Id = id;
        public readonly IMigrationChannel Channel = channel;
        public readonly QemuSemaphore SemSync = qemu.NewSemaphore($"recv[ch{id}].sem_sync");
        public QemuThread? Thread;
    }
}

using Multifd.Engine.Core;
using Multifd.Engine.Ports;
using Multifd.Engine.Wire;

namespace Multifd.Simulation;

/// <summary>A device as the hostile source presents it.</summary>
public sealed record HostileDevice(string Name, string Idstr, uint InstanceId, byte[] Image, byte[] Config, int DataBufferSizeBytes,
    bool SendLoadReady);

/// <summary>What a hostile source sent (for the timeline).</summary>
public sealed record HostilePacketSent(string Kind, string What) : MigrationEvent
{
    public override string TraceName => "sim_hostile_source";
    public override string Args => $"{Kind}: {What}";
}

/// <summary>
/// A source that is not QEMU: it writes a well-formed migration stream (header, setup sections with the RAM
/// multifd sync, SWITCHOVER_START, device-state packets round-robin on the multifd channels, completion and
/// non-iterable sections, QEMU_VM_EOF) with one deviation, <see cref="Kind"/>.
/// For a deviation the destination must reject on a recv thread, it holds QEMU_VM_EOF back until the
/// destination has recorded an error: a real source cannot time that, and the race of such an error with
/// EOF is its own scenario.
/// </summary>
public sealed class HostileSource(
    string kind,
    IReadOnlyList<HostileDevice> devices,
    IMigrationChannel main,
    IReadOnlyList<IMigrationChannel> multifd,
    IMigrationObserver observer,
    bool holdEofUntilRejected,
    bool sendInterruptController = false)
{
    private readonly SemaphoreSlim rejected = new(0);
    private int channel;
    private int errorsSeen;

    public string Kind => kind;

    /// <summary>Deviations the destination rejects on a recv thread (the EOF of such a stream is held back).</summary>
    public static readonly IReadOnlySet<string> RejectedByRecvThread = new HashSet<string>
    {
        "duplicate-idx", "idx-uint32-max", "wrong-version", "short-packet", "unknown-idstr", "not-multifd-device", "second-config",
    };

    /// <summary>The world tells the hostile source that the destination recorded an error.</summary>
    public void DestinationFailed()
    {
        if (Interlocked.Exchange(ref errorsSeen, 1) == 0)
        {
            rejected.Release();
        }
    }

    public QemuThread Start() => QemuThread.Create("hostile", _ =>
    {
        observer.On(new Observation(Side.Source, "hostile", new ThreadStarted("hostile")));
        Run();
        observer.On(new Observation(Side.Source, "hostile", new ThreadEnded("hostile", Aborted: false)));
    });

    private void Run()
    {
        var f = new QemuFileWriter(main);
        Savevm.PutHeader(f);
        Savevm.PutSectionStart(f, SavevmCodes.SectionStart, 0, "ram", 0);
        // The RAM setup sync: a SYNC packet on every channel, then MULTIFD_FLUSH.
        for (var i = 0; i < multifd.Count; i++)
        {
            multifd[i].Write(MultifdWire.EncodeRamSyncPacket((ulong)i + 1));
        }

        f.PutBe64(SavevmCodes.RamSaveFlagMultifdFlush);
        f.PutBe64(SavevmCodes.RamSaveFlagEos);
        Savevm.PutFooter(f, 0);
        for (var i = 0; i < devices.Count; i++)
        {
            Savevm.PutSectionStart(f, SavevmCodes.SectionStart, (uint)i + 1, devices[i].Idstr, devices[i].InstanceId);
            f.PutBe64(VfioMarkers.DevSetupState);
            f.PutBe64(VfioMarkers.EndOfState);
            Savevm.PutFooter(f, (uint)i + 1);
        }

        Savevm.PutCommand(f, SavevmCodes.CmdSwitchoverStart);
        f.Flush();

        foreach (var d in devices)
        {
            SendDevice(d);
        }

        if (kind == "huge-packet")
        {
            // Last on its channel: a device-state header whose next_packet_size claims 4 GiB - 1 bytes, followed by a
            // well-formed 20-byte VFIO packet (the rest never comes; the channel ends after QEMU_VM_EOF).
            var d = devices[0];
            Note($"a device-state packet for {d.Idstr} whose next_packet_size is {uint.MaxValue} (20 bytes follow)");
            // Its VFIO header is never parsed: the payload never completes.
            var vfio = VfioDeviceStatePacket.Encode(0, 0, new byte[8], ByteOrder.BigEndian, VfioDeviceStatePacket.VersionCurrent);
            SendRaw(d.Idstr, d.InstanceId, vfio, nextPacketSize: uint.MaxValue);
        }

        Savevm.PutSectionPart(f, SavevmCodes.SectionEnd, 0);
        f.PutBe64(SavevmCodes.RamSaveFlagEos);
        Savevm.PutFooter(f, 0);
        for (var i = 0; i < devices.Count; i++)
        {
            Savevm.PutSectionPart(f, SavevmCodes.SectionEnd, (uint)i + 1);
            f.PutBe64(VfioMarkers.EndOfState);
            Savevm.PutFooter(f, (uint)i + 1);
        }

        if (sendInterruptController)
        {
            // An ARM source saves the interrupt controller before the VFIO devices, as QEMU does.
            var icId = (uint)devices.Count + 1;
            Savevm.PutSectionStart(f, SavevmCodes.SectionFull, icId, Engine.Source.SourceMigration.InterruptControllerIdstr, 0);
            f.PutBe32(0);
            Savevm.PutFooter(f, icId);
        }

        for (var i = 0; i < devices.Count; i++)
        {
            Savevm.PutSectionStart(f, SavevmCodes.SectionFull, (uint)i + 1, devices[i].Idstr, devices[i].InstanceId);
            if (devices[i].SendLoadReady || kind is "load-ready-twice" or "load-ready-after-iter-off")
            {
                f.PutBe64(VfioMarkers.DevConfigLoadReady);
                if (i == 0 && kind == "load-ready-twice")
                {
                    Note("DEV_CONFIG_LOAD_READY a second time");
                    Savevm.PutFooter(f, (uint)i + 1);
                    Savevm.PutSectionStart(f, SavevmCodes.SectionFull, (uint)i + 1, devices[i].Idstr, devices[i].InstanceId);
                    f.PutBe64(VfioMarkers.DevConfigLoadReady);
                }
            }
            else
            {
                f.PutBe64(VfioMarkers.EndOfState);
            }

            Savevm.PutFooter(f, (uint)i + 1);
        }

        f.Flush();
        if (holdEofUntilRejected)
        {
            rejected.Wait();
        }

        f.PutByte(SavevmCodes.VmEof);
        f.Flush();
        foreach (var c in multifd)
        {
            c.CloseWrite();
        }

        main.CloseWrite();
    }

    private void SendDevice(HostileDevice d)
    {
        var first = d == devices[0];
        var packets = new List<(uint Idx, uint Flags, byte[] Data, uint Version, string Idstr)>();
        uint idx = 0;
        for (var off = 0; off < d.Image.Length; off += d.DataBufferSizeBytes, idx++)
        {
            var n = Math.Min(d.DataBufferSizeBytes, d.Image.Length - off);
            packets.Add((idx, 0, d.Image.AsSpan(off, n).ToArray(), VfioDeviceStatePacket.VersionCurrent, d.Idstr));
        }

        var blob = new QemuFileWriter(null);
        blob.PutBe64(VfioMarkers.DevConfigState);
        blob.PutBe32((uint)d.Config.Length);
        blob.PutBuffer(d.Config);
        blob.PutBe64(VfioMarkers.EndOfState);
        var config = blob.ToArray();
        var last = idx;
        packets.Add((last, VfioDeviceStatePacket.FlagConfigState, config, VfioDeviceStatePacket.VersionCurrent, d.Idstr));

        if (first)
        {
            Deviate(packets, last, config, d);
        }

        foreach (var p in packets)
        {
            var vfio = VfioDeviceStatePacket.Encode(p.Idx, p.Flags, p.Data, ByteOrder.BigEndian, p.Version);
            SendRaw(p.Idstr, d.InstanceId, vfio);
        }
    }

    private void Deviate(List<(uint Idx, uint Flags, byte[] Data, uint Version, string Idstr)> packets, uint last, byte[] config, HostileDevice d)
    {
        var data0 = packets[0].Flags == 0 ? packets[0] : (0u, 0u, new byte[1], VfioDeviceStatePacket.VersionCurrent, d.Idstr);
        switch (kind)
        {
            case "duplicate-idx":
                packets.Add(data0);
                Note("data packet idx 0 twice");
                break;
            case "idx-uint32-max":
                packets.Insert(0, (uint.MaxValue, 0, new byte[8], VfioDeviceStatePacket.VersionCurrent, d.Idstr));
                Note("a packet with idx UINT32_MAX");
                break;
            case "huge-idx":
                packets.Add((last + 1_000_000, 0, new byte[8], VfioDeviceStatePacket.VersionCurrent, d.Idstr));
                Note($"a data packet at idx {last + 1_000_000}");
                break;
            case "max-idx":
                // The largest idx QEMU accepts (UINT32_MAX is refused): load_bufs grows to UINT32_MAX elements.
                packets.Add((uint.MaxValue - 1, 0, new byte[8], VfioDeviceStatePacket.VersionCurrent, d.Idstr));
                Note($"a data packet at idx {uint.MaxValue - 1}");
                break;
            case "after-config-idx":
                packets.Add((last + 1, 0, new byte[8], VfioDeviceStatePacket.VersionCurrent, d.Idstr));
                Note($"a data packet at idx {last + 1}, beyond the config idx {last}");
                break;
            case "second-config":
                // Sent last, at idx 0: it moves load_buf_idx_last to 0 before the duplicate check rejects it.
                packets.Add((0, VfioDeviceStatePacket.FlagConfigState, config, VfioDeviceStatePacket.VersionCurrent, d.Idstr));
                Note($"a second config packet at idx 0 (the config idx is {last})");
                break;
            case "wrong-version":
                packets.Insert(0, (0, 0, data0.Item3, 1, d.Idstr));
                packets.RemoveAt(1);
                Note("a VFIO header with version 1");
                break;
            case "short-packet":
                Note("a device-state payload of 8 bytes (the VFIO header is 12)");
                SendRaw(d.Idstr, d.InstanceId, new byte[8]);
                break;
            case "unknown-idstr":
                packets.Insert(0, (0, 0, data0.Item3, VfioDeviceStatePacket.VersionCurrent, "0000:00:1f.7/vfio"));
                Note("a device-state packet for idstr 0000:00:1f.7/vfio");
                break;
            case "flood":
                var buffer = new byte[d.DataBufferSizeBytes];
                for (uint k = 1; k <= 64; k++)
                {
                    packets.Add((last + k, 0, buffer, VfioDeviceStatePacket.VersionCurrent, d.Idstr));
                }

                Note($"64 data packets of {d.DataBufferSizeBytes} bytes beyond the config idx {last}");
                break;
        }
    }

    private void SendRaw(string idstr, uint instanceId, byte[] vfioPacket, uint? nextPacketSize = null)
    {
        var c = multifd[channel++ % multifd.Count];
        c.Write(MultifdWire.EncodeDeviceStatePacket(idstr, instanceId, vfioPacket, nextPacketSize));
    }

    private void Note(string what) => observer.On(new Observation(Side.Source, "hostile", new HostilePacketSent(kind, what)));
}

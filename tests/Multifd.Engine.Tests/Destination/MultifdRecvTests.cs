using Multifd.Engine.Core;
using Multifd.Engine.Destination;
using Multifd.Engine.Ports;
using Multifd.Engine.Tests.Support;
using Multifd.Engine.Wire;
using Multifd.Simulation;

namespace Multifd.Engine.Tests.Destination;

/// <summary>
/// multifd_recv_thread on one channel, end to end: the bytes are written and the channel closed first, then
/// the recv thread reads them all and ends (at the clean end of stream or at its first error).
/// </summary>
public class MultifdRecvTests
{
    private readonly RecordingObserver observer = new();
    private readonly SimChannel channel = new("multifd0");
    private readonly QemuProcess qemu;
    private readonly VfioLoad load;

    public MultifdRecvTests()
    {
        QemuThread.Adopt("main");
        var p = new MigrationParameters();
        qemu = new QemuProcess(Side.Destination, p.Platform, observer, ProtocolVariant.Correct);
        var device = new DestinationVfioDevice("dev0", new DataFdBehaviour(), new ScriptedChoices(), FaultPlan.None, observer);
        load = new VfioLoad(qemu, p, new VfioDeviceConfig("dev0", 3, 16, new VfioDeviceProperties()), device);
        Assert.Equal(0, load.LoadSetup(out _));
    }

    private void Run(params byte[][] packets)
    {
        foreach (var packet in packets)
        {
            Assert.Equal(0, channel.Write(packet));
        }

        channel.CloseWrite();
        var recv = new MultifdRecv(qemu, [channel], (idstr, instanceId, data) =>
            idstr == "dev0/vfio" && instanceId == 3
                ? load.LoadStateBuffer(data.Span)
                : new LoadError($"Unknown idstr {idstr} or instance id {instanceId} for load state buffer", ErrorKind.Rejected));
        recv.Setup();
        observer.WaitFor<ThreadEnded>(t => t.Name == "recv[ch0]");
        recv.Cleanup();
    }

    private static byte[] Packet(uint idx, uint flags, byte[] data, string idstr = "dev0/vfio", uint instanceId = 3) =>
        MultifdWire.EncodeDeviceStatePacket(idstr, instanceId, VfioDeviceStatePacket.Encode(idx, flags, data));

    [Fact]
    public void PacketsReachTheDeviceBuffers()
    {
        Run(Packet(1, 0, [1, 2]), Packet(0, 0, [3]), Packet(2, 1, LoadBufsHarness.ConfigBlob()));

        Assert.Null(qemu.Error);
        Assert.Equal(new uint[] { 1, 0, 2 }, observer.Events<BufferInserted>().Select(e => e.Idx));
        Assert.Equal(2u, observer.Events<BufferInserted>().Last().LoadBufIdxLast);
        Assert.Single(observer.Events<RecvThreadsJoined>());
    }

    [Fact]
    public void TheRecvBufferIsAllocatedAtNextPacketSizeBeforeAnyCheckAndFreedAfterTheInsert()
    {
        Run(Packet(0, 0, [1, 2]), Packet(1, 0, [3], idstr: "0000:00:1f.7/vfio"));

        var buffers = observer.All.Where(o => o.Event is DeviceStateRecvBuffer or BufferInserted or MigrationErrorSet)
            .Select(o => $"{o.Event.TraceName} {o.Event.Args}").ToList();
        Assert.Equal(
        [
            "model_multifd_device_state_recv dev0/vfio g_malloc 14",
            "model_vfio_load_state_buffer_insert dev0 idx 0 size 2",
            "model_multifd_device_state_recv dev0/vfio g_free 14",
            // allocated for an idstr no device has, before the lookup refuses it
            "model_multifd_device_state_recv 0000:00:1f.7/vfio g_malloc 13",
            "model_multifd_device_state_recv 0000:00:1f.7/vfio g_free 13",
            "migrate_error error=Unknown idstr 0000:00:1f.7/vfio or instance id 3 for load state buffer",
        ], buffers);
        Assert.All(observer.All.Where(o => o.Event is DeviceStateRecvBuffer), o => Assert.Equal("recv[ch0]", o.Thread));
    }

    [Fact]
    public void AHostileNextPacketSizeIsAccountedNotAllocatedAndEndsAtTheChannelsEof()
    {
        var packet = MultifdWire.EncodeDeviceStatePacket("dev0/vfio", 3, VfioDeviceStatePacket.Encode(0, 0, [1]), nextPacketSize: uint.MaxValue);

        Run(packet);

        Assert.Equal(
        [
            new DeviceStateRecvBuffer("dev0/vfio", uint.MaxValue, Freed: false),
            new DeviceStateRecvBuffer("dev0/vfio", uint.MaxValue, Freed: true),
        ], observer.Events<DeviceStateRecvBuffer>());
        Assert.Equal("multifd: unexpected EOF in device state payload", qemu.Error);
        Assert.Empty(observer.Events<BufferIncoming>());
    }

    [Fact]
    public void BadMagicFailsTheMigration()
    {
        var packet = Packet(0, 0, [1]);
        packet[3] = 0x45;

        Run(packet);

        Assert.Equal("multifd: received packet magic 11223345, expected 11223344", qemu.Error);
        Assert.Empty(observer.Events<BufferInserted>());
    }

    [Fact]
    public void BadVersionFailsTheMigration()
    {
        var packet = Packet(0, 0, [1]);
        packet[7] = 0x03;

        Run(packet);

        Assert.Equal("multifd: received packet version 3, expected 1", qemu.Error);
    }

    [Fact]
    public void UnterminatedIdstrFailsTheMigration()
    {
        var packet = Packet(0, 0, [1]);
        packet[12 + 255] = (byte)'z';

        Run(packet);

        Assert.Equal("unterminated multifd device state idstr", qemu.Error);
        Assert.Empty(observer.Events<BufferInserted>());
    }

    [Fact]
    public void EmptyDeviceStatePacketFailsTheMigration()
    {
        Run(MultifdWire.EncodeDeviceStatePacket("dev0/vfio", 3, []));

        Assert.Equal("multifd: received empty device state packet", qemu.Error);
    }

    [Fact]
    public void UnknownIdstrFailsTheMigration()
    {
        Run(Packet(0, 0, [1], idstr: "dev9/vfio"));

        Assert.Equal("Unknown idstr dev9/vfio or instance id 3 for load state buffer", qemu.Error);
    }

    [Fact]
    public void SyncFlagOnDeviceStateFailsAfterThePayloadWasHandedOver()
    {
        var packet = Packet(0, 0, [1]);
        packet[11] = 0x41; // DEVICE_STATE | SYNC

        Run(packet);

        Assert.Equal("multifd: received SYNC device state packet", qemu.Error);
        Assert.Single(observer.Events<BufferInserted>());
    }

    [Fact]
    public void FirstErrorStopsTheThread()
    {
        Run(Packet(0, 0, [1]), Packet(0, 0, [2]), Packet(1, 0, [3]));

        Assert.Equal("dev0: state buffer 0 already filled", qemu.Error);
        Assert.Equal(new uint[] { 0 }, observer.Events<BufferInserted>().Select(e => e.Idx));
    }
}

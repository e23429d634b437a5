using Multifd.Engine.Wire;

namespace Multifd.Engine.Tests.Wire;

/// <summary>
/// MultiFDPacketHdr_t and MultiFDPacketDeviceState_t (PROTOCOL.md §2.1): magic 0x11223344, version 1, flags
/// 0x40, idstr[256] NUL-terminated, instance_id and next_packet_size, all big-endian.
/// </summary>
public class MultifdWireTests
{
    private static readonly byte[] DeviceStateHeader12 =
    [
        0x11, 0x22, 0x33, 0x44, // magic
        0x00, 0x00, 0x00, 0x01, // version 1
        0x00, 0x00, 0x00, 0x40, // flags NOCOMP | DEVICE_STATE
    ];

    [Fact]
    public void DeviceStatePacketIsByteExact()
    {
        var packet = MultifdWire.EncodeDeviceStatePacket("dev0/vfio", 0x01020304, [0xaa, 0xbb, 0xcc]);

        var idstr = new byte[256];
        "dev0/vfio"u8.CopyTo(idstr);
        byte[] expected =
        [
            .. DeviceStateHeader12,
            .. idstr,
            0x01, 0x02, 0x03, 0x04, // instance_id
            0x00, 0x00, 0x00, 0x03, // next_packet_size
            0xaa, 0xbb, 0xcc,       // payload
        ];
        Assert.Equal(279, expected.Length);
        Assert.Equal(expected, packet);
    }

    [Fact]
    public void LongIdstrIsCutTo255BytesAndANul()
    {
        var packet = MultifdWire.EncodeDeviceStatePacket(new string('a', 300), 0, [1]);

        var idField = packet.AsSpan(12, 256).ToArray();
        Assert.Equal(Enumerable.Repeat((byte)'a', 255).Append((byte)0), idField);
        Assert.Equal(new byte[] { 0, 0, 0, 0, 0, 0, 0, 1, 1 }, packet[268..]);
    }

    [Fact]
    public void RamSyncPacketIsByteExact()
    {
        byte[] expected =
        [
            0x11, 0x22, 0x33, 0x44, 0x00, 0x00, 0x00, 0x01,
            0x00, 0x00, 0x00, 0x01, // MULTIFD_FLAG_SYNC
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02, // packet_num 258
        ];
        Assert.Equal(expected, MultifdWire.EncodeRamSyncPacket(258));
    }

    [Fact]
    public void HeaderRoundTrips()
    {
        var packet = MultifdWire.EncodeDeviceStatePacket("dev1/vfio", 7, new byte[70000]);

        Assert.Null(MultifdWire.CheckHeader(packet.AsSpan(0, 12), out var flags));
        Assert.Equal(0x40u, flags);
        Assert.Null(MultifdWire.ParseDeviceStateHeader(packet.AsSpan(12, 264), out var idstr, out var instanceId, out var size));
        Assert.Equal("dev1/vfio", idstr);
        Assert.Equal(7u, instanceId);
        Assert.Equal(70000u, size);
    }

    [Fact]
    public void BadMagicIsRejectedWithQemuText()
    {
        byte[] header = [0x11, 0x22, 0x33, 0x45, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x40];

        Assert.Equal("multifd: received packet magic 11223345, expected 11223344", MultifdWire.CheckHeader(header, out _));
    }

    [Fact]
    public void BadVersionIsRejectedWithQemuText()
    {
        byte[] header = [0x11, 0x22, 0x33, 0x44, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x40];

        Assert.Equal("multifd: received packet version 2, expected 1", MultifdWire.CheckHeader(header, out _));
    }

    [Fact]
    public void MagicIsCheckedBeforeVersion()
    {
        byte[] header = [0xde, 0xad, 0xbe, 0xef, 0x00, 0x00, 0x00, 0x09, 0x00, 0x00, 0x00, 0x40];

        Assert.Equal("multifd: received packet magic deadbeef, expected 11223344", MultifdWire.CheckHeader(header, out _));
    }

    [Fact]
    public void IdstrWithoutAnyNulIsUnterminated()
    {
        var rest = new byte[264];
        rest.AsSpan(0, 256).Fill((byte)'x');

        Assert.Equal("unterminated multifd device state idstr", MultifdWire.ParseDeviceStateHeader(rest, out _, out _, out _));
    }

    [Fact]
    public void IdstrIsTerminatedOnlyByItsLastByte()
    {
        // multifd_device_state_recv checks idstr[255] == 0 and nothing else: an earlier NUL does not count.
        var rest = new byte[264];
        "dev0/vfio"u8.CopyTo(rest);
        rest[255] = (byte)'x';

        Assert.Equal("unterminated multifd device state idstr", MultifdWire.ParseDeviceStateHeader(rest, out _, out _, out _));
    }

    [Fact]
    public void IdstrEndsAtItsFirstNul()
    {
        var rest = new byte[264];
        "dev0/vfio"u8.CopyTo(rest);
        "junk"u8.CopyTo(rest.AsSpan(20)); // after the terminator: ignored, as QEMU's C string would

        Assert.Null(MultifdWire.ParseDeviceStateHeader(rest, out var idstr, out _, out _));
        Assert.Equal("dev0/vfio", idstr);
    }
}

using Multifd.Engine.Ports;
using Multifd.Engine.Wire;

namespace Multifd.Engine.Tests.Wire;

/// <summary>
/// VFIODeviceStatePacket (PROTOCOL.md §2.2), the be64 VFIO markers and the config blob (§2.3), and the
/// MIG_CMD_SWITCHOVER_START command (§2.4).
/// </summary>
public class VfioWireTests
{
    [Fact]
    public void DataPacketHeaderIsBigEndian()
    {
        byte[] expected =
        [
            0x00, 0x00, 0x00, 0x00, // version 0
            0x00, 0x00, 0x01, 0x02, // idx 258
            0x00, 0x00, 0x00, 0x00, // flags
            0x5a, 0xa5,
        ];
        Assert.Equal(expected, VfioDeviceStatePacket.Encode(258, 0, [0x5a, 0xa5]));
    }

    [Fact]
    public void ConfigPacketHasFlagsOne()
    {
        byte[] expected =
        [
            0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x03, // idx 3 = number of data packets
            0x00, 0x00, 0x00, 0x01, // VFIO_DEVICE_STATE_CONFIG_STATE
            0x42,
        ];
        Assert.Equal(expected, VfioDeviceStatePacket.Encode(3, VfioDeviceStatePacket.FlagConfigState, [0x42]));
    }

    [Fact]
    public void HostEndianHeaderOfALittleEndianHostIsByteSwapped()
    {
        byte[] expected =
        [
            0x00, 0x00, 0x00, 0x00,
            0x02, 0x01, 0x00, 0x00, // idx 258, little-endian
            0x01, 0x00, 0x00, 0x00, // flags 1, little-endian
        ];
        Assert.Equal(expected, VfioDeviceStatePacket.Encode(258, 1, [], ByteOrder.LittleEndian));
    }

    [Theory]
    [InlineData(ByteOrder.BigEndian)]
    [InlineData(ByteOrder.LittleEndian)]
    public void HeaderFieldsRoundTrip(ByteOrder order)
    {
        var packet = VfioDeviceStatePacket.Encode(0x00c0ffee, 1, [9, 9], order);

        Assert.Equal(0u, VfioDeviceStatePacket.Get(packet, order));
        Assert.Equal(0x00c0ffeeu, VfioDeviceStatePacket.Get(packet.AsSpan(4), order));
        Assert.Equal(1u, VfioDeviceStatePacket.Get(packet.AsSpan(8), order));
    }

    [Fact]
    public void BigEndianIdxReadAsLittleEndianIsScaledBy2To24()
    {
        var packet = VfioDeviceStatePacket.Encode(1, 1, []);

        Assert.Equal(16777216u, VfioDeviceStatePacket.Get(packet.AsSpan(4), ByteOrder.LittleEndian));
        Assert.Equal(0x01000000u, VfioDeviceStatePacket.Get(packet.AsSpan(8), ByteOrder.LittleEndian));
    }

    [Theory]
    [InlineData(VfioMarkers.EndOfState, new byte[] { 0xff, 0xff, 0xff, 0xff, 0xef, 0x10, 0x00, 0x01 })]
    [InlineData(VfioMarkers.DevConfigState, new byte[] { 0xff, 0xff, 0xff, 0xff, 0xef, 0x10, 0x00, 0x02 })]
    [InlineData(VfioMarkers.DevSetupState, new byte[] { 0xff, 0xff, 0xff, 0xff, 0xef, 0x10, 0x00, 0x03 })]
    [InlineData(VfioMarkers.DevDataState, new byte[] { 0xff, 0xff, 0xff, 0xff, 0xef, 0x10, 0x00, 0x04 })]
    [InlineData(VfioMarkers.DevInitDataSent, new byte[] { 0xff, 0xff, 0xff, 0xff, 0xef, 0x10, 0x00, 0x05 })]
    [InlineData(VfioMarkers.DevConfigLoadReady, new byte[] { 0xff, 0xff, 0xff, 0xff, 0xef, 0x10, 0x00, 0x06 })]
    public void MarkersAreBe64(ulong marker, byte[] expected)
    {
        var f = new QemuFileWriter(null);
        f.PutBe64(marker);
        Assert.Equal(expected, f.ToArray());
    }

    [Fact]
    public void SwitchoverStartCommandIsByteExact()
    {
        var f = new QemuFileWriter(null);
        Savevm.PutCommand(f, SavevmCodes.CmdSwitchoverStart);

        // QEMU_VM_COMMAND, be16 MIG_CMD_SWITCHOVER_START (11), be16 length 0.
        Assert.Equal(new byte[] { 0x08, 0x00, 0x0b, 0x00, 0x00 }, f.ToArray());
    }

    [Fact]
    public void SectionStartHeaderIsByteExactAndRoundTrips()
    {
        var f = new QemuFileWriter(null);
        Savevm.PutSectionStart(f, SavevmCodes.SectionFull, 2, "dev0/vfio", 5);

        byte[] expected =
        [
            0x04,                   // QEMU_VM_SECTION_FULL
            0x00, 0x00, 0x00, 0x02, // section_id
            0x09, .. "dev0/vfio"u8, // idstr length and bytes
            0x00, 0x00, 0x00, 0x05, // instance_id
            0x00, 0x00, 0x00, 0x01, // version_id
        ];
        Assert.Equal(expected, f.ToArray());

        var reader = new QemuFileReader(expected[5..]);
        Assert.Equal(("dev0/vfio", 5u, 1u), Savevm.GetSectionStart(reader));
    }

    [Fact]
    public void ConfigBlobIsMarkerLengthConfigMarker()
    {
        var f = new QemuFileWriter(null);
        VfioConfig.SaveDeviceConfigState(f, new ConfigDevice([0x61, 0x62, 0x63]));

        byte[] expected =
        [
            0xff, 0xff, 0xff, 0xff, 0xef, 0x10, 0x00, 0x02, // DEV_CONFIG_STATE
            0x00, 0x00, 0x00, 0x03,                         // the model's length prefix
            0x61, 0x62, 0x63,
            0xff, 0xff, 0xff, 0xff, 0xef, 0x10, 0x00, 0x01, // END_OF_STATE
        ];
        Assert.Equal(expected, f.ToArray());
    }

    [Fact]
    public void ConfigBlobRoundTripsAfterItsLeadingMarker()
    {
        var device = new ConfigDevice([]);
        var f = new QemuFileReader([0x00, 0x00, 0x00, 0x02, 0x07, 0x08, 0xff, 0xff, 0xff, 0xff, 0xef, 0x10, 0x00, 0x01]);

        Assert.Equal(0, VfioConfig.LoadDeviceConfigState(f, device, out var error));
        Assert.Null(error);
        Assert.Equal(new byte[] { 0x07, 0x08 }, device.Loaded);
    }

    [Fact]
    public void ConfigBlobWithAWrongEndMarkerIsRejected()
    {
        var f = new QemuFileReader([0x00, 0x00, 0x00, 0x01, 0x07, 0xff, 0xff, 0xff, 0xff, 0xef, 0x10, 0x00, 0x04]);

        Assert.Equal(-Errno.EINVAL, VfioConfig.LoadDeviceConfigState(f, new ConfigDevice([]), out var error));
        Assert.Equal("cfg: Failed loading device config space, end flag incorrect 0xffffffffef100004", error);
    }

    [Fact]
    public void ReaderGetsBigEndianAndReportsEndOfStream()
    {
        var f = new QemuFileReader([0x12, 0x34, 0x56, 0x78, 0x9a]);

        Assert.Equal(0x1234, f.GetBe16());
        Assert.Equal(0x56789au, (uint)(f.GetByte() << 16 | f.GetByte() << 8 | f.GetByte()));
        Assert.Equal(0, f.Error);
        Assert.Equal(0u, f.GetBe32());
        Assert.NotEqual(0, f.Error);
        Assert.True(f.AtEof);
    }

    /// <summary>A device that only saves and loads config.</summary>
    private sealed class ConfigDevice(byte[] config) : IVfioDevice
    {
        public byte[]? Loaded { get; private set; }

        public string Name => "cfg";

        public int SetState(VfioDeviceState state) => 0;

        public int Read(Span<byte> buffer) => 0;

        public int Write(ReadOnlySpan<byte> bytes) => bytes.Length;

        public byte[] SaveConfig() => config;

        public int LoadConfig(ReadOnlySpan<byte> loaded)
        {
            Loaded = loaded.ToArray();
            return 0;
        }

        public void CloseDataFd()
        {
        }
    }
}

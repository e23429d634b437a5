using Multifd.Engine.Core;
using Multifd.Engine.Destination;
using Multifd.Engine.Ports;
using Multifd.Engine.Tests.Support;
using Multifd.Engine.Wire;

namespace Multifd.Engine.Tests.Destination;

/// <summary>
/// vfio_multifd_load_state_buffer's checks, in QEMU's order and with QEMU's texts (PROTOCOL.md §3, notes 6.12):
/// too short, unknown version, invalid index, then under the mutex "already filled".
/// </summary>
public class LoadStateBufferTests
{
    [Fact]
    public void PacketShorterThanTheVfioHeaderIsRejected()
    {
        var h = new LoadBufsHarness();

        var error = h.Multifd.LoadStateBuffer(new byte[11]);

        Assert.Equal(new LoadError("dev0: packet too short at 11 (min is 12)", ErrorKind.Rejected), error);
        Assert.Empty(h.Observer.Events<BufferIncoming>());
    }

    [Fact]
    public void HeaderOnlyPacketIsAZeroLengthBuffer()
    {
        var h = new LoadBufsHarness();

        Assert.Null(h.Multifd.LoadStateBuffer(new byte[12]));
        var inserted = Assert.Single(h.Observer.Events<BufferInserted>());
        Assert.Equal((0u, 0, false), (inserted.Idx, inserted.Bytes, inserted.IsConfig));
    }

    [Fact]
    public void UnknownVersionIsRejected()
    {
        var h = new LoadBufsHarness();

        var error = h.Multifd.LoadStateBuffer(VfioDeviceStatePacket.Encode(0, 0, [1], version: 1));

        Assert.Equal("dev0: packet has unknown version 1", error?.Message);
    }

    [Fact]
    public void VersionIsCheckedBeforeTheIndex()
    {
        var h = new LoadBufsHarness();

        var error = h.Multifd.LoadStateBuffer(VfioDeviceStatePacket.Encode(uint.MaxValue, 0, [], version: 2));

        Assert.Equal("dev0: packet has unknown version 2", error?.Message);
    }

    [Fact]
    public void IndexUint32MaxIsInvalid()
    {
        var h = new LoadBufsHarness();

        var error = h.Insert(uint.MaxValue, [1]);

        Assert.Equal(new LoadError("dev0: packet index is invalid", ErrorKind.Rejected), error);
        Assert.Empty(h.Observer.Events<BufferIncoming>());
        Assert.Empty(h.Observer.Events<BufferInserted>());
    }

    [Fact]
    public void DuplicateOfAPresentIndexIsAlreadyFilled()
    {
        var h = new LoadBufsHarness();
        Assert.Null(h.Insert(3, [1, 2]));

        var error = h.Insert(3, [9]);

        Assert.Equal(new LoadError("dev0: state buffer 3 already filled", ErrorKind.Rejected), error);
        Assert.Single(h.Observer.Events<BufferInserted>());
    }

    [Fact]
    public void DuplicateOfAConsumedIndexIsAlreadyFilledNotAnAbort()
    {
        var h = new LoadBufsHarness();
        Assert.Null(h.Insert(0, [1, 2, 3]));
        Assert.Null(h.InsertConfig(1, LoadBufsHarness.ConfigBlob(0x61)));
        Assert.Null(h.RunLoadThread());
        Assert.Equal(new byte[] { 1, 2, 3 }, h.Device.Image);

        // The written buffer keeps is_present (only its data was stolen): "already filled", and the
        // assertion idx >= load_buf_idx is never reached.
        var error = h.Insert(0, [1, 2, 3]);

        Assert.Equal("dev0: state buffer 0 already filled", error?.Message);
        h.AssertNoAbort();
    }

    [Fact]
    public void RecvThreadHoldingTheBqlAborts()
    {
        var h = new LoadBufsHarness();
        h.Qemu.Bql.Lock();

        var abort = Assert.Throws<QemuAbortException>(() => h.Insert(0, [1]));

        Assert.Equal("dev0: load_state_buffer called with the BQL held", abort.Message);
        h.Qemu.Bql.Unlock();
    }

    [Fact]
    public void HostEndianVariantReadsABigEndianHeaderAsLittleEndian()
    {
        // Before cbb2e10526 the header was in host order: a little-endian destination reads the big-endian
        // idx 1 as 1 << 24 and flags 1 as 1 << 24, so the config flag is missed.
        var h = new LoadBufsHarness(variant: ProtocolVariant.HostEndianHeader, platform: Platform.X86_64);

        Assert.Null(h.Insert(1, [7]));
        Assert.Null(h.InsertConfig(2, LoadBufsHarness.ConfigBlob()));

        var inserted = h.Observer.Events<BufferInserted>();
        Assert.Equal(new uint[] { 16777216, 33554432 }, inserted.Select(e => e.Idx));
        Assert.All(inserted, e => Assert.False(e.IsConfig));
        Assert.All(inserted, e => Assert.Equal(uint.MaxValue, e.LoadBufIdxLast));
        Assert.Equal(33554433u, h.Multifd.LoadBufsLength);
    }

    [Fact]
    public void HostEndianVariantSeesAVersionOtherThanZeroScaled()
    {
        var h = new LoadBufsHarness(variant: ProtocolVariant.HostEndianHeader, platform: Platform.X86_64);

        var error = h.Multifd.LoadStateBuffer(VfioDeviceStatePacket.Encode(0, 0, [], version: 1));

        Assert.Equal("dev0: packet has unknown version 16777216", error?.Message);
    }

    [Fact]
    public void HostEndianVariantOnABigEndianHostReadsCorrectly()
    {
        var h = new LoadBufsHarness(variant: ProtocolVariant.HostEndianHeader, platform: Platform.S390x);

        Assert.Null(h.InsertConfig(2, LoadBufsHarness.ConfigBlob()));

        var inserted = Assert.Single(h.Observer.Events<BufferInserted>());
        Assert.Equal((2u, true, 2u), (inserted.Idx, inserted.IsConfig, inserted.LoadBufIdxLast));
    }

    [Fact]
    public void CorrectProtocolReadsTheBigEndianHeaderOnALittleEndianHost()
    {
        var h = new LoadBufsHarness(platform: Platform.X86_64);

        Assert.Null(h.InsertConfig(2, LoadBufsHarness.ConfigBlob()));

        var inserted = Assert.Single(h.Observer.Events<BufferInserted>());
        Assert.Equal((2u, true, 2u), (inserted.Idx, inserted.IsConfig, inserted.LoadBufIdxLast));
    }
}

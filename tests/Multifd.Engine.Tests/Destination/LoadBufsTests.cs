using Multifd.Engine.Destination;
using Multifd.Engine.Ports;
using Multifd.Engine.Tests.Support;

namespace Multifd.Engine.Tests.Destination;

/// <summary>
/// The per-device buffer array (VFIOStateBuffers): grown to idx + 1 on insert, zero-initialised, sparse in the
/// model; and how VfioMultifd fills it (PROTOCOL.md §3).
/// </summary>
public class LoadBufsTests
{
    [Fact]
    public void NewArrayIsEmptyAndElementsReadZeroed()
    {
        var bufs = new LoadBufs();

        Assert.Equal(0u, bufs.Length);
        var lb = bufs.At(5);
        Assert.False(lb.IsPresent);
        Assert.Null(lb.Data);
        Assert.Equal(0, lb.Len);
        Assert.False(bufs.HoldsData(5));
    }

    [Fact]
    public void SetSizeOnlyGrows()
    {
        var bufs = new LoadBufs();

        bufs.SetSize(4);
        bufs.SetSize(2);

        Assert.Equal(4u, bufs.Length);
    }

    [Fact]
    public void HugeSizeGrowsLengthWithoutAllocating()
    {
        var bufs = new LoadBufs();
        var before = GC.GetAllocatedBytesForCurrentThread();

        bufs.SetSize(uint.MaxValue);
        bufs.At(uint.MaxValue - 1).IsPresent = true;

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(uint.MaxValue, bufs.Length);
        // QEMU's GArray would hold 2^32 - 1 elements of 24 bytes (96 GiB); the sparse model holds one.
        Assert.True(allocated < 64 * 1024, $"allocated {allocated} bytes");
    }

    [Fact]
    public void DestroyFreesOnlyBuffersThatStillHoldData()
    {
        var bufs = new LoadBufs();
        bufs.SetSize(3);
        bufs.At(0).IsPresent = true;          // consumed: data stolen by the load thread
        bufs.At(1).IsPresent = true;
        bufs.At(1).Data = [1];
        bufs.At(2).Data = null;               // never arrived

        Assert.True(bufs.HoldsData(1));
        Assert.False(bufs.HoldsData(0));
        Assert.Equal(1, bufs.Destroy());
        Assert.Equal(0u, bufs.Length);
    }

    [Fact]
    public void InsertGrowsTheArrayToIdxPlusOne()
    {
        var h = new LoadBufsHarness();

        Assert.Null(h.Insert(4, [1]));
        Assert.Equal(5u, h.Multifd.LoadBufsLength);
        Assert.Null(h.Insert(2, [1]));
        Assert.Equal(5u, h.Multifd.LoadBufsLength);
        Assert.Null(h.Insert(9, [1]));
        Assert.Equal(10u, h.Multifd.LoadBufsLength);
    }

    [Fact]
    public void HugeIdxGrowsLengthWithoutAllocating()
    {
        var h = new LoadBufsHarness();
        var before = GC.GetAllocatedBytesForCurrentThread();

        Assert.Null(h.Insert(uint.MaxValue - 1, [1]));

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(uint.MaxValue, h.Multifd.LoadBufsLength);
        Assert.True(allocated < 1024 * 1024, $"allocated {allocated} bytes");
    }

    [Fact]
    public void OutOfOrderInsertsAreWrittenInIndexOrder()
    {
        var h = new LoadBufsHarness();
        var d0 = LoadBufsHarness.Bytes(3, 0x00);
        var d1 = LoadBufsHarness.Bytes(4, 0x10);
        var d2 = LoadBufsHarness.Bytes(2, 0x20);

        Assert.Null(h.Insert(2, d2));
        Assert.Null(h.InsertConfig(3, LoadBufsHarness.ConfigBlob(0x63)));
        Assert.Null(h.Insert(0, d0));
        Assert.Null(h.Insert(1, d1));
        Assert.Null(h.RunLoadThread());

        Assert.Equal(new uint[] { 0, 1, 2 }, h.Observer.Events<BufferLoaded>().Select(e => e.Idx));
        Assert.Equal(d0.Concat(d1).Concat(d2), h.Device.Image);
        Assert.Equal(new byte[] { 0x63 }, h.Device.LoadedConfig);
        Assert.Equal(1, h.Device.ConfigLoads);
        h.AssertNoAbort();
    }

    [Fact]
    public void ConfigFlagSetsLoadBufIdxLastBeforeTheDuplicateCheck()
    {
        var h = new LoadBufsHarness();
        Assert.Null(h.Insert(2, [1]));

        var error = h.InsertConfig(2, LoadBufsHarness.ConfigBlob());
        Assert.Equal("dev0: state buffer 2 already filled", error?.Message);

        // The refused config packet still moved load_buf_idx_last (QEMU sets it before the insert checks).
        Assert.Null(h.Insert(0, [1]));
        Assert.Equal(2u, h.Observer.Events<BufferInserted>().Last().LoadBufIdxLast);
    }

    [Fact]
    public void InsertRefusedByTheLimitHasAlreadyGrownTheArray()
    {
        var h = new LoadBufsHarness(new VfioDeviceProperties(MaxQueuedBuffersSizeBytes: 4));

        var error = h.Insert(7, [1, 2, 3, 4, 5]);

        Assert.Equal(ErrorKind.QueueLimit, error?.Kind);
        Assert.Empty(h.Observer.Events<BufferInserted>());
        Assert.Equal(8u, h.Multifd.LoadBufsLength);
    }

    [Fact]
    public void LaterConfigPacketMovesLoadBufIdxLast()
    {
        var h = new LoadBufsHarness();

        Assert.Null(h.InsertConfig(5, LoadBufsHarness.ConfigBlob()));
        Assert.Null(h.InsertConfig(3, LoadBufsHarness.ConfigBlob()));

        Assert.Equal(new uint[] { 5, 3 }, h.Observer.Events<BufferInserted>().Select(e => e.LoadBufIdxLast));
    }
}

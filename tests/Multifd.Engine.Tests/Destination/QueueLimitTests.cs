using Multifd.Engine.Ports;
using Multifd.Engine.Tests.Support;

namespace Multifd.Engine.Tests.Destination;

/// <summary>
/// The two queue limits, counted exactly as PROTOCOL.md §4 says, observed through the counters that
/// BufferInserted, BufferChunkWritten and BufferLoaded carry.
/// Size (x-migration-max-queued-buffers-size, 10.1): + data length on insert (config included), not rolled
/// back on the error, - each write() chunk, never - for the config or buffers beyond it.
/// Count (x-migration-max-queued-buffers, proposed in the reviewed series v2..v6, dc15bcb035, not merged): off
/// unless a test sets it; then + 1 per insert (config included), not rolled back, - 1 after each data buffer's
/// whole write (zero-length ones too).
/// </summary>
public class QueueLimitTests
{
    private static readonly byte[] Config = LoadBufsHarness.ConfigBlob(0x61, 0x62, 0x63); // 8 + 4 + 3 + 8 = 23 bytes

    [Fact]
    public void SizeCounterRisesByDataLengthOnInsertConfigIncluded()
    {
        var h = new LoadBufsHarness();

        Assert.Null(h.Insert(1, new byte[6]));
        Assert.Null(h.InsertConfig(2, Config));
        Assert.Null(h.Insert(0, new byte[10]));

        var inserted = h.Observer.Events<BufferInserted>();
        Assert.Equal(new ulong[] { 6, 29, 39 }, inserted.Select(e => e.QueuedBytes));
    }

    [Fact]
    public void CountLimitIsOffUnlessAsked()
    {
        // QEMU as merged: the device has only the size limit; nothing counts buffers, nothing refuses by count.
        Assert.Null(new VfioDeviceProperties().MaxQueuedBuffers);
        var h = new LoadBufsHarness();
        for (uint idx = 0; idx < 300; idx++)
        {
            Assert.Null(h.Insert(idx, [1]));
        }

        Assert.Empty(h.Observer.Events<QueueLimitExceeded>());
        Assert.All(h.Observer.Events<BufferInserted>(), e => Assert.Equal(0ul, e.QueuedCount));
        Assert.Equal(300ul, h.Observer.Events<BufferInserted>().Last().QueuedBytes);

        // Asked for: the series' counter and its check are on.
        var on = new LoadBufsHarness(new VfioDeviceProperties(MaxQueuedBuffers: 2));
        Assert.Null(on.Insert(0, [1]));
        Assert.Null(on.Insert(1, [1]));
        Assert.Equal("dev0: queuing state buffer 2 would exceed the max of 2", on.Insert(2, [1])?.Message);
        Assert.Equal(new ulong[] { 1, 2 }, on.Observer.Events<BufferInserted>().Select(e => e.QueuedCount));
    }

    [Fact]
    public void SizeCounterFallsByEveryWrittenChunkIncludingPartialWrites()
    {
        // idx 0 (10 bytes) is written as 3 + 7; idx 1 (6 bytes) in one write.
        var h = new LoadBufsHarness(partialWrites: [3]);
        var d0 = LoadBufsHarness.Bytes(10, 0x00);
        var d1 = LoadBufsHarness.Bytes(6, 0x40);
        Assert.Null(h.Insert(1, d1));
        Assert.Null(h.InsertConfig(2, Config));
        Assert.Null(h.Insert(0, d0));

        Assert.Null(h.RunLoadThread());

        var chunks = h.Observer.Events<BufferChunkWritten>();
        Assert.Equal(
            new (uint, int, int, ulong)[] { (0, 10, 3, 36), (0, 7, 7, 29), (1, 6, 6, 23) },
            chunks.Select(c => (c.Idx, c.Requested, c.Ret, c.QueuedBytes)));
        var loaded = h.Observer.Events<BufferLoaded>();
        Assert.Equal(new (uint, ulong)[] { (0, 29), (1, 23) }, loaded.Select(l => (l.Idx, l.QueuedBytes)));
        Assert.Equal(0, h.Choices.Remaining);
        Assert.Equal(d0.Concat(d1), h.Device.Image);
        Assert.Equal(new byte[] { 0x61, 0x62, 0x63 }, h.Device.LoadedConfig);
        h.AssertNoAbort();
    }

    [Fact]
    public void SizeLimitRefusesWithQemuTextAndKeepsTheIncrement()
    {
        var h = new LoadBufsHarness(new VfioDeviceProperties(MaxQueuedBuffersSizeBytes: 20));
        Assert.Null(h.Insert(0, new byte[10]));
        Assert.Null(h.Insert(1, new byte[6]));

        var error = h.InsertConfig(2, Config);

        Assert.Equal(new Engine.Destination.LoadError("dev0: queuing state buffer 2 would exceed the size max of 20", ErrorKind.QueueLimit), error);
        // Not rolled back: 39 stays, so even one more byte (17 without the refused 23) is refused.
        var again = h.Insert(3, new byte[1]);
        Assert.Equal("dev0: queuing state buffer 3 would exceed the size max of 20", again?.Message);
        var limits = h.Observer.Events<QueueLimitExceeded>();
        Assert.Equal(new (string, ulong, ulong)[] { ("size", 39, 20), ("size", 40, 20) }, limits.Select(l => (l.Limit, l.Counter, l.Max)));
        Assert.Equal(2, h.Observer.Events<BufferInserted>().Count);
    }

    [Fact]
    public void SizeLimitAllowsExactlyTheMaximum()
    {
        var h = new LoadBufsHarness(new VfioDeviceProperties(MaxQueuedBuffersSizeBytes: 16));

        Assert.Null(h.Insert(0, new byte[10]));
        Assert.Null(h.Insert(1, new byte[6]));
        Assert.NotNull(h.Insert(2, new byte[1]));
    }

    [Fact]
    public void ConfigAndBuffersBeyondItAreNeverDecremented()
    {
        var h = new LoadBufsHarness(new VfioDeviceProperties(MaxQueuedBuffers: 100));
        Assert.Null(h.InsertConfig(1, Config));       // 23
        Assert.Null(h.Insert(0, new byte[4]));        // 27
        Assert.Null(h.Insert(5, new byte[7]));        // 34, beyond load_buf_idx_last

        Assert.Null(h.RunLoadThread());

        var loaded = Assert.Single(h.Observer.Events<BufferLoaded>());
        Assert.Equal((0u, 30ul, 2ul), (loaded.Idx, loaded.QueuedBytes, loaded.QueuedCount));
        Assert.Single(h.Observer.Events<BufferChunkWritten>());
        Assert.Equal(1, h.Device.ConfigLoads);

        // After the thread is gone the counters still hold the config and idx 5: 30 + 2 bytes, 2 + 1 buffers.
        Assert.Null(h.Insert(6, new byte[2]));
        var last = h.Observer.Events<BufferInserted>().Last();
        Assert.Equal((32ul, 3ul), (last.QueuedBytes, last.QueuedCount));
    }

    [Fact]
    public void CountLimitRefusesWithQemuTextAndKeepsTheIncrement()
    {
        var h = new LoadBufsHarness(new VfioDeviceProperties(MaxQueuedBuffers: 2));
        Assert.Null(h.Insert(0, [1]));
        Assert.Null(h.Insert(1, [2]));

        var error = h.InsertConfig(2, Config);

        Assert.Equal(new Engine.Destination.LoadError("dev0: queuing state buffer 2 would exceed the max of 2", ErrorKind.QueueLimit), error);
        Assert.Equal("dev0: queuing state buffer 3 would exceed the max of 2", h.Insert(3, [])?.Message);
        var limits = h.Observer.Events<QueueLimitExceeded>();
        Assert.Equal(new (string, ulong, ulong)[] { ("count", 3, 2), ("count", 4, 2) }, limits.Select(l => (l.Limit, l.Counter, l.Max)));
    }

    [Fact]
    public void CountFallsOnlyAfterAWholeDataBufferIsWrittenZeroLengthIncluded()
    {
        // idx 0 (5 bytes) is written as 2 + 3; idx 1 is empty; the config stays counted.
        var h = new LoadBufsHarness(new VfioDeviceProperties(MaxQueuedBuffers: 100), partialWrites: [2]);
        Assert.Null(h.Insert(0, LoadBufsHarness.Bytes(5, 1)));
        Assert.Null(h.Insert(1, []));
        Assert.Null(h.InsertConfig(2, Config));

        Assert.Null(h.RunLoadThread());

        var chunks = h.Observer.Events<BufferChunkWritten>();
        Assert.Equal(new (uint, int, ulong)[] { (0, 2, 3), (0, 3, 3) }, chunks.Select(c => (c.Idx, c.Ret, c.QueuedCount)));
        var loaded = h.Observer.Events<BufferLoaded>();
        Assert.Equal(new (uint, int, ulong)[] { (0, 5, 2), (1, 0, 1) }, loaded.Select(l => (l.Idx, l.Bytes, l.QueuedCount)));
        h.AssertNoAbort();
    }

    [Fact]
    public void AWrittenBufferMakesRoomUnderTheCountLimit()
    {
        var h = new LoadBufsHarness(new VfioDeviceProperties(MaxQueuedBuffers: 2));
        Assert.Null(h.Insert(0, [1]));
        Assert.Null(h.InsertConfig(1, Config));
        Assert.NotNull(h.Insert(2, [1]));             // 3 > 2 (and the count stays at 3)

        var h2 = new LoadBufsHarness(new VfioDeviceProperties(MaxQueuedBuffers: 2));
        Assert.Null(h2.Insert(0, [1]));
        Assert.Null(h2.InsertConfig(1, Config));
        Assert.Null(h2.RunLoadThread());
        Assert.Null(h2.Insert(2, [1]));               // idx 0 was written: 1 + 1 = 2 <= 2
        Assert.Equal(2ul, h2.Observer.Events<BufferInserted>().Last().QueuedCount);
    }

    [Fact]
    public void TheArrayGrowsToIdxPlusOneBeforeTheSizeLimitIsChecked()
    {
        // An 8-byte packet at a huge idx against a 4-byte limit: refused, but load_bufs already grew to idx + 1
        // zero-filled elements (g_array_set_size in vfio_load_state_buffer_insert), which the limit does not count.
        var h = new LoadBufsHarness(new VfioDeviceProperties(MaxQueuedBuffersSizeBytes: 4));

        var error = h.Insert(uint.MaxValue - 1, new byte[8]);

        Assert.Equal(ErrorKind.QueueLimit, error?.Kind);
        var grown = Assert.Single(h.Observer.Events<StateBuffersSizeSet>());
        Assert.Equal((0u, uint.MaxValue, 103_079_215_080ul), (grown.OldLen, grown.NewLen, grown.Bytes));
        Assert.Equal(uint.MaxValue, h.Multifd.LoadBufsLength);
    }

    [Fact]
    public void IdxUint32MaxIsRefusedBeforeTheArrayGrows()
    {
        foreach (var limit in new[] { 4ul, ulong.MaxValue })
        {
            var h = new LoadBufsHarness(new VfioDeviceProperties(MaxQueuedBuffersSizeBytes: limit));
            Assert.Equal("dev0: packet index is invalid", h.Insert(uint.MaxValue, new byte[8])?.Message);
            Assert.Empty(h.Observer.Events<StateBuffersSizeSet>());
            Assert.Equal(0u, h.Multifd.LoadBufsLength);
        }
    }

    [Fact]
    public void TheArrayGrowsOnlyForAnIdxBeyondItsEnd()
    {
        var h = new LoadBufsHarness();
        Assert.Null(h.Insert(2, [1]));
        Assert.Null(h.Insert(0, [1]));
        Assert.Null(h.Insert(3, [1]));
        Assert.Equal(new (uint, uint)[] { (0, 3), (3, 4) }, h.Observer.Events<StateBuffersSizeSet>().Select(e => (e.OldLen, e.NewLen)));
    }
}

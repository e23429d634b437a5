using Multifd.Engine.Core;
using Multifd.Engine.Destination;
using Multifd.Engine.Ports;
using Multifd.Engine.Tests.Support;
using Multifd.Engine.Wire;
using Multifd.Simulation;

namespace Multifd.Engine.Tests.Wire;

/// <summary>qemu_file_get_to_fd: writes what the QEMUFile buffer holds, refilling it between writes.</summary>
public class QemuFileGetToFdTests
{
    /// <summary>Records the channel reads among the writes.</summary>
    private sealed class RecordingChannel(SimChannel inner, List<string> log) : IMigrationChannel
    {
        public string Name => inner.Name;
        public int Write(ReadOnlySpan<byte> bytes) => inner.Write(bytes);
        public int WriteZeroCopy(byte[] buffer) => inner.WriteZeroCopy(buffer);

        public int Read(Span<byte> buffer)
        {
            var n = inner.Read(buffer);
            log.Add($"read {n}");
            return n;
        }

        public int ReadNonBlocking(Span<byte> buffer) => inner.ReadNonBlocking(buffer);
        public void CloseWrite() => inner.CloseWrite();
        public void Shutdown() => inner.Shutdown();
    }

    private static (QemuFileReader Reader, List<string> Log) Stream(int bytes, int bufferSize)
    {
        var channel = new SimChannel("main");
        Assert.Equal(0, channel.Write(Enumerable.Range(0, bytes).Select(i => (byte)i).ToArray()));
        channel.CloseWrite();
        var log = new List<string>();
        return (new QemuFileReader(new RecordingChannel(channel, log), bufferSize), log);
    }

    [Fact]
    public void APooledBufferReadsWhatAnOwnedOneReadsAndNothingAfterDispose()
    {
        // 32 KiB (QEMU's IO_BUF_SIZE) is rented from the pool; the channel is read no further than the size asked for
        var (pooled, pooledLog) = Stream(40_000, 32768);
        var (owned, ownedLog) = Stream(40_000, QemuFileReader.PooledFromBytes - 1);
        var a = new byte[40_000];
        var b = new byte[40_000];
        Assert.Equal(1, pooled.ReadAllEof(a));
        Assert.Equal(1, owned.ReadAllEof(b));
        Assert.Equal(b, a);
        Assert.Equal(["read 32768", "read 7232"], pooledLog);
        Assert.Equal(10, ownedLog.Count); // 9 x 4095 + 3145

        pooled.Dispose();
        pooled.Dispose(); // returned once
        Assert.Equal(0, pooled.GetByte());
        Assert.NotEqual(0, pooled.Error);
    }

    [Fact]
    public void WritesAndRefillsInterleave()
    {
        var (reader, log) = Stream(80, 32);
        var written = new List<byte>();

        var ret = reader.GetToFd(b =>
        {
            log.Add($"write {b.Length}");
            written.AddRange(b.ToArray());
            return b.Length;
        }, 80);

        Assert.Equal(0, ret);
        Assert.Equal(["read 32", "write 32", "read 32", "write 32", "read 16", "write 16"], log);
        Assert.Equal(Enumerable.Range(0, 80).Select(i => (byte)i), written);
    }

    [Fact]
    public void PartialWritesContinueFromTheBuffer()
    {
        var (reader, log) = Stream(40, 32);

        var ret = reader.GetToFd(b =>
        {
            var n = Math.Min(b.Length, 20);
            log.Add($"write {n} of {b.Length}");
            return n;
        }, 40);

        Assert.Equal(0, ret);
        Assert.Equal(["read 32", "write 20 of 32", "write 12 of 12", "read 8", "write 8 of 8"], log);
    }

    [Fact]
    public void EndOfStreamIsAnError()
    {
        var (reader, _) = Stream(10, 32);

        Assert.Equal(-Errno.EIO, reader.GetToFd(b => b.Length, 20));
        Assert.Equal(-Errno.EIO, reader.Error);
    }

    [Fact]
    public void AWriteErrorIsReturnedAndLeavesTheFileUsable()
    {
        var (reader, _) = Stream(10, 32);

        Assert.Equal(-Errno.ENOMEM, reader.GetToFd(_ => -Errno.ENOMEM, 10));
        Assert.Equal(0, reader.Error);
    }

    /// <summary>
    /// vfio_load_buffer on the destination's main channel: a 64-byte DEV_DATA_STATE chunk reaches data_fd in writes of
    /// what each 32-byte refill brought (the chunk's header shares the first refill).
    /// </summary>
    [Fact]
    public void MainChannelDeviceDataReachesTheDeviceInRefillSizedWrites()
    {
        QemuThread.Adopt("main");
        var observer = new RecordingObserver();
        var p = new MigrationParameters();
        var qemu = new QemuProcess(Side.Destination, p.Platform, observer, ProtocolVariant.Correct);
        var device = new DestinationVfioDevice("dev0", new DataFdBehaviour(), new ScriptedChoices(), FaultPlan.None, observer);
        var load = new VfioLoad(qemu, p, new VfioDeviceConfig("dev0", 0, 64, new VfioDeviceProperties(MultifdTransfer: OnOffAuto.Off)), device);
        Assert.Equal(0, load.LoadSetup(out _));
        var f = new QemuFileWriter(null);
        f.PutBe64(VfioMarkers.DevDataState);
        f.PutBe64(64);
        f.PutBuffer(new byte[64]);
        f.PutBe64(VfioMarkers.EndOfState);
        var channel = new SimChannel("main");
        Assert.Equal(0, channel.Write(f.ToArray()));
        channel.CloseWrite();

        Assert.Equal(0, load.LoadState(new QemuFileReader(channel, DestinationMigration.MainIoBufBytes), out var error));

        Assert.Null(error);
        Assert.Equal([16, 32, 16], observer.Events<DeviceWrite>().Select(w => w.Requested));
        Assert.Equal(new LoadStateDeviceData("dev0", 64, 0), observer.Events<LoadStateDeviceData>().Single());
    }
}

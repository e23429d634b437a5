using Multifd.Engine.Core;
using Multifd.Engine.Ports;
using Multifd.Engine.Source;
using Multifd.Engine.Tests.Support;
using Multifd.Engine.Wire;
using Multifd.Simulation;

namespace Multifd.Engine.Tests.Source;

/// <summary>
/// multifd_send_thread, multifd_send_sync_main and multifd_send_shutdown as QEMU merged them, on real threads. The
/// channels hold their writes until the test lets them go, so each interleaving here is forced, not hoped for.
/// </summary>
public class MultifdSendTests
{
    private readonly RecordingObserver observer = new();
    private readonly QemuProcess qemu;

    public MultifdSendTests()
    {
        QemuThread.Adopt("mig");
        qemu = new QemuProcess(Side.Source, Platform.X86_64, observer, ProtocolVariant.Correct);
    }

    private MultifdSend NewSend(bool drain, params IMigrationChannel[] channels) =>
        new(qemu, new MigrationParameters(MultifdChannels: channels.Length), new ModelAssumptions(SendThreadsDrainBeforeShutdown: drain), channels);

    private static MultifdSendData Job(uint idx) => new DeviceStatePayload("dev0/vfio", 0, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7], "dev0", idx, false);

    private static byte[] ReadAll(SimChannel channel)
    {
        var bytes = new List<byte>();
        var buffer = new byte[4096];
        int n;
        while ((n = channel.Read(buffer)) > 0)
        {
            bytes.AddRange(buffer.AsSpan(0, n).ToArray());
        }

        return [.. bytes];
    }

    /// <summary>
    /// Channel 0's thread is writing a SYNC packet when a job is handed to it (pending_job was false), and channel 1's
    /// thread fails meanwhile (exiting). Woken for the job, channel 0's thread checks multifd_send_should_exit() first
    /// and leaves: the job is never written.
    /// </summary>
    [Fact]
    public void SendThreadWokenWithAJobWhileExitingLeavesWithoutWritingIt()
    {
        var (inner0, sent) = RunJobDuringSyncThenFailOtherChannel(drain: false);

        Assert.Equal(MultifdWire.RamPacketSize, ReadAll(inner0).Length); // the SYNC only
        Assert.Empty(sent);
        Assert.Equal("multifd_send_1: write of SYNC packet failed: 32", qemu.Error);
    }

    /// <summary>The same interleaving with the model assumption SendThreadsDrainBeforeShutdown: the job is written.</summary>
    [Fact]
    public void WithTheDrainAssumptionTheJobIsWrittenFirst()
    {
        var (inner0, sent) = RunJobDuringSyncThenFailOtherChannel(drain: true);

        Assert.Equal(MultifdWire.RamPacketSize + MultifdWire.DeviceStateHeaderSize + 13, ReadAll(inner0).Length);
        Assert.Equal([(0, 5u)], sent);
    }

    private (SimChannel Inner0, List<(int Channel, uint Idx)> Sent) RunJobDuringSyncThenFailOtherChannel(bool drain)
    {
        var inner0 = new SimChannel("multifd0");
        var ch0 = new GatedChannel(inner0);
        var ch1 = new GatedChannel(new SimChannel("multifd1"));
        var send = NewSend(drain, ch0, ch1);
        send.Setup();
        var sync = QemuThread.Create("sync", _ => send.SyncMain(MultifdSyncReq.All));
        // Both threads are in their SYNC write (pending_sync set, pending_job false); sync_main waits for channel 0.
        observer.WaitFor<MultifdSendFill>(e => e.Id == 0);
        observer.WaitFor<MultifdSendFill>(e => e.Id == 1);

        MultifdSendData? job = Job(5);
        Assert.True(send.Send(ref job)); // round-robin from channel 0, whose pending_job is false
        ch1.Release(-Errno.EPIPE);       // channel 1 fails: multifd_send_error_propagate sets exiting
        observer.WaitFor<MigrationErrorSet>(_ => true);
        ch0.Release();                   // the SYNC goes out; the thread wakes for the job with exiting set
        if (drain)
        {
            ch0.Release();
        }

        sync.Join();
        send.Shutdown();
        return (inner0, observer.Events<PacketSent>().Select(e => (e.Channel, e.Idx)).ToList());
    }

    /// <summary>
    /// multifd_send_terminate_threads shuts each channel down before it joins the thread: the peer sees the end of the
    /// stream while the thread is still blocked in its write, and that write then fails.
    /// </summary>
    [Fact]
    public void ShutdownShutsEachChannelDownBeforeJoiningItsThread()
    {
        var inner = new SimChannel("multifd0");
        var ch0 = new GatedChannel(inner);
        var send = NewSend(false, ch0);
        send.Setup();
        MultifdSendData? job = Job(0);
        Assert.True(send.Send(ref job));
        observer.WaitFor<ThreadStarted>(e => e.Name == "send[ch0]");

        var shutdown = QemuThread.Create("cleanup", _ => send.Shutdown());
        observer.WaitFor<ThreadJoin>(e => e.Thread == "send[ch0]");
        Assert.Equal(0, inner.Read(new byte[16])); // end of stream, though the job's write has not finished
        ch0.Release();
        shutdown.Join();

        Assert.Empty(observer.Events<PacketSent>());
        Assert.Single(observer.Events<MultifdSendTerminateThreads>());
    }

    /// <summary>
    /// multifd_send_sync_main returns 0 when a channel fails after its last multifd_send_should_exit() check (it is
    /// woken by multifd_send_kick_main); the failure is in exiting and the migration error.
    /// </summary>
    [Fact]
    public void SyncMainReturnsZeroWhenAChannelFailsAfterItsLastExitCheck()
    {
        var ch1 = new GatedChannel(new SimChannel("multifd1"));
        var send = NewSend(false, new SimChannel("multifd0"), ch1);
        send.Setup();
        var ret = 1;
        var sync = QemuThread.Create("sync", _ => ret = send.SyncMain(MultifdSyncReq.All));
        observer.WaitFor<SemWait>(e => e.Semaphore == "send[ch1].sem_sync"); // past the last exiting check
        ch1.Release(-Errno.EPIPE);
        sync.Join();

        Assert.Equal(0, ret);
        Assert.True(send.ShouldExit);
        Assert.Equal("multifd_send_1: write of SYNC packet failed: 32", qemu.Error);
        Assert.Single(observer.Events<MultifdSendSyncMain>());
        send.Shutdown();
    }

    /// <summary>A RAM job goes out as a RAM packet (flags 0), traced as multifd_send_fill like a SYNC.</summary>
    [Fact]
    public void RamJobIsARamPacketOnItsChannel()
    {
        var inner = new SimChannel("multifd0");
        var send = NewSend(false, inner);
        send.Setup();
        MultifdSendData? job = new RamPayload();
        Assert.True(send.Send(ref job));
        Assert.Null(job);
        Assert.Equal(0, send.SyncMain(MultifdSyncReq.All));
        send.Shutdown();

        var bytes = ReadAll(inner);
        Assert.Equal(2 * MultifdWire.RamPacketSize, bytes.Length);
        Assert.Null(MultifdWire.CheckHeader(bytes, out var flags));
        Assert.Equal(0u, flags);
        Assert.Null(MultifdWire.CheckHeader(bytes.AsSpan(MultifdWire.RamPacketSize), out var syncFlags));
        Assert.Equal(MultifdWire.FlagSync, syncFlags);
        Assert.Equal([(0ul, 0u), (1ul, MultifdWire.FlagSync)], observer.Events<MultifdSendFill>().Select(e => (e.PacketNum, e.Flags)));
    }
}

using System.Collections.Immutable;
using Multifd.Engine.Ports;
using Multifd.Engine.Tracing;
using Multifd.Engine.Wire;
using Multifd.Simulation;

namespace Multifd.Engine.Tests.Tracing;

/// <summary>
/// The engine speaks QEMU's trace vocabulary: an event with a QEMU counterpart prints QEMU's name and its arguments in
/// QEMU's format; every other event has a model_ or sim_ name that cannot be taken for QEMU's.
/// </summary>
public class QemuTraceEventsTests
{
    /// <summary>One instance of every event type the engine and the simulation emit.</summary>
    public static readonly IReadOnlyList<MigrationEvent> Samples =
    [
        new ThreadStarted("load[dev0]"), new ThreadEnded("load[dev0]", false), new QemuAborted("x"),
        new MutexLocked("load_bufs_mutex", "dev0", ImmutableArray<string>.Empty),
        new MigrationErrorSet("dev0: state buffer 1 already filled", ErrorKind.Rejected), new ErrorReported("x", ErrorKind.Other),
        new SaveSetup("dev0", true, 1048576, true), new MigrationThreadSetupComplete(), new SwitchoverStartSent(),
        new SaveThreadStart("0000:65:00.0", "0000:00:02.0/vfio", 0), new SaveThreadEnd("dev0", true), new DeviceConfigSaved("dev0"),
        new DeviceStateQueued("dev0", 0, 0, 64), new PacketSent(0, "dev0", 0, false, false),
        new MainMarkerSent("dev0", VfioMarkers.DevDataState, 64), new MainMarkerSent("dev0", VfioMarkers.DevConfigState, 0),
        new MainMarkerSent("dev0", VfioMarkers.DevConfigLoadReady, 0),
        new ThreadsAbortSet(true), new SaveThreadsJoined(true), new SendThreadStart(1), new SendThreadEnd(1, 2), new SendChannelError(1, "x"),
        new Checkpoint("src-downtime-start"), new SourceFinished(true),
        new LoadSetup("dev0", true, true), new LoadStateMarker("dev0", VfioMarkers.DevConfigLoadReady), new LoadStateDeviceData("dev0", 64, 0),
        new SwitchoverStartReceived(), new RecvSyncMain(true, 7), new LoadThreadSubmitted("load[dev0]"), new BufferIncoming("dev0", 3),
        new BufferInserted("dev0", 3, 64, false, 0, uint.MaxValue, 1, 64), new QueueLimitExceeded("dev0", 3, "size", 200, 150, 64),
        new LoadBufsThreadStart("dev0"), new LoadBufsThreadEnd("dev0", false), new LoadBuffersStart("dev0"), new LoadBuffersEnd("dev0"),
        new BufferStarved("dev0", 2), new BufferLoadStart("dev0", 2), new BufferChunkWritten("dev0", 2, 64, 32, 1, 32),
        new BufferLoadEnd("dev0", 2), new BufferLoaded("dev0", 2, 64, 4, 0, 0), new IterDoneWait("dev0"), new ConfigLoadReady("dev0", false),
        new ConfigLoadStart("dev0", 4, true, true), new ConfigLoadEnd("dev0", 0), new InterruptControllerLoaded("arm_gicv3"),
        new SectionStartFull(1, "dev0/vfio", 0, 1), new LoadvmStateCleanup(true), new LoadThreadsAbortSet(), new LoadThreadsWait(true),
        new LoadStatePostMain(-22), new IncomingMigrationCoEnd(-22), new VmStarted(), new RecvThreadStart(0), new RecvThreadEnd(0, 5),
        new RecvTerminateThreads(true), new RecvThreadsJoined(), new LoadBufsThreadCleanedUp("dev0", true), new VfioMultifdFreed("dev0", 0, false),
        new DataFdClosed("dev0"), new VfioLoadCleanup("dev0"), new DestinationFinished(true, true),
        new DeviceWrite("dev0", 0, 64, 64), new DeviceConfigLoaded("dev0", 16), new FaultInjected("x", "y"),
        new CondWait("c", null), new SemWait("s"), new ThreadJoin("t"), new HostilePacketSent("flood", "x"),
        new MultifdSendFill(1, 5, 0x1, 0), new MultifdSendSyncMain(6), new MultifdSendTerminateThreads(), new MigrationCancel(),
        new MigrateSetState(Engine.Core.MigrationStatus.Cancelling), new MultifdRecvUnfill(0, 5, 0x1, 0),
        new StateBuffersSizeSet("dev0", 4, 5), new DeviceStateRecvBuffer("dev0/vfio", 64, Freed: false),
    ];

    [Fact]
    public void EveryEventTypeHasASample()
    {
        var types = typeof(MigrationEvent).Assembly.GetTypes().Concat(typeof(HostilePacketSent).Assembly.GetTypes())
            .Where(t => t.IsSubclassOf(typeof(MigrationEvent)) && !t.IsAbstract).ToList();
        var sampled = Samples.Select(s => s.GetType()).ToHashSet();
        Assert.All(types, t => Assert.Contains(t, sampled));
    }

    [Fact]
    public void QemuEventsPrintQemusFormatAndOthersAreMarkedModelOrSim()
    {
        foreach (var e in Samples)
        {
            if (QemuTraceEvents.Find(e.TraceName) is { } qemu)
            {
                var values = qemu.Format.Parse(e.Args);
                Assert.True(values is not null, $"{e.GetType().Name}: \"{e.Args}\" is not {e.TraceName}'s format \"{qemu.Fmt}\"");
                Assert.Equal(qemu.Args.Count, values.Length);
                Assert.True(e.IsQemuEvent);
            }
            else
            {
                Assert.True(e.TraceName.StartsWith("model_", StringComparison.Ordinal) || e.TraceName.StartsWith("sim_", StringComparison.Ordinal),
                    $"{e.GetType().Name}: {e.TraceName} is neither QEMU's nor marked model_ or sim_");
                Assert.False(QemuTraceEvents.IsQemuEvent(e.TraceName));
            }
        }
    }

    [Theory]
    [InlineData("vfio_save_complete_precopy_thread_end", "vfio_save_complete_precopy_thread_end  (dev0) ret 1")]
    [InlineData("vfio_load_state", "vfio_load_state  (dev0) data 0xffffffffef100006")]
    [InlineData("migrate_error", "migrate_error error=dev0: state buffer 1 already filled")]
    [InlineData("multifd_recv_terminate_threads", "multifd_recv_terminate_threads error 1")]
    [InlineData("loadvm_process_command", "loadvm_process_command com=SWITCHOVER_START len=0")]
    [InlineData("vfio_save_complete_precopy_thread_start", "vfio_save_complete_precopy_thread_start  (0000:65:00.0) idstr 0000:00:02.0/vfio instance 0")]
    [InlineData("process_incoming_migration_co_end", "process_incoming_migration_co_end ret=-22 postcopy-state=0")]
    [InlineData("multifd_recv_sync_main", "multifd_recv_sync_main packet num 7")]
    [InlineData("qemu_loadvm_state_post_main", "qemu_loadvm_state_post_main -22")]
    [InlineData("multifd_send_fill", "multifd_send_fill channel 1 packet_num 5 flags 0x1 next packet size 0")]
    [InlineData("multifd_recv_unfill", "multifd_recv_unfill channel 0 packet_num 5 flags 0x1 next packet size 0")]
    [InlineData("multifd_send_sync_main", "multifd_send_sync_main packet num 6")]
    [InlineData("migrate_set_state", "migrate_set_state new state cancelling")]
    [InlineData("migration_cancel", "migration_cancel")]
    [InlineData("vmstate_load", "vmstate_load arm_gicv3, arm_gicv3")]
    public void LinesAreQemus(string name, string line) =>
        Assert.Contains(line, Samples.Where(e => e.TraceName == name).Select(e => e.ToString()));

    [Fact]
    public void ReleasesDifferWhereQemuDoes()
    {
        Assert.Equal("ret=-22", QemuTraceEvents.Reformat("process_incoming_migration_co_end", "ret=-22 postcopy-state=0", QemuVersion.V10_2));
        Assert.Equal("ret=-22 postcopy-state=0", QemuTraceEvents.Reformat("process_incoming_migration_co_end", "ret=-22 postcopy-state=0", QemuVersion.V10_0));
        Assert.Equal(" (dev0) idx 3", QemuTraceEvents.Reformat("vfio_load_state_device_buffer_incoming", " (dev0) idx 3", QemuVersion.V10_0));
        Assert.Null(QemuTraceEvents.Reformat("process_incoming_migration_co_end", "ret=-22", QemuVersion.V10_2));
    }

    [Fact]
    public void EveryFormatTakesItsArguments()
    {
        Assert.All(QemuTraceEvents.All, e => Assert.Equal(e.Args.Count, e.Format.Conversions.Count));
        Assert.All(QemuTraceEvents.All.Where(e => e.Group == "hw/vfio"), e => Assert.StartsWith(" (%s)", e.Fmt));
    }
}

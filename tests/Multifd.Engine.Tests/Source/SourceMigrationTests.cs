using Multifd.Engine.Core;
using Multifd.Engine.Ports;
using Multifd.Engine.Source;
using Multifd.Engine.Tests.Support;
using Multifd.Engine.Wire;
using Multifd.Simulation;

namespace Multifd.Engine.Tests.Source;

/// <summary>migration_cancel and vfio_save_cleanup as QEMU has them.</summary>
public class SourceMigrationTests
{
    private readonly RecordingObserver observer = new();
    private readonly QemuProcess qemu;
    private readonly SimChannel main = new("main");
    private readonly SimChannel returnPath = new("return-path");
    private readonly SourceVfioDevice device = new("dev0", new byte[128], 0, new byte[16], new DataFdBehaviour(), new ScriptedChoices(), FaultPlan.None);
    private readonly SourceMigration source;

    public SourceMigrationTests()
    {
        QemuThread.Adopt("qmp");
        qemu = new QemuProcess(Side.Source, Platform.X86_64, observer, ProtocolVariant.Correct);
        var config = new VfioDeviceConfig("dev0", 0, 64, new VfioDeviceProperties());
        source = new SourceMigration(qemu, new MigrationParameters(), new ModelAssumptions(),
            new SourceWorld(main, [new SimChannel("multifd0"), new SimChannel("multifd1")], [(config, device)], returnPath));
    }

    /// <summary>
    /// migrate_cancel moves an ACTIVE migration to CANCELLING, shuts the return path and the main channel down (the peer
    /// reads the end of the stream; the migration thread's next write fails) and records no migration error.
    /// </summary>
    [Fact]
    public void CancelMovesARunningMigrationToCancellingAndRecordsNoError()
    {
        Assert.True(qemu.SetState(MigrationStatus.None, MigrationStatus.Active));

        source.Cancel();

        Assert.Equal(MigrationStatus.Cancelling, qemu.State);
        Assert.Null(qemu.Error);
        Assert.Empty(observer.Events<MigrationErrorSet>());
        Assert.Equal(["migrate_set_state new state active", "migration_cancel", "migrate_set_state new state cancelling"],
            observer.All.Select(o => $"{o.Event.TraceName} {o.Event.Args}".Trim()));
        Assert.Equal(0, main.Read(new byte[8]));
        Assert.Equal(-Errno.EPIPE, main.Write([1]));
        Assert.Equal(-Errno.EIO, returnPath.Read(new byte[8]));
    }

    /// <summary>A cancel after the migration completed changes nothing but the return path (migration_is_running() is false).</summary>
    [Fact]
    public void CancelAfterCompletionLeavesTheStateAndTheMainChannel()
    {
        Assert.True(qemu.SetState(MigrationStatus.None, MigrationStatus.Completed));

        source.Cancel();

        Assert.Equal(MigrationStatus.Completed, qemu.State);
        Assert.Null(qemu.Error);
        Assert.Equal(QioChannel.ErrBlock, main.ReadNonBlocking(new byte[8]));
    }

    /// <summary>vfio_save_cleanup goes to STOP only from STOP_COPY: a device still in PRE_COPY stays there.</summary>
    [Fact]
    public void SaveCleanupFromPreCopyDoesNotStopTheDevice()
    {
        var save = source.Devices[0];
        Assert.Equal(0, save.SaveSetup(new QemuFileWriter(null), out _));
        Assert.Equal(VfioDeviceState.PreCopy, device.State);

        save.SaveCleanup();

        Assert.Equal(VfioDeviceState.PreCopy, device.State);
        Assert.Equal(VfioDeviceState.PreCopy, save.DeviceState);
    }

    /// <summary>migration_stop_vm moves a PRE_COPY device to STOP_COPY; vfio_save_cleanup then stops it.</summary>
    [Fact]
    public void SaveCleanupAfterStopCopyStopsTheDevice()
    {
        var save = source.Devices[0];
        Assert.Equal(0, save.SaveSetup(new QemuFileWriter(null), out _));
        Assert.Equal(0, save.VmStateChangeStop());
        Assert.Equal(VfioDeviceState.StopCopy, device.State);

        save.SaveCleanup();

        Assert.Equal(VfioDeviceState.Stop, device.State);
    }
}

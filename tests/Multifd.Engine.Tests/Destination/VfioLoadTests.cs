using Multifd.Engine.Core;
using Multifd.Engine.Destination;
using Multifd.Engine.Ports;
using Multifd.Engine.Tests.Support;
using Multifd.Engine.Wire;
using Multifd.Simulation;

namespace Multifd.Engine.Tests.Destination;

/// <summary>vfio_load_setup, vfio_load_state's markers and the multifd-mode checks (PROTOCOL.md §2.3, §5, §7).</summary>
public class VfioLoadTests
{
    private readonly RecordingObserver observer = new();

    private VfioLoad NewLoad(VfioDeviceProperties properties, MigrationParameters? parameters = null)
    {
        QemuThread.Adopt("main");
        var p = parameters ?? new MigrationParameters();
        var qemu = new QemuProcess(Side.Destination, p.Platform, observer, ProtocolVariant.Correct);
        var device = new DestinationVfioDevice("dev0", new DataFdBehaviour(), new ScriptedChoices(), FaultPlan.None, observer);
        var load = new VfioLoad(qemu, p, new VfioDeviceConfig("dev0", 0, 16, properties), device);
        Assert.Equal(0, load.LoadSetup(out var error));
        Assert.Null(error);
        Qemu = qemu;
        return load;
    }

    private QemuProcess? Qemu { get; set; }

    private static QemuFileReader Stream(params ulong[] be64s)
    {
        var f = new QemuFileWriter(null);
        foreach (var v in be64s)
        {
            f.PutBe64(v);
        }

        return new QemuFileReader(f.ToArray());
    }

    [Fact]
    public void DevicePacketOutsideMultifdModeIsRejected()
    {
        var load = NewLoad(new VfioDeviceProperties(MultifdTransfer: OnOffAuto.Off));

        var error = load.LoadStateBuffer(VfioDeviceStatePacket.Encode(0, 0, [1]));

        Assert.Equal(new LoadError("dev0: got device state packet but not doing multifd transfer", ErrorKind.Rejected), error);
        Assert.False(load.MultifdTransfer);
        Assert.Null(load.Multifd);
    }

    [Fact]
    public void AutoTransferFollowsWhatTheMigrationSupports()
    {
        Assert.True(NewLoad(new VfioDeviceProperties()).MultifdTransfer);
        Assert.False(NewLoad(new VfioDeviceProperties(), new MigrationParameters(SendSwitchoverStart: false)).MultifdTransfer);
        Assert.False(NewLoad(new VfioDeviceProperties(), new MigrationParameters(MappedRam: true)).MultifdTransfer);
    }

    [Fact]
    public void TransferOnWhileUnsupportedFailsSetup()
    {
        QemuThread.Adopt("main");
        var p = new MigrationParameters(Multifd: false);
        var qemu = new QemuProcess(Side.Destination, p.Platform, observer, ProtocolVariant.Correct);
        var device = new DestinationVfioDevice("dev0", new DataFdBehaviour(), new ScriptedChoices(), FaultPlan.None, observer);
        var load = new VfioLoad(qemu, p, new VfioDeviceConfig("dev0", 0, 16, new VfioDeviceProperties(MultifdTransfer: OnOffAuto.On)), device);

        Assert.Equal(-Errno.EINVAL, load.LoadSetup(out var error));
        Assert.Equal("dev0: Multifd device transfer requested but unsupported in the current config", error?.Message);
    }

    [Fact]
    public void LoadSetupNamesTheCountLimitOnlyWhenItIsSet()
    {
        NewLoad(new VfioDeviceProperties(MaxQueuedBuffersSizeBytes: 4096));
        var merged = observer.Events<LoadSetup>().Single();
        Assert.Equal(ulong.MaxValue, merged.MaxQueuedBuffers);
        Assert.DoesNotContain("max-queued-buffers ", merged.Args);
        Assert.Contains("max-queued-buffers-size 4096", merged.Args);

        NewLoad(new VfioDeviceProperties(MaxQueuedBuffers: 3));
        Assert.Contains("max-queued-buffers 3", observer.Events<LoadSetup>().Last().Args);
    }

    [Theory]
    [InlineData(Platform.X86_64, OnOffAuto.Auto, false)]
    [InlineData(Platform.Aarch64, OnOffAuto.Auto, true)]
    [InlineData(Platform.Arm, OnOffAuto.Auto, true)]
    [InlineData(Platform.X86_64, OnOffAuto.On, true)]
    [InlineData(Platform.Aarch64, OnOffAuto.Off, false)]
    public void ConfigAfterIterIsOnForArmWhenAuto(Platform platform, OnOffAuto property, bool expected)
    {
        var load = NewLoad(new VfioDeviceProperties(LoadConfigAfterIter: property), new MigrationParameters(Platform: platform));

        Assert.Equal(expected, load.ConfigAfterIter);
    }

    [Fact]
    public void LoadReadyOutsideMultifdIsRejected()
    {
        var load = NewLoad(new VfioDeviceProperties(MultifdTransfer: OnOffAuto.Off));

        Qemu!.Bql.Lock();
        var ret = load.LoadState(Stream(VfioMarkers.DevConfigLoadReady), out var error);
        Qemu.Bql.Unlock();

        Assert.Equal(-Errno.EINVAL, ret);
        Assert.Equal("dev0: got DEV_CONFIG_LOAD_READY outside multifd transfer", error?.Message);
    }

    [Fact]
    public void LoadReadyWithAfterIterOffOnTheDestinationIsRejected()
    {
        var load = NewLoad(new VfioDeviceProperties(LoadConfigAfterIter: OnOffAuto.Off));

        Qemu!.Bql.Lock();
        var ret = load.LoadState(Stream(VfioMarkers.DevConfigLoadReady), out var error);
        Qemu.Bql.Unlock();

        Assert.Equal(-Errno.EINVAL, ret);
        Assert.Equal("dev0: got DEV_CONFIG_LOAD_READY but was disabled", error?.Message);
    }

    [Fact]
    public void LoadReadyTwiceIsADuplicate()
    {
        var load = NewLoad(new VfioDeviceProperties(LoadConfigAfterIter: OnOffAuto.On));

        Qemu!.Bql.Lock();
        var first = load.LoadState(Stream(VfioMarkers.DevConfigLoadReady), out var firstError);
        var second = load.LoadState(Stream(VfioMarkers.DevConfigLoadReady), out var secondError);
        Qemu.Bql.Unlock();

        Assert.Equal((0, null), (first, firstError));
        Assert.Equal(-Errno.EINVAL, second);
        Assert.Equal("dev0: duplicate DEV_CONFIG_LOAD_READY", secondError?.Message);
        Assert.Equal(new[] { false, true }, observer.Events<ConfigLoadReady>().Select(e => e.Duplicate));
    }

    [Fact]
    public void ConfigStateOnTheMainChannelInMultifdModeIsRejected()
    {
        var load = NewLoad(new VfioDeviceProperties());

        var ret = load.LoadState(Stream(VfioMarkers.DevConfigState), out var error);

        Assert.Equal(-Errno.EINVAL, ret);
        Assert.Equal("dev0: got DEV_CONFIG_STATE in main migration channel but doing multifd transfer", error?.Message);
    }

    [Fact]
    public void SetupStateWithoutEndOfStateIsRejected()
    {
        var load = NewLoad(new VfioDeviceProperties());

        var ret = load.LoadState(Stream(VfioMarkers.DevSetupState, VfioMarkers.DevDataState), out var error);

        Assert.Equal(-Errno.EINVAL, ret);
        Assert.Equal("dev0: SETUP STATE: EOS not found 0xffffffffef100004", error?.Message);
    }

    [Fact]
    public void UnknownTagIsRejected()
    {
        var load = NewLoad(new VfioDeviceProperties());

        var ret = load.LoadState(Stream(0xffffffffef100007), out var error);

        Assert.Equal(-Errno.EINVAL, ret);
        Assert.Equal("dev0: Unknown tag 0xffffffffef100007", error?.Message);
    }
}

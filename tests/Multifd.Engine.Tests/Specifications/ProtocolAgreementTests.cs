using Multifd.Engine.Ports;
using Multifd.Engine.Wire;
using Multifd.Specifications;
using static Multifd.Engine.Tests.Specifications.Trace;

namespace Multifd.Engine.Tests.Specifications;

public class ProtocolAgreementTests
{
    private static Observation SrcSetup(bool multifd, bool afterIter) => Src("mig", new SaveSetup("dev0", multifd, 64, afterIter));

    private static Observation DstSetup(bool multifd, bool afterIter) => Dst("main", new LoadSetup("dev0", multifd, afterIter));

    private static Observation LoadReadyRead => Dst("main", new LoadStateMarker("dev0", VfioMarkers.DevConfigLoadReady));

    [Fact]
    public void HoldsWhenBothSidesAgreeOnAfterIter() => Holds(new ProtocolAgreement(),
        SrcSetup(true, true),
        DstSetup(true, true),
        Src("save[dev0]", new DeviceStateQueued("dev0", 0, 0, 64)),
        Dst("recv[ch0]", new BufferIncoming("dev0", 0)),
        Dst("recv[ch0]", new BufferInserted("dev0", 0, 64, false, 0, uint.MaxValue, 1, 64)),
        Src("mig", new MainMarkerSent("dev0", VfioMarkers.DevConfigLoadReady, 0)),
        LoadReadyRead,
        Dst("main", new ConfigLoadReady("dev0", false)),
        Dst("main", new LoadStatePostMain(0)),
        Dst("main", new VmStarted()));

    [Fact]
    public void HoldsWhenTheDestinationRefusesLoadReadyWithAfterIterOff() => Holds(new ProtocolAgreement(),
        SrcSetup(true, true),
        DstSetup(true, false),
        LoadReadyRead,
        Dst("main", new LoadStatePostMain(-22)));

    [Fact]
    public void FailsWhenTheSourceSendsLoadReadyWithAfterIterOff() => Violated(new ProtocolAgreement(),
        [SrcSetup(true, false), Src("mig", new MainMarkerSent("dev0", VfioMarkers.DevConfigLoadReady, 0))],
        "dev0", "source sent DEV_CONFIG_LOAD_READY", "config-after-iter off on the source");

    [Fact]
    public void FailsWhenTheDestinationAcceptsLoadReadyWithAfterIterOff() => Violated(new ProtocolAgreement(),
        [DstSetup(true, false), LoadReadyRead, Dst("main", new LoadStatePostMain(0))],
        "dev0", "DEV_CONFIG_LOAD_READY", "config-after-iter off on the destination", "returned 0");

    [Fact]
    public void FailsWhenLoadReadyIsAcceptedOutsideMultifd() => Violated(new ProtocolAgreement(),
        [DstSetup(false, false), LoadReadyRead, Dst("main", new ConfigLoadReady("dev0", false))],
        "dev0", "accepted DEV_CONFIG_LOAD_READY", "multifd transfer off");

    [Fact]
    public void FailsWhenTheDestinationQueuesAPacketOutsideMultifd() => Violated(new ProtocolAgreement(),
        [DstSetup(false, false), Dst("recv[ch0]", new BufferInserted("dev0", 5, 64, false, 0, uint.MaxValue, 1, 64))],
        "dev0", "idx 5", "multifd transfer off", "on the destination");

    [Fact]
    public void FailsWhenTheSourceSendsMainChannelConfigInMultifdMode() => Violated(new ProtocolAgreement(),
        [SrcSetup(true, false), Src("mig", new MainMarkerSent("dev0", VfioMarkers.DevConfigState, 0))],
        "dev0", "DEV_CONFIG_STATE on the main channel in multifd mode");

    [Fact]
    public void FailsWhenTheDestinationLoadsMainChannelConfigInMultifdMode() => Violated(new ProtocolAgreement(),
        [
            DstSetup(true, false),
            Dst("main", new LoadStateMarker("dev0", VfioMarkers.DevConfigState)),
            Dst("main", new VmStarted()),
        ],
        "dev0", "DEV_CONFIG_STATE on the main channel in multifd mode", "VM started");
}

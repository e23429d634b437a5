using Multifd.Engine.Ports;
using Multifd.Engine.Wire;
using Multifd.Specifications;
using static Multifd.Engine.Tests.Specifications.Trace;

namespace Multifd.Engine.Tests.Specifications;

public class ConfigLoadedLastTests
{
    private const string Load = "load[dev0]";

    private static readonly Observation[] TwoBuffersAndConfig =
    [
        Dst("main", new LoadSetup("dev0", true, false)),
        Dst("recv[ch0]", new BufferInserted("dev0", 0, 64, false, 0, uint.MaxValue, 1, 64)),
        Dst("recv[ch1]", new BufferInserted("dev0", 2, 36, true, 0, 2, 2, 100)),
        Dst("recv[ch0]", new BufferInserted("dev0", 1, 64, false, 0, 2, 3, 164)),
        Dst(Load, new BufferLoadStart("dev0", 0)),
        Dst(Load, new BufferLoaded("dev0", 0, 64, 2, 2, 100)),
    ];

    private static Observation Idx1Loaded => Dst(Load, new BufferLoaded("dev0", 1, 64, 2, 1, 36));

    private static Observation ConfigLoad(bool bql = true) => Dst(Load, new ConfigLoadStart("dev0", 2, bql, false));

    [Fact]
    public void HoldsWhenTheConfigIsLoadedOnceLastUnderTheBql() => Holds(new ConfigLoadedLast(),
        [.. TwoBuffersAndConfig, Idx1Loaded, ConfigLoad(), Dst("main", new VmStarted())]);

    [Fact]
    public void FailsWhenTheConfigIsLoadedBeforeTheLastDataBuffer() => Violated(new ConfigLoadedLast(),
        [.. TwoBuffersAndConfig, ConfigLoad()],
        "dev0", "idx 2", "1 of its 2 data buffers", "LoadBufIdx was 1, expected 2");

    [Fact]
    public void FailsWhenTheConfigIsLoadedWithoutTheBql() => Violated(new ConfigLoadedLast(),
        [.. TwoBuffersAndConfig, Idx1Loaded, ConfigLoad(bql: false)],
        "dev0", "idx 2", Load, "without the BQL");

    [Fact]
    public void FailsWhenTheConfigIsLoadedTwice() => Violated(new ConfigLoadedLast(),
        [.. TwoBuffersAndConfig, Idx1Loaded, ConfigLoad(), ConfigLoad()],
        "dev0", "second time", "load 2");

    [Fact]
    public void FailsWhenTheConfigPacketIsWrittenToDataFd() => Violated(new ConfigLoadedLast(),
        [
            Src("save[dev0]", new DeviceStateQueued("dev0", 0, 1, 36)),
            Dst("main", new LoadSetup("dev0", true, false)),
            Dst("recv[ch0]", new BufferInserted("dev0", 0, 36, false, 0, uint.MaxValue, 1, 36)),
            Dst(Load, new BufferLoadStart("dev0", 0)),
        ],
        "dev0", "config packet (idx 0)", "data_fd");

    [Fact]
    public void FailsWhenADuplicateLoadReadyIsAccepted() => Violated(new ConfigLoadedLast(),
        [
            Dst("main", new LoadSetup("dev0", true, true)),
            Dst("main", new LoadStateMarker("dev0", VfioMarkers.DevConfigLoadReady)),
            Dst("main", new ConfigLoadReady("dev0", false)),
            Dst("main", new LoadStateMarker("dev0", VfioMarkers.DevConfigLoadReady)),
            Dst("main", new ConfigLoadReady("dev0", true)),
            Dst("main", new LoadStatePostMain(0)),
        ],
        "dev0", "returned 0", "duplicate DEV_CONFIG_LOAD_READY");

    [Fact]
    public void HoldsWhenADuplicateLoadReadyFailsTheLoad() => Holds(new ConfigLoadedLast(),
        Dst("main", new LoadSetup("dev0", true, true)),
        Dst("main", new LoadStateMarker("dev0", VfioMarkers.DevConfigLoadReady)),
        Dst("main", new ConfigLoadReady("dev0", false)),
        Dst("main", new LoadStateMarker("dev0", VfioMarkers.DevConfigLoadReady)),
        Dst("main", new ConfigLoadReady("dev0", true)),
        Dst("main", new LoadStatePostMain(-22)));

    [Fact]
    public void FailsWhenTheVmStartsWithoutTheConfig() => Violated(new ConfigLoadedLast(),
        [.. TwoBuffersAndConfig, Idx1Loaded, Dst("main", new VmStarted())],
        "dev0", "loaded 0 times", "exactly 1");
}

using Multifd.Engine.Ports;
using Multifd.Specifications;
using static Multifd.Engine.Tests.Specifications.Trace;

namespace Multifd.Engine.Tests.Specifications;

public class MainBeforeMultifdTests
{
    private static readonly Observation MainWrite = Dst("main", new DeviceWrite("dev0", 0, 64, 64));
    private static readonly Observation LoadStart = Dst("load[dev0]", new LoadBufsThreadStart("dev0"));
    private static readonly Observation Idx0 = Dst("load[dev0]", new BufferLoadStart("dev0", 0));

    [Fact]
    public void HoldsWhenPrecopyDataPrecedesTheLoadThread() => Holds(new MainBeforeMultifd(),
        MainWrite,
        LoadStart,
        Idx0,
        Dst("load[dev0]", new DeviceWrite("dev0", 64, 64, 64)),
        Dst("main", new DeviceWrite("dev1", 0, 32, 32)));

    [Fact]
    public void FailsWhenMainWritesAfterTheLoadThread() => Violated(new MainBeforeMultifd(),
        [
            LoadStart,
            Idx0,
            Dst("load[dev0]", new DeviceWrite("dev0", 0, 64, 64)),
            Dst("main", new DeviceWrite("dev0", 64, 48, 48)),
        ],
        "dev0", "main", "48 bytes at data_fd offset 64", "load[dev0]", "idx 0", "offset 0");
}

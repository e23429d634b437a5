using Multifd.Engine.Ports;
using Multifd.Specifications;
using static Multifd.Engine.Tests.Specifications.Trace;

namespace Multifd.Engine.Tests.Specifications;

public class ConfigAfterIterablesTests
{
    private static readonly Observation Arm = Dst("main", new LoadSetup("dev0", true, true, Platform.Aarch64));
    private static readonly Observation Gic = Dst("main", new InterruptControllerLoaded("arm_gicv3"));
    private static readonly Observation Ready = Dst("main", new ConfigLoadReady("dev0", false));
    private static readonly Observation Config = Dst("load[dev0]", new ConfigLoadStart("dev0", 3, true, true));

    [Fact]
    public void HoldsWhenTheConfigFollowsTheInterruptControllerAndLoadReady() =>
        Holds(new ConfigAfterIterables(), Arm, Gic, Ready, Config);

    [Fact]
    public void FailsWhenAnArmConfigPrecedesTheInterruptController() => Violated(new ConfigAfterIterables(),
        [Arm, Config],
        "dev0", "idx 3", "aarch64", "interrupt controller", "before DEV_CONFIG_LOAD_READY");

    [Fact]
    public void FailsWhenAnArmConfigIgnoresTheInterlockEvenWithoutAfterIter() => Violated(new ConfigAfterIterables(),
        [Dst("main", new LoadSetup("dev0", true, false, Platform.Aarch64)), Config],
        "dev0", "aarch64", "interrupt controller");

    [Fact]
    public void FailsWhenAfterIterConfigPrecedesLoadReady() => Violated(new ConfigAfterIterables(),
        [Dst("main", new LoadSetup("dev0", true, true, Platform.X86_64)), Config],
        "dev0", "idx 3", "config-after-iter on", "before DEV_CONFIG_LOAD_READY");

    [Fact]
    public void HoldsOnX86WithoutAfterIter() =>
        Holds(new ConfigAfterIterables(), Dst("main", new LoadSetup("dev0", true, false)), Config);
}

using Multifd.Checker.Harness;
using Multifd.Checker.Scenarios;
using Multifd.Simulation;

namespace Multifd.Checker.Entry;

/// <summary>
/// Entry points for `dotnet coyote test Multifd.Checker.dll -m NAME`: one per scenario family, each named as its
/// scenario in models/ (kebab-case of the method name) and each expected to pass on the correct protocol.
/// The scenario is read from models/ (found from the working directory upwards), or from the file named by
/// MULTIFD_SCENARIO; MULTIFD_VARIANT overrides its protocol variant.
/// </summary>
/// <remarks>
/// The tight-limit scenarios have no entry here: on the correct protocol they find QEMU's own hangs (P10: F1, F9).
/// Run them with MULTIFD_SCENARIO=tight-count-limit. Nor has fault-source-cancel-after-setup (F3 through a cancel).
/// </remarks>
public static class ScenarioTests
{
    /// <summary>2 devices, 2 channels, x86_64, QEMU 10.1 defaults.</summary>
    [Microsoft.Coyote.SystematicTesting.Test]
    public static void Default() => Run(nameof(Default));

    /// <summary>Queue limits equal to the most a device can queue: reached, never exceeded.</summary>
    [Microsoft.Coyote.SystematicTesting.Test]
    public static void GenerousLimits() => Run(nameof(GenerousLimits));

    /// <summary>aarch64 on both sides: config after DEV_CONFIG_LOAD_READY and the interrupt controller.</summary>
    [Microsoft.Coyote.SystematicTesting.Test]
    public static void Arm64AfterIter() => Run(nameof(Arm64AfterIter));

    /// <summary>zero-copy-send on the source: device state must still be written without the zero-copy flag.</summary>
    [Microsoft.Coyote.SystematicTesting.Test]
    public static void ZeroCopySend() => Run(nameof(ZeroCopySend));

    /// <summary>After-iter on the source only: every migration fails cleanly at DEV_CONFIG_LOAD_READY.</summary>
    [Microsoft.Coyote.SystematicTesting.Test]
    public static void AfterIterSourceOnly() => Run(nameof(AfterIterSourceOnly));

    /// <summary>The scenario an entry point runs: its method name in kebab-case.</summary>
    [Microsoft.Coyote.SystematicTesting.Test]
    public static void OneDeviceManyBuffers() => Run(nameof(OneDeviceManyBuffers));

    [Microsoft.Coyote.SystematicTesting.Test]
    public static void FourDevicesFourChannels() => Run(nameof(FourDevicesFourChannels));

    [Microsoft.Coyote.SystematicTesting.Test]
    public static void NoMultifd() => Run(nameof(NoMultifd));

    [Microsoft.Coyote.SystematicTesting.Test]
    public static void MixedKnobs() => Run(nameof(MixedKnobs));

    [Microsoft.Coyote.SystematicTesting.Test]
    public static void FaultPartialIo() => Run(nameof(FaultPartialIo));

    [Microsoft.Coyote.SystematicTesting.Test]
    public static void FaultMainChannelEof() => Run(nameof(FaultMainChannelEof));

    [Microsoft.Coyote.SystematicTesting.Test]
    public static void HostileDuplicateIdx() => Run(nameof(HostileDuplicateIdx));

    public static string ScenarioOf(string methodName) => Variants.Kebab(methodName);

    private static void Run(string methodName)
    {
        var scenario = ModelsFolder.LoadScenario(Environment.GetEnvironmentVariable("MULTIFD_SCENARIO") ?? ScenarioOf(methodName));
        var variant = Variants.Parse(Environment.GetEnvironmentVariable("MULTIFD_VARIANT") ?? scenario.Variant);
        new MigrationRun(scenario, variant, new CoyoteChoices(),
            v => Microsoft.Coyote.Specifications.Specification.Assert(false, v.Message)).Execute();
    }
}

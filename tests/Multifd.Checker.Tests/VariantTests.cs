using Multifd.Checker.Exploration;
using Multifd.Checker.Scenarios;
using Xunit.Abstractions;

namespace Multifd.Checker.Tests;

/// <summary>Known-bug variants are caught by exactly the property they break, with the values in the message.</summary>
public class VariantTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("default", "lock-order-inversion", "P7", "dev0: main takes load_bufs_mutex while holding the BQL")]
    [InlineData("default", "cleanup-without-bql", "P7", "main enters qemu_loadvm_state_cleanup without the BQL")]
    [InlineData("tight-count-limit", "queued-count-drift", "P6", "dev0: after writing 64 bytes of idx 0 the engine counts")]
    [InlineData("arm64-after-iter", "no-config-interlock", "P5b", "before DEV_CONFIG_LOAD_READY")]
    [InlineData("zero-copy-send", "zero-copy-device-state", "P11", "dev0: device-state packet idx 0 written on channel")]
    [InlineData("default", "load-thread-at-setup", "P2", "dev0: main wrote main-channel device data")]
    [InlineData("variant-no-duplicate-load-ready-check", "no-duplicate-load-ready-check", "P5", "dev0: DEV_CONFIG_LOAD_READY number 2 was accepted")]
    [InlineData("variant-config-also-on-main-channel", "config-also-on-main-channel", "P9", "dev0: source sent DEV_CONFIG_STATE on the main channel in multifd mode")]
    [InlineData("variant-no-already-filled-check", "no-already-filled-check", "P4", "dev0: idx 0 inserted a second time")]
    public void VariantIsCaughtByItsProperty(string scenarioName, string variant, string property, string message)
    {
        var scenario = ModelsFolder.LoadScenario(scenarioName);
        var r = Explorer.Run(CheckOptions.For(scenario, variant) with { Iterations = 100 });
        output.WriteLine($"{scenarioName}/{variant}: schedule {r.FirstBugIteration}: {r.Violation?.Property} {r.Violation?.Message}");
        Assert.Null(r.InternalError);
        Assert.NotNull(r.Violation);
        Assert.Equal(property, r.Violation.Property);
        Assert.Contains(message, r.Violation.Message);
        Assert.NotNull(r.Trace);
    }

    /// <summary>
    /// On aarch64 with after-iter off on both sides nothing orders the config load after the interrupt controller: the
    /// load thread can take the BQL while the main thread waits for the completion sections, and P5b's first clause
    /// says so. (With after-iter on, as in no-config-interlock, a schedule may break the DEV_CONFIG_LOAD_READY clause first.)
    /// </summary>
    [Fact]
    public void ConfigBeforeTheInterruptControllerIsCaughtOnAarch64WithoutTheInterlock()
    {
        var off = new DevicePropertiesSpec { LoadConfigAfterIter = Engine.OnOffAuto.Off };
        var scenario = new Scenario
        {
            Name = "aarch64-after-iter-off",
            Devices = [new DeviceSpec { Name = "dev0", StateBytes = 256, PrecopyBytes = 64, Source = off, Destination = off }],
            // The return path, as every QEMU-source scenario has it (without it the trailing-packet loss F3 may come first).
            Source = new SideSpec { Platform = Engine.Platform.Aarch64, ReturnPath = true },
            Destination = new SideSpec { Platform = Engine.Platform.Aarch64, ReturnPath = true },
        };
        var r = Explorer.Run(CheckOptions.For(scenario) with { Iterations = 200 });
        output.WriteLine($"schedule {r.FirstBugIteration}: {r.Violation?.Property} {r.Violation?.Message}");
        Assert.Equal("P5b", r.Violation?.Property);
        Assert.Contains("on an aarch64 destination before the interrupt controller's section was loaded", r.Violation!.Message);
    }
}

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
    [InlineData("arm64-after-iter", "no-config-interlock", "P5b", "on an aarch64 destination before the interrupt controller")]
    [InlineData("zero-copy-send", "zero-copy-device-state", "P11", "dev0: device-state packet idx 0 written on channel")]
    [InlineData("default", "load-thread-at-setup", "P2", "dev0: main wrote main-channel device data")]
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
}

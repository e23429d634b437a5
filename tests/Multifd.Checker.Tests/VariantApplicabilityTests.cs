using Multifd.Checker.Exploration;
using Multifd.Checker.Scenarios;
using Multifd.Cli.Commands;
using Multifd.Engine;
using Xunit.Abstractions;

namespace Multifd.Checker.Tests;

/// <summary>
/// The rule "can this variant show in this scenario" (VariantApplicability), for every variant: it holds where the
/// manifest says the variant is caught, and it refuses a scenario whose knobs keep the variant's code path from
/// mattering, where exploring the variant indeed finds nothing.
/// </summary>
public class VariantApplicabilityTests(ITestOutputHelper output)
{
    private static string Models => ModelsFolder.Find()!;

    public static TheoryData<string> VariantNames()
    {
        var data = new TheoryData<string>();
        foreach (var v in Variants.All)
        {
            data.Add(v.Name);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(VariantNames))]
    public void EveryVariantCanShowInTheScenarioItsManifestEntryNames(string variant)
    {
        var scenario = ModelsFolder.LoadScenario(CheckCommand.DefaultScenarioFor(variant));
        Assert.Null(VariantApplicability.WhyNot(Variants.Parse(variant), scenario));
        if (variant != "correct")
        {
            // Every variant other than the correct protocol has an entry (a scenario that shows it).
            Assert.True(scenario.Name != "default" || Manifest.Load(Models).Scenarios.Any(e => e.Scenario == "default" && e.Variant == variant),
                $"{variant}: no manifest entry names it");
        }
    }

    [Fact]
    public void EveryManifestEntryRunsAVariantThatCanShowThere()
    {
        foreach (var entry in Manifest.Load(Models).Scenarios)
        {
            var scenario = ModelsFolder.LoadScenario(entry.Scenario);
            var variant = Variants.Parse(entry.Variant ?? scenario.Variant);
            Assert.True(VariantApplicability.WhyNot(variant, scenario) is null,
                $"{entry.Label}: {VariantApplicability.WhyNot(variant, scenario)}");
        }
    }

    [Fact]
    public void EveryVariantHasARule()
    {
        foreach (var v in Enum.GetValues<ProtocolVariant>())
        {
            _ = VariantApplicability.WhyNot(v, new Scenario()); // throws for a variant without a rule
            Assert.Contains(Variants.All, info => info.Variant == v);
        }
    }

    /// <summary>
    /// Each variant (but the two that show anywhere) on a passing scenario where its rule says it cannot show: the rule
    /// gives the reason, and exploring the variant there finds no violation (evidence that the rule is not too strict).
    /// </summary>
    [Theory]
    [InlineData("final-sync-strands-recv", "no-multifd", "travels over multifd")]
    [InlineData("single-wait-cleanup", "default", "spuriousWakeups")]
    [InlineData("short-write-as-complete", "default", "partialWrites")]
    [InlineData("host-endian-header", "default", "different endianness")]
    [InlineData("load-thread-at-setup", "zero-copy-send", "precopyBytes > 0")]
    [InlineData("no-config-interlock", "default", "aarch64 destination")]
    [InlineData("queued-count-drift", "no-multifd", "travels over multifd")]
    [InlineData("lock-order-inversion", "no-multifd", "travels over multifd")]
    [InlineData("cleanup-lock-order-inversion", "no-multifd", "travels over multifd")]
    [InlineData("zero-copy-device-state", "default", "zeroCopySend")]
    [InlineData("no-error-check-after-loadvm", "default", "fails a recv thread")]
    [InlineData("no-duplicate-load-ready-check", "arm64-after-iter", "load-ready-twice")]
    [InlineData("config-also-on-main-channel", "no-multifd", "travels over multifd")]
    [InlineData("no-already-filled-check", "default", "duplicate-idx")]
    public void AVariantIsRefusedWhereItCannotShowAndFindsNothingThere(string variant, string scenarioName, string reason)
    {
        var scenario = ModelsFolder.LoadScenario(scenarioName) with { MustReach = [] };
        var why = VariantApplicability.WhyNot(Variants.Parse(variant), scenario);
        Assert.NotNull(why);
        Assert.Contains(reason, why);

        var r = Explorer.Run(CheckOptions.For(scenario, variant) with { Iterations = 30 });
        output.WriteLine($"{variant} on {scenarioName}: {why}; 30 schedules: {r.Violation?.Property ?? "no violation"}");
        Assert.Null(r.Violation);
        Assert.Null(r.InternalError);
    }

    [Theory]
    [InlineData("correct")]
    [InlineData("cleanup-without-bql")]
    public void SomeVariantsCanShowAnywhere(string variant)
    {
        foreach (var name in new[] { "default", "no-multifd", "hostile-duplicate-idx" })
        {
            Assert.Null(VariantApplicability.WhyNot(Variants.Parse(variant), ModelsFolder.LoadScenario(name)));
        }
    }
}

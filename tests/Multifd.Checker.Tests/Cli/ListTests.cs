using Multifd.Specifications;

namespace Multifd.Checker.Tests.Cli;

public class ListTests
{
    [Fact]
    public void ListsScenariosVariantsPropertiesSituationsAndHostileKinds()
    {
        var run = CliRunner.Run("list");
        Assert.True(run.ExitCode == 0, run.ToString());
        var lines = run.OutLines;
        Assert.Contains(lines, l => l.StartsWith("  default ", StringComparison.Ordinal) && l.Contains("expected: pass") && l.Contains("The default check"));
        foreach (var variant in Variants.All)
        {
            Assert.Contains(lines, l => l.StartsWith($"  {variant.Name} ", StringComparison.Ordinal) && l.Contains(variant.Description));
        }

        foreach (var property in PropertySet.CreateAll())
        {
            Assert.Contains(lines, l => l.StartsWith($"  {property.Id} {property.Name} ", StringComparison.Ordinal) && l.EndsWith(property.Statement));
        }

        Assert.Contains(lines, l => l.StartsWith("  P10 NoHang ", StringComparison.Ordinal));
        Assert.All(Situations.Names, s => Assert.Contains(lines, l => l.StartsWith($"  {s} ", StringComparison.Ordinal)));
        Assert.All(HostileKinds.Names, k => Assert.Contains(lines, l => l.StartsWith($"  {k} ", StringComparison.Ordinal)));
        Assert.All(Strategies.Names, s => Assert.Contains(lines, l => l.StartsWith($"  {s} ", StringComparison.Ordinal)));
    }

    [Fact]
    public void TheCountLimitIsLabelledNotMergedWhereverAScenarioOrVariantUsesIt()
    {
        var lines = CliRunner.Run("list").OutLines;
        const string label = "proposed in the reviewed series (v2..v6, dc15bcb035), not merged";
        Assert.Contains(lines, l => l.StartsWith("  tight-count-limit ", StringComparison.Ordinal) && l.Contains($"[uses x-migration-max-queued-buffers: {label}]"));
        Assert.Contains(lines, l => l.StartsWith("  queued-count-drift ", StringComparison.Ordinal) && l.Contains(label));
        // QEMU's knob set elsewhere: no other scenario carries the label.
        Assert.DoesNotContain(lines, l => (l.StartsWith("  default ", StringComparison.Ordinal) || l.StartsWith("  generous-limits ", StringComparison.Ordinal)) && l.Contains("[uses"));
    }
}

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
}

using Microsoft.Coyote.Rewriting;

namespace Multifd.Checker.Tests;

/// <summary>
/// A forgotten Coyote rewrite is silent (the engine would run uncontrolled and find nothing): fail loudly.
/// </summary>
public class RewritingGuardTests
{
    [Theory]
    [InlineData(typeof(Multifd.Engine.Core.QemuThread))]
    [InlineData(typeof(Multifd.Simulation.SimChannel))]
    [InlineData(typeof(Multifd.Specifications.Property))]
    [InlineData(typeof(Multifd.Checker.Entry.ScenarioTests))]
    public void AssemblyLoadedByTheTestsIsRewritten(Type typeInAssembly)
    {
        var assembly = typeInAssembly.Assembly;
        Assert.True(RewritingEngine.IsAssemblyRewritten(assembly),
            $"{assembly.GetName().Name} at {assembly.Location} is not rewritten by Coyote; the build's CoyoteRewrite target did not run");
    }
}

using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
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
    [InlineData(typeof(Multifd.Checker.Entry.ScenarioTests))]
    public void AssemblyLoadedByTheTestsIsRewritten(Type typeInAssembly)
    {
        var assembly = typeInAssembly.Assembly;
        Assert.True(RewritingEngine.IsAssemblyRewritten(assembly),
            $"{assembly.GetName().Name} at {assembly.Location} is not rewritten by Coyote; the build's CoyoteRewrite target did not run");
    }

    /// <summary>
    /// Multifd.Specifications is left out of the rewrite (Directory.Build.targets): it holds only the property monitors,
    /// plain code that no thread waits in, and rewriting gave it nothing but Coyote's call-site hook at every method entry
    /// (docs/performance.md). That is safe only while it calls no threading API at all, which Coyote would have had to
    /// replace by its controlled one: this fails when one appears.
    /// </summary>
    [Fact]
    public void SpecificationsIsNotRewrittenAndCallsNoThreadingApi()
    {
        var assembly = typeof(Multifd.Specifications.Property).Assembly;
        Assert.False(RewritingEngine.IsAssemblyRewritten(assembly),
            $"{assembly.GetName().Name} is rewritten; Directory.Build.targets leaves it out of the rewrite");
        Assert.Empty(ThreadingReferences(assembly.Location));
    }

    [Fact]
    public void TheThreadingCheckSeesTheEngine()
    {
        // the check above must be able to fail: the engine, which waits and locks, references threading types
        Assert.NotEmpty(ThreadingReferences(typeof(Multifd.Engine.Core.QemuThread).Assembly.Location));
    }

    /// <summary>The types in System.Threading (and below it) that the assembly at <paramref name="path"/> references.</summary>
    internal static List<string> ThreadingReferences(string path)
    {
        using var pe = new PEReader(File.OpenRead(path));
        var md = pe.GetMetadataReader();
        var found = new List<string>();
        foreach (var handle in md.TypeReferences)
        {
            var type = md.GetTypeReference(handle);
            var ns = md.GetString(type.Namespace);
            var name = md.GetString(type.Name);
            if (ns == "System.Threading" || ns.StartsWith("System.Threading.", StringComparison.Ordinal)
                || (ns == "System.Runtime.CompilerServices" && name.StartsWith("Async", StringComparison.Ordinal)))
            {
                found.Add($"{ns}.{name}");
            }
        }

        return found;
    }
}

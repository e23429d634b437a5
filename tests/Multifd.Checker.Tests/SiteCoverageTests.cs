using System.Text.RegularExpressions;
using Multifd.Checker.Entry;
using Multifd.Checker.Exploration;
using Multifd.Checker.Scenarios;
using Multifd.Engine.Core;
using Xunit.Abstractions;

namespace Multifd.Checker.Tests;

/// <summary>
/// Error-path coverage: every error and cleanup branch of the engine is a registered site, marked once in the engine,
/// and the manifest's pass-scenarios together reach every site but those listed in <see cref="UnreachableSites"/>.
/// </summary>
public class SiteCoverageTests(ITestOutputHelper output)
{
    /// <summary>Schedules per pass-scenario: the manifest tests' budget...</summary>
    private const int Iterations = 40;

    /// <summary>... and for a scenario with faults, whose error paths depend on where the fault lands.</summary>
    private const int FaultIterations = 300;

    /// <summary>
    /// ... and with faults anywhere (a fault may land after any event of the run), or the scenario's own budget if larger
    /// (fault-anywhere-cancel-drained: a cancel during ram_save_setup's sync comes up 3 times in 1500 schedules).
    /// </summary>
    private const int AnywhereIterations = 600;

    private static string Models => ModelsFolder.Find() ?? throw new InvalidOperationException("models/ not found");

    [Fact]
    public void EverySiteIsMarkedOnceInTheEngineAndEveryMarkIsRegistered()
    {
        var engine = Path.Combine(Path.GetDirectoryName(Models)!, "src", "Multifd.Engine");
        var marks = Directory.EnumerateFiles(engine, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}"))
            .SelectMany(f => Regex.Matches(File.ReadAllText(f), @"\.Site\(""([^""]+)""\)").Select(m => m.Groups[1].Value))
            .ToList();
        var registered = ErrorPathSites.All.Select(s => s.Id).ToList();
        Assert.Equal(registered.Count, registered.Distinct().Count());
        Assert.Empty(marks.GroupBy(m => m).Where(g => g.Count() > 1).Select(g => g.Key));
        Assert.Empty(marks.Except(registered));
        Assert.Empty(registered.Except(marks));
        Assert.True(registered.Count >= 100, $"only {registered.Count} sites");
        Assert.All(UnreachableSites.All.Keys, id => Assert.True(ErrorPathSites.IsKnown(id), $"unknown site {id} in UnreachableSites"));
    }

    [Fact]
    public void DocsListTheUnreachableSitesAndTheSiteCount()
    {
        var docs = File.ReadAllText(Path.Combine(Path.GetDirectoryName(Models)!, "docs", "cli.md"));
        var start = docs.IndexOf("### Error-path sites", StringComparison.Ordinal);
        Assert.True(start >= 0, "docs/cli.md has no section Error-path sites");
        var section = docs[start..docs.IndexOf("\n#", start + 1, StringComparison.Ordinal)];
        var listed = Regex.Matches(section, @"^\| `([a-z]+\.[a-z0-9-]+)` \| (.+) \|$", RegexOptions.Multiline)
            .ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);
        Assert.Equal(UnreachableSites.All.Keys.Order(), listed.Keys.Order());
        Assert.All(UnreachableSites.All, kv => Assert.Equal(kv.Value, listed[kv.Key]));
        Assert.Contains($"`src/Multifd.Engine/Core/ErrorPathSites.cs`: {ErrorPathSites.All.Count}\nsites", docs);
        Assert.Contains($"`error-path sites: R of {ErrorPathSites.All.Count}", docs);
    }

    [Fact]
    public void ManifestPassScenariosReachEverySiteNotListedUnreachable()
    {
        var reached = new Dictionary<string, string>(); // site -> the first scenario that reached it
        foreach (var entry in Manifest.Load(Models).Scenarios.Where(e => e.ExpectsPass && e.Variant is null))
        {
            var scenario = ModelsFolder.LoadScenario(entry.Scenario);
            var options = Expectations.OptionsFor(entry, scenario) with
            {
                Iterations = scenario.FaultPoints != Simulation.FaultPoints.Fixed ? Math.Max(AnywhereIterations, scenario.Exploration.Iterations)
                    : scenario.Faults.Count > 0 ? FaultIterations
                    : Math.Min(Iterations, scenario.Exploration.Iterations),
            };
            var result = Explorer.Run(options);
            Assert.True(result.Violation is null, $"{entry.Label}: {result.Violation?.Message}");
            foreach (var site in result.Sites.Keys)
            {
                reached.TryAdd(site, entry.Label);
            }

            output.WriteLine($"{entry.Label}: {result.Sites.Count} sites in {result.SchedulesExplored} schedules, {result.ElapsedSeconds:F1}s; "
                + $"situations {string.Join(" ", result.Situations.Keys.Order())}");
        }

        var missed = ErrorPathSites.All.Select(s => s.Id).Where(id => !reached.ContainsKey(id) && !UnreachableSites.All.ContainsKey(id)).ToList();
        var stale = UnreachableSites.All.Keys.Where(reached.ContainsKey).Select(id => $"{id} (reached by {reached[id]})").ToList();
        output.WriteLine($"reached {reached.Count} of {ErrorPathSites.All.Count}; missed: {string.Join(", ", missed)}");
        Assert.True(missed.Count == 0, $"sites no pass-scenario reached: {string.Join(", ", missed)}");
        Assert.True(stale.Count == 0, $"sites listed unreachable but reached: {string.Join(", ", stale)}");
    }

    [Fact]
    public void RequireSitesMakesAPassThatMissesASiteInconclusive()
    {
        var scenario = ModelsFolder.LoadScenario("small-1x2x1");
        var options = CheckOptions.For(scenario) with { Iterations = 5, RequireSites = true };
        var result = Explorer.Run(options);
        Assert.Null(result.Violation);
        // A clean migration takes no error path: its unreached sites make the pass inconclusive.
        Assert.Contains("vfio.load-thread-write-failed", result.MissedSites);
        Assert.DoesNotContain(result.MissedSites, result.Sites.ContainsKey);
        var entry = Manifest.Parse("""{ "scenarios": [ { "scenario": "small-1x2x1", "verdict": "pass", "cleanFailures": "never" } ] }""", "inline")
            .Scenarios[0];
        Assert.Contains(Expectations.Judge(entry, result), p => p.Contains("--require-sites"));
        var without = Explorer.Run(options with { RequireSites = false });
        Assert.Empty(without.MissedSites);
        Assert.Empty(Expectations.Judge(entry, without));
    }
}

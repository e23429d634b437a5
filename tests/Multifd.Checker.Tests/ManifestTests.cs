using Multifd.Checker.Entry;
using Multifd.Checker.Exploration;
using Multifd.Checker.Scenarios;
using Xunit.Abstractions;

namespace Multifd.Checker.Tests;

/// <summary>models/manifest.json is data the tests hold: every entry's expected verdict must come out.</summary>
public class ManifestTests(ITestOutputHelper output)
{
    /// <summary>Schedules per passing entry: enough to reach its mustReach situations with the scenario's seed.</summary>
    private const int PassIterations = 40;

    /// <summary>
    /// Schedules a bug entry may take to find its violation. The search stops at the first violation, so this bound only
    /// costs time when a bug is no longer found; it must not be tight, because how soon a rare bug comes up depends on
    /// the seed and on every scheduling point of the model (with seeds 1..8 the baseline model needed up to 315
    /// schedules for load-thread-at-setup and up to 162 for fault-source-cancel).
    /// </summary>
    private const int BugIterations = 1000;

    private static string Models => ModelsFolder.Find() ?? throw new InvalidOperationException("models/ not found");

    public static TheoryData<string> Entries()
    {
        var data = new TheoryData<string>();
        foreach (var e in Manifest.Load(Models).Scenarios)
        {
            data.Add(e.Label);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Entries))]
    public void EntryHolds(string label)
    {
        var entry = Manifest.Load(Models).Scenarios.Single(e => e.Label == label);
        var scenario = ModelsFolder.LoadScenario(entry.Scenario);
        var options = Expectations.OptionsFor(entry, scenario) with
        {
            Iterations = entry.ExpectsPass ? Math.Min(PassIterations, scenario.Exploration.Iterations) : BugIterations,
        };

        var result = Explorer.Run(options);
        output.WriteLine($"{label}: {result.SchedulesExplored} schedules in {result.ElapsedSeconds:F2}s, decisions {result.Decisions}");
        output.WriteLine("outcomes: " + string.Join(", ", result.Outcomes.Select(kv => $"{kv.Key}={kv.Value}")));
        output.WriteLine($"violation: {result.Violation?.Property} {result.Violation?.Message}");
        var problems = Expectations.Judge(entry, result);
        Assert.True(problems.Count == 0, $"{label}: " + string.Join("; ", problems));
        if (!entry.ExpectsPass)
        {
            ReplayReproduces(label, options, result);
        }
    }

    /// <summary>A bug's trace replays: the same property, the same message, the same sequence of events.</summary>
    private void ReplayReproduces(string label, CheckOptions options, CheckResult found)
    {
        var replay = Explorer.Run(options with { ReplayTrace = found.Trace, Iterations = 1 });
        output.WriteLine($"replay: {replay.Violation?.Property} after {replay.Timeline?.Count} events");
        Assert.True(replay.Violation is not null, $"{label}: the trace did not reproduce the violation");
        Assert.Equal(found.Violation!.Property, replay.Violation.Property);
        Assert.Equal(found.Violation.Message, replay.Violation.Message);
        Assert.Equal(
            found.Timeline!.Select(t => $"{t.Step} {t.Observation}"),
            replay.Timeline!.Select(t => $"{t.Step} {t.Observation}"));
    }

    [Fact]
    public void EveryKnownBugVariantHasABugEntry()
    {
        var entries = Manifest.Load(Models).Scenarios;
        var caught = entries.Where(e => !e.ExpectsPass)
            .Select(e => e.Variant ?? ModelsFolder.LoadScenario(e.Scenario).Variant)
            .ToHashSet();
        var missing = Variants.All.Where(v => v.Variant != Engine.ProtocolVariant.Correct && !caught.Contains(v.Name)).Select(v => v.Name).ToList();
        Assert.True(missing.Count == 0, $"variants no manifest entry expects to be caught: {string.Join(", ", missing)}");
    }

    [Fact]
    public void EveryPropertyIsBrokenByABugEntry()
    {
        var broken = Manifest.Load(Models).Scenarios.Where(e => !e.ExpectsPass).Select(e => e.Property).ToHashSet();
        var unbroken = Manifest.KnownProperties.Where(p => !broken.Contains(p)).ToList();
        Assert.True(unbroken.Count == 0, $"properties no bug entry breaks: {string.Join(", ", unbroken)}");
    }

    [Fact]
    public void TheUnmergedCountLimitIsLabelledWhereverAScenarioTurnsItOn()
    {
        const string label = "proposed in the reviewed series (v2..v6, dc15bcb035), not merged";
        var users = Directory.GetFiles(Models, "*.json").Select(Path.GetFileNameWithoutExtension).OfType<string>()
            .Where(n => n != "manifest")
            .Select(ModelsFolder.LoadScenario)
            .Where(s => UnmergedKnobs.Of(s).Count > 0)
            .ToList();
        Assert.Equal(["tight-count-limit"], users.Select(s => s.Name));
        Assert.All(users, s => Assert.Contains(label, s.Description));
        var entries = Manifest.Load(Models).Scenarios.Where(e => users.Any(s => s.Name == e.Scenario)).ToList();
        Assert.NotEmpty(entries);
        Assert.All(entries, e => Assert.Contains(label, e.Note ?? ""));
    }

    [Fact]
    public void EveryScenarioInModelsHasAnEntry()
    {
        var listed = Manifest.Load(Models).Scenarios.Select(e => e.Scenario).ToHashSet();
        var unlisted = Directory.GetFiles(Models, "*.json").Select(Path.GetFileNameWithoutExtension)
            .Where(n => n != "manifest" && !listed.Contains(n!)).ToList();
        Assert.True(unlisted.Count == 0, $"scenarios without a manifest entry: {string.Join(", ", unlisted)}");
    }

    [Fact]
    public void EveryCoyoteEntryPointRunsAScenarioExpectedToPass()
    {
        var passing = Manifest.Load(Models).Scenarios.Where(e => e.ExpectsPass && e.Variant is null).Select(e => e.Scenario).ToHashSet();
        var entryPoints = typeof(ScenarioTests).GetMethods()
            .Where(m => m.GetCustomAttributes(typeof(Microsoft.Coyote.SystematicTesting.TestAttribute), false).Length > 0)
            .Select(m => ScenarioTests.ScenarioOf(m.Name))
            .ToList();
        Assert.Contains("default", entryPoints);
        Assert.All(entryPoints, s => Assert.Contains(s, passing));
    }
}

/// <summary>The manifest is read strictly: each mistake is refused with the field and what is wrong.</summary>
public class ManifestValidationTests
{
    private static readonly HashSet<string> Known = ["default", "tight-count-limit"];

    private static ScenarioException Refused(string entry) =>
        Assert.Throws<ScenarioException>(() => Manifest.Parse($$"""{ "scenarios": [ {{entry}} ] }""", "manifest.json", Known));

    [Fact]
    public void AcceptsPassAndBugEntries()
    {
        var m = Manifest.Parse("""
            { "scenarios": [
              { "scenario": "default", "verdict": "pass", "cleanFailures": "never" },
              { "scenario": "tight-count-limit", "verdict": "pass", "cleanFailures": "required", "failureKinds": ["queue-limit"] },
              { "scenario": "tight-count-limit", "variant": "queued-count-drift", "verdict": "bug", "property": "P6" },
              { "scenario": "default", "variant": "no-config-interlock", "verdict": "bug", "property": "P5b", "note": "why" },
              { "scenario": "default", "variant": "lock-order-inversion", "verdict": "bug", "property": "P10", "alsoProperties": ["P3"] }
            ] }
            """, "manifest.json", Known);
        Assert.Equal(5, m.Scenarios.Count);
        Assert.True(m.Scenarios[4].Accepts("P3"));
        Assert.True(m.Scenarios[4].Accepts("P10"));
        Assert.False(m.Scenarios[4].Accepts("P7"));
        Assert.Equal("P10 (or P3)", m.Scenarios[4].ExpectedProperties());
        Assert.Equal(CleanFailures.Required, m.Scenarios[1].CleanFailures);
        Assert.Equal("tight-count-limit/queued-count-drift", m.Scenarios[2].Label);
    }

    [Theory]
    [InlineData("""{ "scenario": "default", "verdict": "pass", "cleanFailures": "never", "expected": 1 }""", "scenarios[0].expected", "unknown field")]
    [InlineData("""{ "scenario": "default", "verdict": "pass", "cleanFailures": "never", "alsoProperties": ["P3"] }""", "scenarios[0].alsoProperties", "only a \"bug\" entry")]
    [InlineData("""{ "scenario": "default", "verdict": "bug", "property": "P10", "alsoProperties": ["P10"] }""", "scenarios[0].alsoProperties", "other known properties")]
    [InlineData("""{ "scenario": "default", "verdict": "bug", "property": "P10", "alsoProperties": ["P14"] }""", "scenarios[0].alsoProperties", "got \"P14\"")]
    [InlineData("""{ "scenario": "nope", "verdict": "pass", "cleanFailures": "never" }""", "scenarios[0].scenario", "no such scenario \"nope\"")]
    [InlineData("""{ "scenario": "default", "verdict": "fail", "cleanFailures": "never" }""", "scenarios[0].verdict", "\"pass\" or \"bug\"")]
    [InlineData("""{ "scenario": "default", "verdict": "pass" }""", "scenarios[0].cleanFailures", "\"never\", \"allowed\" or \"required\"")]
    [InlineData("""{ "scenario": "default", "verdict": "pass", "cleanFailures": "sometimes" }""", "scenarios[0].cleanFailures", "")]
    [InlineData("""{ "scenario": "default", "verdict": "pass", "cleanFailures": "never", "property": "P6" }""", "scenarios[0].property", "only a \"bug\" entry")]
    [InlineData("""{ "scenario": "default", "verdict": "bug" }""", "scenarios[0].property", "must name the violated property")]
    [InlineData("""{ "scenario": "default", "verdict": "bug", "property": "P14" }""", "scenarios[0].property", "got \"P14\"")]
    [InlineData("""{ "scenario": "default", "verdict": "bug", "property": "P6", "cleanFailures": "allowed" }""", "scenarios[0].cleanFailures", "first violation")]
    [InlineData("""{ "scenario": "default", "variant": "nope", "verdict": "bug", "property": "P6" }""", "scenarios[0].variant", "unknown variant \"nope\"")]
    [InlineData("""{ "scenario": "default", "verdict": "pass", "cleanFailures": "allowed", "failureKinds": ["timeout"] }""", "scenarios[0].failureKinds", "unknown failure kind \"timeout\"")]
    [InlineData("""{ "scenario": "default", "verdict": "pass", "cleanFailures": "never", "failureKinds": ["rejected"] }""", "scenarios[0].failureKinds", "cleanFailures is \"never\"")]
    [InlineData("""{ "verdict": "pass", "cleanFailures": "never" }""", "scenarios[0]", "missing required properties including: 'scenario'")]
    [InlineData("""{ "scenario": "default", "verdict": "pass", "cleanFailures": "never", "deep": { "delays": 1 } }""", "scenarios[0].deep", "only a \"bug\" entry is a deep known bug")]
    [InlineData("""{ "scenario": "default", "verdict": "bug", "property": "P10", "deep": { "delays": -1 } }""", "scenarios[0].deep.delays", "must be 0 or more")]
    [InlineData("""{ "scenario": "default", "verdict": "bug", "property": "P10", "deep": { "fault": "source-cancel" } }""", "scenarios[0].deep", "missing required properties including: 'delays'")]
    [InlineData("""{ "scenario": "default", "verdict": "bug", "property": "P10", "deep": { "delays": 0, "fault": "power-cut" } }""", "scenarios[0].deep.fault", "unknown fault \"power-cut\"")]
    public void RefusesAMistake(string entry, string field, string problem)
    {
        var e = Refused(entry);
        Assert.Equal(field, e.Field);
        Assert.Contains(problem, e.Message);
    }

    [Fact]
    public void RefusesAnEntryListedTwice()
    {
        var e = Refused("""{ "scenario": "default", "verdict": "pass", "cleanFailures": "never" }, { "scenario": "default", "verdict": "pass", "cleanFailures": "allowed" }""");
        Assert.Equal("scenarios[1].scenario", e.Field);
        Assert.Contains("listed twice", e.Message);
    }
}

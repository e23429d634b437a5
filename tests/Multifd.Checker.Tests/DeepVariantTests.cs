using Multifd.Checker.Benchmarks;
using Multifd.Checker.Exploration;
using Multifd.Checker.Scenarios;
using Multifd.Engine;
using Xunit.Abstractions;

namespace Multifd.Checker.Tests;

/// <summary>
/// The deep known-bug variants (docs/deep-variants.md): each is found by `check` with its manifest property within the
/// scenario's default budget, the correct protocol passes the same scenario, and the depth the manifest states is
/// exact: a complete exhaustive search with one delay fewer finds nothing, one with the stated delays finds the bug,
/// and where a fault is stated, the same search without the fault finds nothing.
/// </summary>
public class DeepVariantTests(ITestOutputHelper output)
{
    public static TheoryData<string> DeepEntries()
    {
        var data = new TheoryData<string>();
        foreach (var bug in BenchRunner.DeepBugs(ModelsFolder.Find()!))
        {
            data.Add(bug.Entry.Label);
        }

        return data;
    }

    private static KnownBug Deep(string label) => BenchRunner.DeepBugs(ModelsFolder.Find()!).Single(b => b.Entry.Label == label);

    [Fact]
    public void TheManifestHasAtLeastSixDeepVariantsEachOfItsOwn()
    {
        var deep = BenchRunner.DeepBugs(ModelsFolder.Find()!);
        Assert.True(deep.Count >= 6, $"{deep.Count} deep entries");
        Assert.Equal(deep.Count, deep.Select(b => b.Variant).Distinct().Count());
        Assert.DoesNotContain(BenchRunner.KnownBugs(ModelsFolder.Find()!), b => b.Entry.Deep is not null);
        // Deep means: at least one specific delay, or a fault at a point the search chooses.
        Assert.All(deep, b => Assert.True(b.Entry.Deep!.Delays >= 1 || b.Entry.Deep.Fault is not null, b.Entry.Label));
    }

    [Theory]
    [MemberData(nameof(DeepEntries))]
    public void CheckFindsItWithItsManifestPropertyAndTheCorrectProtocolPassesTheSameScenario(string label)
    {
        var bug = Deep(label);
        var found = Explorer.Run(Expectations.OptionsFor(bug.Entry, bug.Scenario) with { Seed = 1 });
        output.WriteLine($"{label}: schedule {found.FirstBugIteration}: {found.Violation?.Property} {found.Violation?.Message}");
        Assert.Null(found.InternalError);
        Assert.NotNull(found.Violation);
        Assert.True(bug.Entry.Accepts(found.Violation.Property), $"{label}: {found.Violation.Property}, expected {bug.Entry.ExpectedProperties()}");
        Assert.NotNull(found.Trace);

        // The correct protocol on the same scenario, judged by the scenario's own pass entry.
        var pass = Manifest.Load(ModelsFolder.Find()!).Scenarios.Single(e => e.Scenario == bug.Scenario.Name && e.Variant is null);
        Assert.True(pass.ExpectsPass, $"{bug.Scenario.Name} has no pass entry");
        var options = Expectations.OptionsFor(pass, bug.Scenario) with { Seed = 1 };
        Assert.Equal(ProtocolVariant.Correct, options.Variant);
        var correct = Explorer.Run(options);
        output.WriteLine($"{bug.Scenario.Name}/correct: {correct.SchedulesExplored} schedules, violation {correct.Violation?.Property}");
        Assert.Empty(Expectations.Judge(pass, correct));
        Assert.Equal(options.Iterations, correct.SchedulesExplored);
    }

    [Theory]
    [MemberData(nameof(DeepEntries))]
    public void ItsMinimalDepthIsTheManifestsAndItsFaultIsNeeded(string label)
    {
        var bug = Deep(label);
        var deep = bug.Entry.Deep!;
        var options = Expectations.OptionsFor(bug.Entry, bug.Scenario);
        if (deep.Delays > 0)
        {
            var below = Exhaustive(options, deep.Delays - 1);
            Assert.True(below.Exhaustive!.Complete && below.Violation is null,
                $"{label}: with {deep.Delays - 1} delays: {below.Exhaustive.Claim} {below.Violation?.Property} {below.InternalError}");
        }

        var at = Exhaustive(options, deep.Delays);
        Assert.NotNull(at.Violation);
        Assert.True(bug.Entry.Accepts(at.Violation.Property), $"{label}: {at.Violation.Property}");
        Assert.Equal(deep.Delays, at.Exhaustive!.ViolationDelays);

        // The exhaustive search's trace replays as a sampled one does: the same violation, the same events.
        var replay = Explorer.Run(options with { ReplayTrace = at.Trace, Iterations = 1 });
        Assert.Equal(at.Violation.Property, replay.Violation?.Property);
        Assert.Equal(at.Violation.Message, replay.Violation?.Message);
        Assert.Equal(at.Timeline!.Select(t => $"{t.Step} {t.Observation}"), replay.Timeline!.Select(t => $"{t.Step} {t.Observation}"));

        if (deep.Fault is { } fault)
        {
            Assert.Contains(bug.Scenario.Faults, f => Variants.Kebab(f.ToString()) == fault);
            var withoutFault = Exhaustive(options with { Scenario = bug.Scenario with { Faults = [] } }, deep.Delays);
            Assert.True(withoutFault.Exhaustive!.Complete && withoutFault.Violation is null,
                $"{label} without {fault}: {withoutFault.Exhaustive.Claim} {withoutFault.Violation?.Property}");
        }
    }

    private CheckResult Exhaustive(CheckOptions options, int delays)
    {
        var result = Explorer.Run(options with { Exhaustive = new ExhaustiveOptions(null, null, DelayBound: delays) });
        output.WriteLine($"delay bound {delays}: {result.Exhaustive?.Claim}");
        Assert.Null(result.InternalError);
        Assert.Empty(result.Uncontrolled);
        return result;
    }
}

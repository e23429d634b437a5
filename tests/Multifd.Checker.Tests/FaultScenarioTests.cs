using Multifd.Checker.Exploration;
using Multifd.Checker.Scenarios;
using Xunit.Abstractions;

namespace Multifd.Checker.Tests;

/// <summary>
/// Faults and hostile sources on the correct protocol: every such scenario the manifest expects to pass holds
/// over 500 schedules (clean failures are fine and counted; no property may be violated).
/// </summary>
public class FaultScenarioTests(ITestOutputHelper output)
{
    private const int Schedules = 500;

    public static TheoryData<string> Entries()
    {
        var data = new TheoryData<string>();
        foreach (var e in Manifest.Load(ModelsFolder.Find()!).Scenarios)
        {
            if (e.ExpectsPass && e.Variant is null && (e.Scenario.StartsWith("fault-", StringComparison.Ordinal)
                                                       || e.Scenario.StartsWith("hostile-", StringComparison.Ordinal)
                                                       || e.Scenario.StartsWith("gap-", StringComparison.Ordinal)))
            {
                data.Add(e.Scenario);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Entries))]
    public void HoldsOverFiveHundredSchedules(string name)
    {
        var entry = Manifest.Load(ModelsFolder.Find()!).Scenarios.Single(e => e.Scenario == name && e.Variant is null);
        var result = Explorer.Run(Expectations.OptionsFor(entry, ModelsFolder.LoadScenario(name)) with { Iterations = Schedules });
        output.WriteLine($"{name}: {result.SchedulesExplored} schedules in {result.ElapsedSeconds:F1}s; " +
                         string.Join(", ", result.Outcomes.Select(o => $"{o.Key} {o.Value}")));
        Assert.Equal(Schedules, result.SchedulesExplored);
        var problems = Expectations.Judge(entry, result);
        Assert.True(problems.Count == 0, $"{name}: " + string.Join("; ", problems));
    }
}

using Multifd.Checker.Exploration;
using Multifd.Checker.Scenarios;
using Xunit.Abstractions;

namespace Multifd.Checker.Tests;

public class ExplorerSmokeTests(ITestOutputHelper output)
{
    [Fact]
    public void DefaultScenarioPasses()
    {
        var scenario = ModelsFolder.LoadScenario("default");
        var result = Explorer.Run(CheckOptions.For(scenario) with { Iterations = 100 });
        output.WriteLine($"schedules {result.SchedulesExplored} in {result.ElapsedSeconds:F2}s, decisions {result.Decisions}");
        output.WriteLine("outcomes: " + string.Join(", ", result.Outcomes.Select(kv => $"{kv.Key}={kv.Value}")));
        output.WriteLine("situations: " + string.Join(", ", result.Situations.Select(kv => $"{kv.Key}={kv.Value}")));
        output.WriteLine("peaks: " + string.Join(", ", result.PeakQueued.Select(kv => $"{kv.Key}={kv.Value}")));
        Assert.Null(result.InternalError);
        Assert.Null(result.Violation?.Message);
        Assert.Equal(100, result.Outcomes.GetValueOrDefault("success"));
    }
}

using Multifd.Checker.Exploration;
using Multifd.Checker.Scenarios;
using Xunit.Abstractions;

namespace Multifd.Checker.Tests;

/// <summary>
/// The engine's acceptance: 2 devices x 4 data buffers, 2 channels, after-iter on, generous limits, 1,000
/// schedules on the correct protocol, every one a success with the destination's device images equal to the
/// source's (P3) and every thread joined (P8) — the properties are checked in every schedule.
/// </summary>
public class EngineAcceptanceTests(ITestOutputHelper output)
{
    [Fact]
    public void ThousandSchedulesLoadEveryDeviceImageExactly()
    {
        var scenario = ModelsFolder.LoadScenario("two-devices-four-buffers-after-iter");
        var r = Explorer.Run(CheckOptions.For(scenario) with { Iterations = 1000 });
        output.WriteLine($"{r.SchedulesExplored} schedules in {r.ElapsedSeconds:F1}s ({r.SchedulesPerSecond:F0}/s), " +
                         $"decisions per schedule min {r.Decisions.Min} avg {r.Decisions.Avg:F1} max {r.Decisions.Max}");
        Assert.Null(r.InternalError);
        Assert.Null(r.Violation?.Message);
        Assert.Equal(1000, r.SchedulesExplored);
        Assert.Equal(1000, r.Outcomes.GetValueOrDefault("success"));
        Assert.Empty(r.MissedSituations);
        Assert.Empty(r.Uncontrolled);
    }
}

using Multifd.Checker.Exploration;
using Multifd.Checker.Scenarios;
using Xunit.Abstractions;

namespace Multifd.Checker.Tests;

/// <summary>
/// Queue limits on the correct protocol: a tight limit fails migrations cleanly ("would exceed") without any
/// property violated except QEMU's own hang (P10) when the refused packet trails the destination's post-EOF error
/// check; limits that are never exceeded fail nothing.
/// </summary>
public class LimitTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("tight-count-limit")]
    [InlineData("tight-byte-limit")]
    public void TightLimitFailsCleanlyAndOnlyHangsAsQemuDoes(string name)
    {
        var scenario = ModelsFolder.LoadScenario(name);
        var outcomes = new Dictionary<string, int>();
        var situations = new HashSet<string>();
        var hangs = 0;
        for (uint seed = 1; seed <= 5; seed++)
        {
            var r = Explorer.Run(CheckOptions.For(scenario) with { Seed = seed, Iterations = 20 });
            output.WriteLine($"seed {seed}: {r.SchedulesExplored} schedules, {Describe(r.Outcomes)}, violation {r.Violation?.Property} {r.Violation?.Message}");
            Assert.Null(r.InternalError);
            Assert.True(r.Violation is null || r.Violation.Property == "P10", $"seed {seed}: {r.Violation?.Property} {r.Violation?.Message}");
            hangs += r.Violation is null ? 0 : 1;
            foreach (var (label, count) in r.Outcomes)
            {
                outcomes[label] = outcomes.GetValueOrDefault(label) + count;
            }

            situations.UnionWith(r.Situations.Keys);
        }

        output.WriteLine($"all seeds: {Describe(outcomes)}, {hangs} hangs");
        Assert.True(outcomes.GetValueOrDefault("failed:queue-limit") > 0, $"no clean limit failure: {Describe(outcomes)}");
        Assert.True(outcomes.GetValueOrDefault("success") > 0, $"no success: {Describe(outcomes)}");
        Assert.All(outcomes.Keys, label => Assert.Contains(label, new[] { "success", "failed:queue-limit" }));
        Assert.All(scenario.MustReach, s => Assert.Contains(s, situations));
    }

    [Fact]
    public void GenerousSizeLimitIsReachedButNeverExceeded()
    {
        var scenario = ModelsFolder.LoadScenario("generous-limits");
        var r = Explorer.Run(CheckOptions.For(scenario) with { Iterations = 40 });
        output.WriteLine($"{r.SchedulesExplored} schedules, {Describe(r.Outcomes)}, peak {r.PeakQueued["dev0"]}");
        Assert.Null(r.Violation?.Message);
        Assert.Equal(40, r.Outcomes.GetValueOrDefault("success"));
        var limits = scenario.Devices[0].Destination;
        Assert.Null(limits.MaxQueuedBuffers); // QEMU's knob set: the size limit only
        var (count, bytes) = r.PeakQueued["dev0"];
        Assert.Equal(limits.MaxQueuedBuffersSizeBytes, bytes);
        Assert.Equal(4ul, count); // all 4 buffers (3 data + config) queued at once in some schedule
    }

    private static string Describe(IReadOnlyDictionary<string, int> outcomes) =>
        string.Join(", ", outcomes.OrderBy(kv => kv.Key).Select(kv => $"{kv.Key}={kv.Value}"));
}

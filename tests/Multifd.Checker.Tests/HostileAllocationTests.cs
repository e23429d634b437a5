using Multifd.Checker.Exploration;
using Multifd.Checker.Scenarios;
using Xunit.Abstractions;

namespace Multifd.Checker.Tests;

/// <summary>
/// What hostile indexes and packet sizes make the destination allocate (P13), with and without the size limit, as
/// QEMU's vfio_load_state_buffer_insert and multifd_device_state_recv allocate it.
/// </summary>
public class HostileAllocationTests(ITestOutputHelper output)
{
    private CheckResult Run(Scenario scenario, int schedules = 20)
    {
        var r = Explorer.Run(CheckOptions.For(scenario) with { Iterations = schedules });
        output.WriteLine($"{scenario.Name}: {r.SchedulesExplored} schedules, peak allocated " +
                         string.Join(", ", r.PeakAllocated.Select(kv => $"{kv.Key} {kv.Value}")) + $", violation {r.Violation?.Property} {r.Violation?.Message}");
        return r;
    }

    private static Scenario WithSizeLimit(Scenario s, ulong? limit) => s with
    {
        Devices = [s.Devices[0] with { Destination = s.Devices[0].Destination with { MaxQueuedBuffersSizeBytes = limit } }],
    };

    [Fact]
    public void AHugeIdxGrowsTheArrayBeforeAnyCheckWithinTheBudgetButBeyondASizeLimit()
    {
        var unlimited = Run(ModelsFolder.LoadScenario("hostile-huge-idx"));
        Assert.Null(unlimited.Violation);
        Assert.Equal(20, unlimited.Outcomes.GetValueOrDefault("success"));
        Assert.InRange(unlimited.PeakAllocated["dev0"], 1_000_004ul * 24, 1ul << 30); // the array of idx + 1 elements

        var limited = Run(ModelsFolder.LoadScenario("hostile-huge-idx-limited"));
        Assert.Equal("P13", limited.Violation?.Property);
        Assert.Contains("load_bufs grew to 1000004 elements", limited.Violation!.Message);
        Assert.Contains("x-migration-max-queued-buffers-size 1024 + allowance 1048576", limited.Violation.Message);
    }

    [Theory]
    [InlineData(null)]
    [InlineData(1024ul)]
    public void TheLargestIdxAndTheLargestPacketExceedAnyBoundWithOrWithoutTheLimit(ulong? limit)
    {
        var maxIdx = Run(WithSizeLimit(ModelsFolder.LoadScenario("hostile-max-idx"), limit), 1);
        Assert.Equal("P13", maxIdx.Violation?.Property);
        Assert.Contains("load_bufs grew to 4294967295 elements", maxIdx.Violation!.Message);
        Assert.Contains("load_bufs array 103079215080", maxIdx.Violation.Message);

        var hugePacket = Run(WithSizeLimit(ModelsFolder.LoadScenario("hostile-huge-packet"), limit), 1);
        Assert.Equal("P13", hugePacket.Violation?.Property);
        Assert.Contains("a 4294967295-byte payload buffer for dev0/vfio was allocated on recv[", hugePacket.Violation!.Message);
    }

    [Theory]
    [InlineData(null)]
    [InlineData(1024ul)]
    public void IdxUint32MaxIsRefusedBeforeTheArrayGrows(ulong? limit)
    {
        var r = Run(WithSizeLimit(ModelsFolder.LoadScenario("hostile-idx-uint32-max"), limit));
        Assert.Null(r.Violation);
        Assert.Equal(20, r.Outcomes.GetValueOrDefault("failed:rejected"));
        // The device's own 3 data buffers and its config at most, and the recv buffers: nothing for UINT32_MAX.
        Assert.InRange(r.PeakAllocated["dev0"], 1ul, 4096ul);
    }
}

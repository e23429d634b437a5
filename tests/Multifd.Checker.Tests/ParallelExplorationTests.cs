using Multifd.Checker.Exploration;
using Multifd.Checker.Scenarios;
using Xunit.Abstractions;

namespace Multifd.Checker.Tests;

/// <summary>
/// --parallel and --shard explore exactly the schedules of the plain run: every seed block is explored by its own engine
/// whatever thread or process runs it, so counts, outcomes and the first violation are the same (no timing involved).
/// </summary>
public class ParallelExplorationTests(ITestOutputHelper output)
{
    private static CheckOptions Default(int iterations, int perSeed) =>
        CheckOptions.For(ModelsFolder.LoadScenario("default")) with { Iterations = iterations, SchedulesPerSeed = perSeed };

    private static void SameExploration(CheckResult expected, CheckResult actual)
    {
        ExplorationAssert.SameSchedules(expected, actual);
        Assert.Equal(expected.SeedBlocks, actual.SeedBlocks);
    }

    [Fact]
    public void TwoWorkersExploreWhatOneWorkerExplores()
    {
        var one = Explorer.Run(Default(40, 10));
        var two = Explorer.Run(Default(40, 10) with { Parallel = 2 });
        output.WriteLine($"one: {one.SchedulesExplored} in {one.ElapsedSeconds:F2}s; two: {two.SchedulesExplored} in {two.ElapsedSeconds:F2}s");
        Assert.Null(one.Violation);
        Assert.Equal(4, one.SeedBlocks.Count);
        SameExploration(one, two);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void PinnedWorkersExploreWhatFreeWorkersExplore(int workers)
    {
        var (pinnedBefore, swappedBefore) = (CorePinning.ThreadsPinned, QuietHandOff.Swapped);
        var pinned = Explorer.Run(Default(40, 10) with { Parallel = workers });
        var pinnedThreads = CorePinning.ThreadsPinned - pinnedBefore;
        var swapped = QuietHandOff.Swapped - swappedBefore;
        var free = Explorer.Run(Default(40, 10) with { Parallel = workers, PinWorkers = false });
        var cpus = CorePinning.AllowedCpus().Count;
        output.WriteLine($"{cpus} CPUs, {workers} workers; pinned: {pinned.ElapsedSeconds:F2}s, {pinnedThreads} threads pinned, " +
            $"{swapped} wake-up events swapped; free: {free.ElapsedSeconds:F2}s");

        SameExploration(free, pinned);
        if (cpus >= 2)
        {
            // each schedule's test entry and every QEMU thread it starts (at least the entry and one thread), and each
            // of them (not the worker's own thread, which runs no operation) waits without spinning
            Assert.True(pinnedThreads >= 2 * pinned.SchedulesExplored,
                $"{pinnedThreads} threads pinned over {pinned.SchedulesExplored} schedules");
            Assert.Equal(pinnedThreads - workers, swapped);
        }
        else
        {
            Assert.Equal(0, pinnedThreads);
        }
    }

    [Fact]
    public void PinningChoosesOneCpuPerWorkerAndTheCurrentOneForALoneWorker()
    {
        var cpus = CorePinning.AllowedCpus();
        Assert.Null(CorePinning.CpuFor(1, 2, enabled: false));
        Assert.Null(CorePinning.CpuFor(0, 1, enabled: false));
        if (cpus.Count >= 2)
        {
            Assert.Contains(CorePinning.CpuFor(0, 1, enabled: true)!.Value, cpus);
            Assert.Equal(cpus[0], CorePinning.CpuFor(0, 2, enabled: true));
            Assert.Equal(cpus[1], CorePinning.CpuFor(1, 2, enabled: true));
            Assert.Equal(cpus[0], CorePinning.CpuFor(cpus.Count, cpus.Count + 1, enabled: true));
        }
        else
        {
            Assert.Null(CorePinning.CpuFor(0, 1, enabled: true));
            Assert.Null(CorePinning.CpuFor(1, 2, enabled: true));
        }
    }

    [Fact]
    public void APinnedWorkerGetsItsCpusBackAfterTheExploration()
    {
        var before = CorePinning.AllowedCpus();
        Explorer.Run(Default(10, 10));
        Assert.Equal(before, CorePinning.AllowedCpus());
    }

    [Fact]
    public void TheQuietHandOffFindsCoyotesWakeUpEvent()
    {
        // Coyote 1.7.11's private ControlledOperation.SyncEvent and CoyoteRuntime.ExecutingOperation: a Coyote upgrade
        // that moves them fails here instead of silently spinning again
        Assert.True(QuietHandOff.Supported);
        Assert.False(QuietHandOff.Apply()); // this thread runs no Coyote operation
    }

    [Fact]
    public void ShardsMergedAreTheUnshardedRun()
    {
        var whole = Explorer.Run(Default(30, 10));
        var shards = Enumerable.Range(1, 2).Select(k => Explorer.Run(Default(30, 10) with { Shard = new Shard(k, 2) })).ToList();

        Assert.Equal([0L, 2], shards[0].SeedBlocks.Select(b => b.Index));
        Assert.Equal([1L], shards[1].SeedBlocks.Select(b => b.Index));
        Assert.Equal(whole.SchedulesExplored, shards.Sum(s => s.SchedulesExplored));
        foreach (var (key, count) in whole.Outcomes)
        {
            Assert.Equal(count, shards.Sum(s => s.Outcomes.GetValueOrDefault(key)));
        }

        foreach (var (key, count) in whole.Situations)
        {
            Assert.Equal(count, shards.Sum(s => s.Situations.GetValueOrDefault(key)));
        }

        var total = shards.Sum(s => s.Decisions.Avg * s.SchedulesExplored);
        Assert.Equal(whole.Decisions.Avg * whole.SchedulesExplored, total, precision: 6);
    }

    [Fact]
    public void TwoWorkersReportTheViolationOneWorkerFinds()
    {
        // One schedule per seed block: the first violation is in some block j, found by whichever worker ran it.
        var options = CheckOptions.For(ModelsFolder.LoadScenario("default"), "load-thread-at-setup") with
        {
            Iterations = 400,
            SchedulesPerSeed = 1,
        };
        var one = Explorer.Run(options);
        var two = Explorer.Run(options with { Parallel = 2 });
        output.WriteLine($"one: {one.Violation?.Property} at {one.FirstBugIteration} (seed {one.FirstBugSeed}); " +
                         $"two: {two.Violation?.Property} at {two.FirstBugIteration} (seed {two.FirstBugSeed}), {two.SchedulesExplored} schedules");
        Assert.Equal("P2", one.Violation?.Property);
        Assert.Equal(one.Violation, two.Violation);
        Assert.Equal(one.FirstBugIteration, two.FirstBugIteration);
        Assert.Equal(one.FirstBugSeed, two.FirstBugSeed);
        Assert.Equal(one.Trace, two.Trace);
        Assert.Equal(SeedPlan.BlockSeed(options.Seed, one.FirstBugIteration!.Value - 1), one.FirstBugSeed);
        // Every block below the failing one ran to its end; later ones may have run too (and are counted).
        Assert.InRange(two.SchedulesExplored, one.SchedulesExplored, options.Iterations);
    }

    /// <summary>
    /// A QEMU thread runs on a pooled OS thread that may have been pinned by an earlier exploration: in an exploration
    /// that is not pinned it must run on every CPU the process has (the bench measures pinned and free in one process).
    /// </summary>
    [Fact]
    public void APooledThreadPinnedEarlierRunsFreeInAnExplorationThatIsNotPinned()
    {
        var cpus = CorePinning.AllowedCpus().Count;
        Multifd.Simulation.CoyoteHints.Install();
        int[] Probe(int? cpu)
        {
            var seen = new List<int>();
            var configuration = Explorer.Configure(Default(5, 5));
            using var pinning = CorePinning.Enter(cpu);
            using var engine = Microsoft.Coyote.SystematicTesting.TestingEngine.Create(configuration, () =>
            {
                Multifd.Engine.Core.QemuThread.Adopt("main");
                var probes = Enumerable.Range(0, 4).Select(i => Multifd.Engine.Core.QemuThread.Create($"probe{i}", _ =>
                {
                    lock (seen)
                    {
                        seen.Add(CorePinning.AllowedCpus().Count);
                    }
                })).ToList();
                probes.ForEach(p => p.Join());
            });
            engine.Run();
            return [.. seen];
        }

        var pinned = Probe(CorePinning.CpuFor(0, 2, enabled: true));
        var free = Probe(null);
        output.WriteLine($"{cpus} CPUs; pinned run: {string.Join(",", pinned)}; free run: {string.Join(",", free)}");
        Assert.Equal(20, pinned.Length);
        Assert.Equal(20, free.Length);
        Assert.All(pinned, n => Assert.Equal(cpus >= 2 ? 1 : cpus, n));
        Assert.All(free, n => Assert.Equal(cpus, n));
    }
}

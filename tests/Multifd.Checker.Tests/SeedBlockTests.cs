using Multifd.Checker.Exploration;
using Multifd.Checker.Scenarios;

namespace Multifd.Checker.Tests;

/// <summary>
/// How a run is cut into seed blocks and shards (SeedPlan, Shard) and how block results merge (BlockMerge): pure logic,
/// no exploration.
/// </summary>
public class SeedBlockTests
{
    private static CheckOptions Options(int iterations, int perSeed, Shard? shard = null, uint seed = 7) =>
        CheckOptions.For(new Scenario()) with { Iterations = iterations, SchedulesPerSeed = perSeed, Seed = seed, Shard = shard ?? Shard.Whole };

    private static List<SeedBlock> Blocks(CheckOptions options)
    {
        var plan = new SeedPlan(options);
        var blocks = new List<SeedBlock>();
        for (var k = 0L; plan.ShardBlock(k) is { } b; k++)
        {
            blocks.Add(b);
        }

        return blocks;
    }

    [Theory]
    [InlineData(1, 100)]
    [InlineData(100, 100)]
    [InlineData(101, 100)]
    [InlineData(1050, 100)]
    [InlineData(7, 1)]
    [InlineData(0, 10)]
    public void BlocksCoverEveryScheduleOnceInOrder(int iterations, int perSeed)
    {
        var blocks = Blocks(Options(iterations, perSeed));
        Assert.Equal(iterations, blocks.Sum(b => b.Schedules));
        var next = 0L;
        foreach (var b in blocks)
        {
            Assert.Equal(next, b.FirstSchedule);
            Assert.InRange(b.Schedules, 1, perSeed);
            next += b.Schedules;
        }
    }

    [Fact]
    public void TheFirstBlockUsesTheRunSeedSoShortRunsAreUnchanged()
    {
        var blocks = Blocks(Options(100, 100, seed: 42));
        Assert.Equal(42u, Assert.Single(blocks).Seed);
    }

    [Fact]
    public void BlockSeedsDifferWithinARunAndAcrossNeighbouringRunSeeds()
    {
        var seeds = new List<uint>();
        for (uint s = 1; s <= 5; s++)
        {
            seeds.AddRange(Enumerable.Range(0, 50).Select(j => SeedPlan.BlockSeed(s, j)));
        }

        Assert.Equal(seeds.Count, seeds.Distinct().Count());
    }

    [Theory]
    [InlineData(1050, 100, 1)]
    [InlineData(1050, 100, 2)]
    [InlineData(1050, 100, 3)]
    [InlineData(1050, 100, 11)]
    [InlineData(1050, 100, 12)]
    [InlineData(20, 3, 4)]
    public void TheShardsTogetherAreExactlyTheUnshardedRun(int iterations, int perSeed, int shards)
    {
        var whole = Blocks(Options(iterations, perSeed));
        var parts = Enumerable.Range(1, shards).Select(k => Blocks(Options(iterations, perSeed, new Shard(k, shards)))).ToList();

        Assert.Equal(whole, parts.SelectMany(p => p).OrderBy(b => b.Index));
        for (var k = 1; k <= shards; k++)
        {
            Assert.All(parts[k - 1], b => Assert.Equal(k - 1, b.Index % shards));
            Assert.Equal(parts[k - 1].Sum(b => (long)b.Schedules), new SeedPlan(Options(iterations, perSeed, new Shard(k, shards))).ShardSchedules);
        }
    }

    [Theory]
    [InlineData("1/1", 1, 1)]
    [InlineData("2/4", 2, 4)]
    [InlineData("4/4", 4, 4)]
    public void ParsesAShard(string text, int number, int count) => Assert.Equal(new Shard(number, count), Shard.TryParse(text));

    [Theory]
    [InlineData("0/4")]
    [InlineData("5/4")]
    [InlineData("1/0")]
    [InlineData("1")]
    [InlineData("a/b")]
    [InlineData("-1/2")]
    [InlineData("1/2/3")]
    public void RefusesANonShard(string text) => Assert.Null(Shard.TryParse(text));

    private static BlockResult Block(long index, int schedules, int perSeed = 10, Violation? violation = null, int? bugAt = null,
        Dictionary<string, int>? outcomes = null, Dictionary<string, int>? situations = null, (ulong, ulong)? peak = null,
        DecisionStats? decisions = null) => new()
    {
        Block = new SeedBlock(index, SeedPlan.BlockSeed(1, index), perSeed, index * perSeed),
        Schedules = schedules,
        ElapsedSeconds = 1,
        Violation = violation,
        FirstBugIteration = bugAt,
        Trace = violation is null ? null : $"trace of block {index}",
        Outcomes = outcomes ?? new Dictionary<string, int> { ["success"] = schedules },
        Situations = situations ?? new Dictionary<string, int>(),
        PeakQueued = peak is { } p ? new Dictionary<string, (ulong, ulong)> { ["dev0"] = p } : new Dictionary<string, (ulong, ulong)>(),
        Decisions = decisions ?? new DecisionStats(100, 100L * schedules, 100, schedules),
        Uncontrolled = index == 2 ? ["System.Threading.Timer"] : [],
    };

    [Fact]
    public void MergeAddsCountsTakesPeaksAndUnitesCalls()
    {
        var options = Options(30, 10) with { Scenario = new Scenario { MustReach = ["recv-sync", "partial-write"] } };
        var merged = BlockMerge.Merge(options,
        [
            Block(1, 10, outcomes: new() { ["success"] = 7, ["failed:channel"] = 3 }, situations: new() { ["recv-sync"] = 10 }, peak: (3, 100),
                decisions: new DecisionStats(50, 1500, 200, 10)),
            Block(0, 10, situations: new() { ["recv-sync"] = 4, ["buffer-out-of-order"] = 2 }, peak: (5, 90),
                decisions: new DecisionStats(80, 1000, 120, 10)),
            Block(2, 10),
        ], elapsedSeconds: 12);

        Assert.Equal(30, merged.SchedulesExplored);
        Assert.Equal(12, merged.ElapsedSeconds);
        Assert.Equal(new[] { 0L, 1, 2 }, merged.SeedBlocks.Select(b => b.Index));
        Assert.Equal(27, merged.Outcomes["success"]);
        Assert.Equal(3, merged.Outcomes["failed:channel"]);
        Assert.Equal(14, merged.Situations["recv-sync"]);
        Assert.Equal(2, merged.Situations["buffer-out-of-order"]);
        Assert.Equal((5ul, 100ul), merged.PeakQueued["dev0"]);
        Assert.Equal((50L, (1500 + 1000 + 1000) / 30.0, 200L), merged.Decisions);
        Assert.Equal(["partial-write"], merged.MissedSituations);
        Assert.Equal(["System.Threading.Timer"], merged.Uncontrolled);
        Assert.Null(merged.Violation);
        Assert.Null(merged.FirstBugIteration);
    }

    [Fact]
    public void MergeReportsTheLowestFailingBlockWhateverTheOrderTheyEnded()
    {
        var late = new Violation("P7", "LockDiscipline", "late");
        var early = new Violation("P10", "NoHang", "early");
        var merged = BlockMerge.Merge(Options(50, 10),
        [
            Block(3, 2, violation: late, bugAt: 2),
            Block(0, 10),
            Block(1, 4, violation: early, bugAt: 4),
            Block(2, 10),
        ], elapsedSeconds: 1);

        Assert.Equal(early, merged.Violation);
        Assert.Equal(10 + 4, merged.FirstBugIteration);
        Assert.Equal(SeedPlan.BlockSeed(1, 1), merged.FirstBugSeed);
        Assert.Equal("trace of block 1", merged.Trace);
        Assert.Equal(26, merged.SchedulesExplored);
    }

    [Fact]
    public void MergeOfAnInternalErrorIsAnInternalError()
    {
        var merged = BlockMerge.Merge(Options(20, 10), [Block(0, 10), Block(1, 3) with { InternalError = "boom", FirstBugIteration = 3 }], 1);
        Assert.Equal("boom", merged.InternalError);
        Assert.Null(merged.Violation);
    }
}

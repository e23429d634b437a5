using System.Globalization;

namespace Multifd.Checker.Exploration;

/// <summary>
/// Which part of a run this process explores: shard <see cref="Number"/> (1-based) of <see cref="Count"/>.
/// Shard k of n explores the seed blocks whose index j satisfies j mod n == k - 1, so the shards 1/n .. n/n
/// together explore exactly the blocks of the unsharded run.
/// </summary>
public readonly record struct Shard(int Number, int Count)
{
    public static Shard Whole => new(1, 1);

    public bool IsWhole => Count == 1;

    /// <summary>Whether this shard explores block <paramref name="blockIndex"/>.</summary>
    public bool Owns(long blockIndex) => blockIndex % Count == Number - 1;

    /// <summary>Parses "k/n" with 1 &lt;= k &lt;= n; null when the text is not such a pair.</summary>
    public static Shard? TryParse(string text)
    {
        var parts = text.Split('/');
        if (parts.Length == 2
            && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var k)
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var n)
            && n >= 1 && k >= 1 && k <= n)
        {
            return new Shard(k, n);
        }

        return null;
    }

    public override string ToString() => $"{Number}/{Count}";
}

/// <summary>
/// One seed block: up to <see cref="Schedules"/> schedules explored by one Coyote testing engine with
/// <see cref="Seed"/>. Its schedules are numbered from <see cref="FirstSchedule"/> (0-based) in the whole run.
/// </summary>
public sealed record SeedBlock(long Index, uint Seed, int Schedules, long FirstSchedule);

/// <summary>
/// How a run of N schedules with seed S is cut into seed blocks, so that it can be spread over threads, processes
/// and machines and still be one well-defined set of schedules: block j explores schedules j*B .. j*B+B-1 (B =
/// <see cref="CheckOptions.SchedulesPerSeed"/>, the last block takes the remainder) with seed
/// <see cref="BlockSeed"/>(S, j). Block 0 uses S itself, so a run of at most B schedules is exactly the Coyote
/// exploration `--seed S` always was. A time-bounded run has unboundedly many blocks, taken in index order.
/// </summary>
public sealed class SeedPlan
{
    private readonly CheckOptions options;

    public SeedPlan(CheckOptions options)
    {
        this.options = options;
        BlockCount = (options.Iterations + (long)options.SchedulesPerSeed - 1) / options.SchedulesPerSeed;
    }

    /// <summary>Blocks in the whole (unsharded) run.</summary>
    public long BlockCount { get; }

    /// <summary>Schedules this shard explores if nothing stops it early.</summary>
    public long ShardSchedules
    {
        get
        {
            var n = options.Shard.Count;
            var r = options.Shard.Number - 1;
            var blocks = BlockCount > r ? (BlockCount - r + n - 1) / n : 0;
            return blocks == 0 ? 0 : (blocks - 1) * options.SchedulesPerSeed + Block(r + (blocks - 1) * n).Schedules;
        }
    }

    /// <summary>The <paramref name="k"/>-th block (0-based) of this shard, or null past its last block.</summary>
    public SeedBlock? ShardBlock(long k)
    {
        var shard = options.Shard;
        var index = k * shard.Count + (shard.Number - 1);
        return index < BlockCount ? Block(index) : null;
    }

    /// <summary>Block <paramref name="index"/> of the whole run.</summary>
    public SeedBlock Block(long index)
    {
        var first = index * options.SchedulesPerSeed;
        var schedules = (int)Math.Min(options.SchedulesPerSeed, options.Iterations - first);
        return new SeedBlock(index, BlockSeed(options.Seed, index), schedules, first);
    }

    /// <summary>
    /// The seed of block <paramref name="index"/> of a run with seed <paramref name="seed"/>: the seed itself for
    /// block 0, otherwise the low 32 bits of SplitMix64 applied to (seed &lt;&lt; 32 | index). Runs with different
    /// seeds thus share no block (unlike seed + index, which would make --seed 1 and --seed 2 overlap).
    /// </summary>
    public static uint BlockSeed(uint seed, long index)
    {
        if (index == 0)
        {
            return seed;
        }

        var z = ((ulong)seed << 32 | (ulong)index) + 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return (uint)(z ^ (z >> 31));
    }
}

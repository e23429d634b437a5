using Multifd.Simulation;

namespace Multifd.Checker.Exploration;

/// <summary>Scheduling decisions per schedule over some schedules: the least, the sum, the most, and over how many.</summary>
public sealed record DecisionStats(long Min, long Total, long Max, long Schedules)
{
    public double Avg => Schedules > 0 ? (double)Total / Schedules : 0;
}

/// <summary>What one seed block (one Coyote testing engine) explored and found.</summary>
public sealed record BlockResult
{
    public required SeedBlock Block { get; init; }

    public int Schedules { get; init; }

    public double ElapsedSeconds { get; init; }

    public DecisionStats Decisions { get; init; } = new(0, 0, 0, 0);

    /// <summary>The failing schedule's iteration in this block (1-based), or null.</summary>
    public int? FirstBugIteration { get; init; }

    public Violation? Violation { get; init; }

    public string? InternalError { get; init; }

    public string? Trace { get; init; }

    /// <summary>The failing schedule's timeline. Not sent by a worker process (<see cref="WorkerWire"/>): replayed.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public IReadOnlyList<TimelineEntry>? Timeline { get; init; }

    public IReadOnlyDictionary<string, int> Outcomes { get; init; } = new Dictionary<string, int>();

    public IReadOnlyDictionary<string, (ulong Count, ulong Bytes)> PeakQueued { get; init; } = new Dictionary<string, (ulong, ulong)>();

    public IReadOnlyDictionary<string, ulong> PeakAllocated { get; init; } = new Dictionary<string, ulong>();

    public IReadOnlyDictionary<string, int> Situations { get; init; } = new Dictionary<string, int>();

    public IReadOnlyDictionary<string, int> FaultsByKind { get; init; } = new Dictionary<string, int>();

    public IReadOnlyDictionary<string, int> FaultsByFunction { get; init; } = new Dictionary<string, int>();

    public IReadOnlyDictionary<string, int> Sites { get; init; } = new Dictionary<string, int>();

    public IReadOnlyList<string> Uncontrolled { get; init; } = [];

    /// <summary>Whether this block ended the run's search: a violation or an internal error.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public bool Failed => Violation is not null || InternalError is not null;
}

/// <summary>
/// Merges the results of seed blocks into one exploration's result: schedules, outcomes and situation counts add up,
/// queue peaks and decision bounds take the extreme, uncontrolled calls are united, and the reported failure is that
/// of the lowest-numbered failing block (the one a sequential run would have stopped at), with its trace and timeline.
/// </summary>
public static class BlockMerge
{
    public static CheckResult Merge(CheckOptions options, IReadOnlyCollection<BlockResult> blocks, double elapsedSeconds)
    {
        var ordered = blocks.OrderBy(b => b.Block.Index).ToList();
        var failing = ordered.FirstOrDefault(b => b.Failed);
        var decisions = ordered.Where(b => b.Decisions.Schedules > 0).Select(b => b.Decisions).ToList();
        var schedules = ordered.Sum(b => b.Schedules);
        var avg = decisions.Count == 0 ? 0 : (double)decisions.Sum(d => d.Total) / decisions.Sum(d => d.Schedules);
        return new CheckResult
        {
            Options = options,
            SchedulesExplored = schedules,
            SeedBlocks = [.. ordered.Select(b => b.Block)],
            ElapsedSeconds = elapsedSeconds > 0 ? elapsedSeconds : ordered.Sum(b => b.ElapsedSeconds),
            Decisions = decisions.Count == 0 ? (0, 0, 0) : (decisions.Min(d => d.Min), avg, decisions.Max(d => d.Max)),
            FirstBugIteration = failing?.FirstBugIteration is { } k ? (int)(failing.Block.FirstSchedule + k) : null,
            FirstBugSeed = failing?.Block.Seed,
            Violation = failing?.Violation,
            InternalError = failing?.InternalError,
            Trace = failing?.Trace,
            Timeline = failing is not null ? failing.Timeline : ordered.Count == 1 ? ordered[0].Timeline : null,
            Outcomes = Sum(ordered.Select(b => b.Outcomes)),
            PeakQueued = ordered.SelectMany(b => b.PeakQueued).GroupBy(kv => kv.Key)
                .ToDictionary(g => g.Key, g => (g.Max(kv => kv.Value.Count), g.Max(kv => kv.Value.Bytes))),
            PeakAllocated = ordered.SelectMany(b => b.PeakAllocated).GroupBy(kv => kv.Key).ToDictionary(g => g.Key, g => g.Max(kv => kv.Value)),
            Situations = Sum(ordered.Select(b => b.Situations)),
            FaultsByKind = Sum(ordered.Select(b => b.FaultsByKind)),
            FaultsByFunction = Sum(ordered.Select(b => b.FaultsByFunction)),
            Sites = Sum(ordered.Select(b => b.Sites)),
            MissedSites = options.RequireSites
                ? Engine.Core.ErrorPathSites.All.Select(s => s.Id).Where(s => !ordered.Any(b => b.Sites.ContainsKey(s))).ToList()
                : [],
            MissedSituations = options.Scenario.MustReach.Where(s => !ordered.Any(b => b.Situations.ContainsKey(s))).ToList(),
            Uncontrolled = [.. ordered.SelectMany(b => b.Uncontrolled).Distinct()],
        };
    }

    private static Dictionary<string, int> Sum(IEnumerable<IReadOnlyDictionary<string, int>> counts)
    {
        var sum = new Dictionary<string, int>();
        foreach (var (key, value) in counts.SelectMany(c => c))
        {
            sum[key] = sum.GetValueOrDefault(key) + value;
        }

        return sum;
    }
}

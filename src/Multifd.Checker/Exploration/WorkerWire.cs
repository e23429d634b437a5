using System.Text.Json;
using System.Text.Json.Serialization;
using Multifd.Checker.Scenarios;
using Multifd.Engine;

namespace Multifd.Checker.Exploration;

/// <summary>
/// The lines a worker process and its parent exchange (<see cref="WorkerProcess"/>, <see cref="WorkerHost"/>): one
/// message per line of UTF-8, a keyword and, for some, one JSON object.
/// </summary>
/// <remarks>
/// <para>Parent to worker: <c>setup {WorkerSetup}</c> once, then for each seed block <c>block {SeedBlock}</c>, and
/// <c>stop N</c> when block N is to end (a time budget, an interrupt, a lower block's violation): the worker ends it
/// after the schedule it is exploring when the line arrives. The worker does not wait for the parent between
/// schedules. The parent closes the worker's input when it has no more blocks; the worker then exits 0.</para>
/// <para>Worker to parent: <c>schedule 0|1</c> after each schedule (1: the block has found a bug), then
/// <c>result {BlockResult}</c> when the block ends; <c>error TEXT</c> when it cannot explore (the parent reports it
/// as an internal error of the block).</para>
/// <para>The failing schedule's timeline does not travel: the parent replays the failing schedule's trace to get it
/// (deterministic, as every bundle's replay).</para>
/// </remarks>
public static class WorkerWire
{
    public const string Setup = "setup";
    public const string Block = "block";
    public const string Stop = "stop";
    public const string Schedule = "schedule";
    public const string Result = "result";
    public const string Error = "error";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>Everything a worker needs to explore seed blocks as the parent would.</summary>
    public sealed record WorkerSetup(
        string ScenarioJson,
        string ScenarioName,
        string Variant,
        string Strategy,
        int MaxSteps,
        uint LivenessTemperatureThreshold,
        int SchedulesPerSeed,
        int? Cpu);

    public static WorkerSetup SetupFor(CheckOptions options, int? cpu) => new(
        ScenarioLoader.ToJson(options.Scenario),
        options.Scenario.Name,
        Variants.NameOf(options.Variant),
        options.Strategy,
        options.MaxSteps,
        options.LivenessTemperatureThreshold,
        options.SchedulesPerSeed,
        cpu);

    /// <summary>The options a worker explores its blocks with (one worker: it runs one block at a time).</summary>
    public static CheckOptions OptionsOf(WorkerSetup setup) => new()
    {
        Scenario = ScenarioLoader.Parse(setup.ScenarioJson, $"(scenario {setup.ScenarioName} from the parent)"),
        Variant = Variants.Parse(setup.Variant),
        Strategy = setup.Strategy,
        MaxSteps = setup.MaxSteps,
        LivenessTemperatureThreshold = setup.LivenessTemperatureThreshold,
        SchedulesPerSeed = setup.SchedulesPerSeed,
        Parallel = 1,
        PinWorkers = setup.Cpu is not null,
    };

    /// <summary>A <see cref="BlockResult"/> as it travels (without its timeline; tuples as pairs).</summary>
    public sealed record BlockResultMessage
    {
        public required SeedBlock Block { get; init; }

        public int Schedules { get; init; }

        public double ElapsedSeconds { get; init; }

        public long[] Decisions { get; init; } = [0, 0, 0, 0];

        public int? FirstBugIteration { get; init; }

        public Violation? Violation { get; init; }

        public string? InternalError { get; init; }

        public string? Trace { get; init; }

        public Dictionary<string, int> Outcomes { get; init; } = [];

        public Dictionary<string, ulong[]> PeakQueued { get; init; } = [];

        public Dictionary<string, ulong> PeakAllocated { get; init; } = [];

        public Dictionary<string, int> Situations { get; init; } = [];

        public Dictionary<string, int> FaultsByKind { get; init; } = [];

        public Dictionary<string, int> FaultsByFunction { get; init; } = [];

        public Dictionary<string, int> Sites { get; init; } = [];

        public List<string> Uncontrolled { get; init; } = [];
    }

    public static string Line<T>(string keyword, T body) => keyword + " " + JsonSerializer.Serialize(body, Json);

    public static string ResultLine(BlockResult r) => Line(Result, new BlockResultMessage
    {
        Block = r.Block,
        Schedules = r.Schedules,
        ElapsedSeconds = r.ElapsedSeconds,
        Decisions = [r.Decisions.Min, r.Decisions.Total, r.Decisions.Max, r.Decisions.Schedules],
        FirstBugIteration = r.FirstBugIteration,
        Violation = r.Violation,
        InternalError = r.InternalError,
        Trace = r.Trace,
        Outcomes = new(r.Outcomes),
        PeakQueued = r.PeakQueued.ToDictionary(kv => kv.Key, kv => new[] { kv.Value.Count, kv.Value.Bytes }),
        PeakAllocated = new(r.PeakAllocated),
        Situations = new(r.Situations),
        FaultsByKind = new(r.FaultsByKind),
        FaultsByFunction = new(r.FaultsByFunction),
        Sites = new(r.Sites),
        Uncontrolled = [.. r.Uncontrolled],
    });

    /// <summary>The result a <c>result</c> line carries; throws <see cref="FormatException"/> when it is not one.</summary>
    public static BlockResult ParseResult(string body)
    {
        var m = Parse<BlockResultMessage>(body, Result);
        if (m.Decisions.Length != 4 || m.PeakQueued.Values.Any(p => p is null || p.Length != 2))
        {
            throw new FormatException("a result line with malformed decisions or queue peaks");
        }

        return new BlockResult
        {
            Block = m.Block,
            Schedules = m.Schedules,
            ElapsedSeconds = m.ElapsedSeconds,
            Decisions = new DecisionStats(m.Decisions[0], m.Decisions[1], m.Decisions[2], m.Decisions[3]),
            FirstBugIteration = m.FirstBugIteration,
            Violation = m.Violation,
            InternalError = m.InternalError,
            Trace = m.Trace,
            Outcomes = m.Outcomes,
            PeakQueued = m.PeakQueued.ToDictionary(kv => kv.Key, kv => (kv.Value[0], kv.Value[1])),
            PeakAllocated = m.PeakAllocated,
            Situations = m.Situations,
            FaultsByKind = m.FaultsByKind,
            FaultsByFunction = m.FaultsByFunction,
            Sites = m.Sites,
            Uncontrolled = m.Uncontrolled,
        };
    }

    /// <summary>The JSON body of a message; throws <see cref="FormatException"/> when it is not a <typeparamref name="T"/>.</summary>
    public static T Parse<T>(string body, string keyword)
    {
        try
        {
            return JsonSerializer.Deserialize<T>(body, Json) ?? throw new FormatException($"an empty {keyword} line");
        }
        catch (JsonException e)
        {
            throw new FormatException($"a malformed {keyword} line: {e.Message}", e);
        }
    }

    /// <summary>Splits a line into its keyword and its body ("" when it has none).</summary>
    public static (string Keyword, string Body) Split(string line)
    {
        var space = line.IndexOf(' ');
        return space < 0 ? (line, "") : (line[..space], line[(space + 1)..]);
    }
}

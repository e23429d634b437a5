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
        IncludeFields = true, // the queue peaks' (Count, Bytes) pairs
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

    /// <summary>A message: its keyword and its body as one JSON object.</summary>
    public static string Line<T>(string keyword, T body) => keyword + " " + JsonSerializer.Serialize(body, Json);

    /// <summary>A block's result line (its timeline stays behind: <see cref="BlockResult.Timeline"/>).</summary>
    public static string ResultLine(BlockResult result) => Line(Result, result);

    /// <summary>The result a <c>result</c> line carries; throws <see cref="FormatException"/> when it is not one.</summary>
    public static BlockResult ParseResult(string body)
    {
        var r = Parse<BlockResult>(body, Result);
        if (r.Decisions is null || r.Outcomes is null || r.PeakQueued is null || r.PeakAllocated is null || r.Situations is null
            || r.FaultsByKind is null || r.FaultsByFunction is null || r.Sites is null || r.Uncontrolled is null)
        {
            throw new FormatException("a result line with a null field");
        }

        return r;
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

using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Multifd.Cli.Bundles;

namespace Multifd.Cli.Reports;

/// <summary>One shard's report file, read back.</summary>
public sealed record ShardReport(string File, IReadOnlyList<ScenarioReport> Scenarios, ToolsReport? Tools, string? GitCommit);

/// <summary>The merged run: one report per scenario, the shards it came from and those missing.</summary>
public sealed record MergedRun(IReadOnlyList<ScenarioReport> Scenarios, IReadOnlyList<ShardReport> Inputs, int ShardCount,
    IReadOnlyList<int> Shards, IReadOnlyList<int> MissingShards);

/// <summary>
/// Merges the reports of the shards of one run (`check --shard K/N` on N machines) into the report one unsharded run
/// would give: schedules, outcomes and situation counts add up, queue peaks and decision bounds take the extreme, the
/// violation is the one with the lowest firstBugIteration (the one an unsharded run stops at) with its bundle. Reports
/// of different scenarios, variants, strategies, seeds, bounds, schedules per seed, shard counts or tool versions are
/// refused, and so is a shard given twice.
/// </summary>
public static class ReportMerge
{
    public static ShardReport Read(string file)
    {
        if (!System.IO.File.Exists(file))
        {
            throw new UsageException(Directory.Exists(file) ? $"{file}: a folder, not a report file" : $"{file}: no such report file");
        }

        try
        {
            var node = JsonNode.Parse(System.IO.File.ReadAllText(file)) as JsonObject
                ?? throw new UsageException($"{file}: not a JSON object");
            if (node["scenarios"] is not JsonArray scenarios || scenarios.Count == 0)
            {
                throw new UsageException($"{file}: not a check report (no \"scenarios\")");
            }

            var reports = scenarios.Select(s => s.Deserialize<ScenarioReport>(ScenarioReport.Json)
                ?? throw new UsageException($"{file}: a null scenario")).ToList();
            return new ShardReport(file, reports, node["tools"]?.Deserialize<ToolsReport>(ScenarioReport.Json),
                node["gitCommit"]?.GetValue<string>());
        }
        catch (JsonException e)
        {
            throw new UsageException($"{file}: not a valid check report ({e.Message.Split(" Path:")[0].TrimEnd('.')})");
        }
        catch (InvalidOperationException e)
        {
            throw new UsageException($"{file}: not a valid check report ({e.Message})");
        }
    }

    public static MergedRun Merge(IReadOnlyList<ShardReport> inputs)
    {
        var first = inputs[0];
        var shardOf = new Dictionary<ShardReport, (int K, int N)>();
        foreach (var input in inputs)
        {
            Same(first, input, "the scenarios", r => string.Join(", ", r.Scenarios.Select(s => s.Scenario)));
            Same(first, input, "the tool versions", r => r.Tools is { } t ? $"multifd {t.Multifd}, coyote {t.Coyote}, {t.Dotnet}" : "unknown");
            Same(first, input, "the git commits", r => r.GitCommit ?? "unknown");
            for (var i = 0; i < first.Scenarios.Count; i++)
            {
                var name = first.Scenarios[i].Scenario;
                Same(first, input, $"{name}: the variants", r => r.Scenarios[i].Variant);
                Same(first, input, $"{name}: the strategies", r => r.Scenarios[i].Strategy);
                Same(first, input, $"{name}: the seeds", r => Text(r.Scenarios[i].Seed));
                Same(first, input, $"{name}: the iterations asked for", r => Text(r.Scenarios[i].Bounds.Iterations));
                Same(first, input, $"{name}: the time budgets", r => Text(r.Scenarios[i].Bounds.TimeBudgetSeconds));
                Same(first, input, $"{name}: the step bounds", r => Text(r.Scenarios[i].Bounds.MaxSteps));
                Same(first, input, $"{name}: the schedules per seed", r => Text(r.Scenarios[i].Spread?.SchedulesPerSeed));
                Same(first, input, $"{name}: the shard counts", r => ShardText(r.Scenarios[i]));
                if (input.Scenarios[i].Exhaustive is not null)
                {
                    throw new UsageException($"cannot merge {input.File}: {name} is an exhaustive search, which is not sharded");
                }
            }

            var shard = ParseShard(input);
            if (shardOf.FirstOrDefault(kv => kv.Value.K == shard.K) is { Key: { } twice })
            {
                throw new UsageException(shard.N == 1
                    ? $"cannot merge {twice.File} with {input.File}: both are the whole run (merge the reports of check --shard K/N)"
                    : $"cannot merge {twice.File} with {input.File}: both are shard {shard.K}/{shard.N}");
            }

            shardOf[input] = shard;
        }

        var count = shardOf.Values.First().N;
        var present = shardOf.Values.Select(s => s.K).Order().ToList();
        var missing = Enumerable.Range(1, count).Except(present).ToList();
        var merged = Enumerable.Range(0, first.Scenarios.Count)
            .Select(i => MergeScenario([.. inputs.Select(r => r.Scenarios[i])], missing.Count == 0))
            .ToList();
        return new MergedRun(merged, inputs, count, present, missing);
    }

    /// <summary>The report file of the merged run: the combined fields, every scenario's, the shards' tools and commit.</summary>
    public static JsonObject Document(MergedRun run)
    {
        var document = ReportBuilder.Document(run.Scenarios, TraceBundle.RepositoryRoot());
        document["tools"] = JsonSerializer.SerializeToNode(run.Inputs[0].Tools, ScenarioReport.Json);
        document["gitCommit"] = run.Inputs[0].GitCommit;
        document["merged"] = new JsonObject
        {
            ["shardCount"] = run.ShardCount,
            ["shards"] = new JsonArray([.. run.Shards.Select(k => (JsonNode?)JsonValue.Create($"{k}/{run.ShardCount}"))]),
            ["missingShards"] = new JsonArray([.. run.MissingShards.Select(k => (JsonNode?)JsonValue.Create($"{k}/{run.ShardCount}"))]),
            ["from"] = new JsonArray([.. run.Inputs.Select(i => (JsonNode?)JsonValue.Create(i.File))]),
        };
        return document;
    }

    private static ScenarioReport MergeScenario(IReadOnlyList<ScenarioReport> shards, bool complete)
    {
        var a = shards[0];
        var failing = shards.Where(s => s.Verdict == "bug").OrderBy(s => s.FirstBugIteration ?? int.MaxValue).FirstOrDefault();
        var errors = shards.FirstOrDefault(s => s.Verdict == "error");
        var interrupted = shards.FirstOrDefault(s => s.Verdict == "interrupted");
        var schedules = shards.Sum(s => s.Iterations);
        var elapsed = shards.Max(s => s.ElapsedSeconds);
        var situations = Sum(shards.Select(s => s.Situations));
        // A must-reach situation missed by every shard is missed by the run; with shards missing the run is incomplete.
        var missed = a.MustReach.Where(m => !situations.ContainsKey(m)).ToList();
        // With --require-sites every shard lists the sites it missed: the run missed those every shard missed.
        var missedSites = shards.Skip(1).Aggregate((IEnumerable<string>)a.MissedSites, (m, s) => m.Intersect(s.MissedSites)).ToList();
        var siteCounts = Sum(shards.Select(s => s.ErrorPathSites.Reached));
        var verdict = errors is not null ? "error" : failing is not null ? "bug" : interrupted is not null ? "interrupted" : "pass";
        var decisions = shards.Where(s => s.DecisionsPerSchedule is not null && s.Iterations > 0).ToList();
        return a with
        {
            Verdict = verdict,
            ExitCode = verdict switch
            {
                "error" => ExitCodes.Internal,
                "bug" => ExitCodes.Bug,
                "interrupted" => interrupted!.ExitCode,
                _ => missed.Count > 0 || missedSites.Count > 0 || !complete ? ExitCodes.BadInput : ExitCodes.Pass,
            },
            InterruptedBy = interrupted?.InterruptedBy,
            Iterations = schedules,
            ElapsedSeconds = elapsed,
            SchedulesPerSecond = elapsed > 0 ? Math.Round(schedules / elapsed, 2) : 0,
            FirstBugIteration = failing?.FirstBugIteration,
            FirstBugSeed = failing?.FirstBugSeed,
            Spread = a.Spread is { } spread
                ? spread with
                {
                    Parallel = shards.Max(s => s.Spread?.Parallel ?? 1),
                    Shard = null,
                    SeedBlocks = shards.Sum(s => s.Spread?.SeedBlocks ?? 0),
                    Workers = shards.Any(s => s.Spread?.Workers == "processes") ? "processes" : "threads",
                }
                : null,
            Violations = failing?.Violations ?? [],
            Bundle = failing?.Bundle,
            DecisionsPerSchedule = decisions.Count == 0 ? null : new DecisionsReport(
                decisions.Min(s => s.DecisionsPerSchedule!.Min),
                Math.Round(decisions.Sum(s => s.DecisionsPerSchedule!.Avg * s.Iterations) / decisions.Sum(s => s.Iterations), 1),
                decisions.Max(s => s.DecisionsPerSchedule!.Max)),
            Outcomes = Sum(shards.Select(s => s.Outcomes)),
            PeakQueued = new SortedDictionary<string, QueuePeakReport>(shards.SelectMany(s => s.PeakQueued).GroupBy(kv => kv.Key)
                .ToDictionary(g => g.Key, g => new QueuePeakReport(g.Max(kv => kv.Value.Count), g.Max(kv => kv.Value.Bytes)))),
            PeakAllocatedBytes = new SortedDictionary<string, ulong>(shards.SelectMany(s => s.PeakAllocatedBytes).GroupBy(kv => kv.Key)
                .ToDictionary(g => g.Key, g => g.Max(kv => kv.Value))),
            Situations = situations,
            MissedSituations = verdict == "pass" ? missed : [],
            MissedSites = verdict == "pass" ? missedSites : [],
            FaultsInjected = new FaultsReport(Sum(shards.Select(s => s.FaultsInjected.ByKind)), Sum(shards.Select(s => s.FaultsInjected.ByFunction))),
            ErrorPathSites = SitesReport.Of(siteCounts),
            Uncontrolled = [.. shards.SelectMany(s => s.Uncontrolled).Distinct()],
            InternalError = errors?.InternalError,
        };
    }

    private static (int K, int N) ParseShard(ShardReport report)
    {
        var text = report.Scenarios[0].Spread?.Shard;
        if (text is null)
        {
            return (1, 1);
        }

        var parts = text.Split('/');
        return (int.Parse(parts[0], CultureInfo.InvariantCulture), int.Parse(parts[1], CultureInfo.InvariantCulture));
    }

    /// <summary>"of 4 shards", or "the whole run".</summary>
    private static string ShardText(ScenarioReport r) => r.Spread?.Shard is { } s ? $"of {s.Split('/')[1]} shards" : "the whole run";

    private static string Text(int? value) => value?.ToString(CultureInfo.InvariantCulture) ?? "none";

    private static string Text(uint value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>Refuses two reports that differ in what <paramref name="of"/> reads (one line: the files and both values).</summary>
    private static void Same(ShardReport a, ShardReport b, string what, Func<ShardReport, string> of)
    {
        var (x, y) = (of(a), of(b));
        if (x != y)
        {
            throw new UsageException($"cannot merge {a.File} ({x}) with {b.File} ({y}): {what} differ");
        }
    }

    private static SortedDictionary<string, int> Sum(IEnumerable<IReadOnlyDictionary<string, int>> counts)
    {
        var sum = new SortedDictionary<string, int>();
        foreach (var (key, value) in counts.SelectMany(c => c))
        {
            sum[key] = sum.GetValueOrDefault(key) + value;
        }

        return sum;
    }
}

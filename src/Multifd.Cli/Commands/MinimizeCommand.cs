using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Multifd.Checker.Exploration;
using Multifd.Cli.Bundles;
using Multifd.Cli.Reports;

namespace Multifd.Cli.Commands;

/// <summary>
/// `multifd minimize BUNDLE`: looks for a shorter schedule of the same scenario and variant that violates the same
/// property, by re-searching with other strategies and seeds under a step bound no larger than the shortest failing
/// schedule known so far. The shortest one found (fewest timeline events) is replayed to confirm it, then written
/// as a new bundle next to the old one (BUNDLE-min). It never edits the original bundle.
/// Exit 2 when the bundle's violation stands (a shorter bundle written or not), 1 for a bad bundle.
/// </summary>
public static class MinimizeCommand
{
    private static readonly string[] SearchStrategies = ["pct", "fair-pct", "random", "probabilistic", "portfolio"];

    public static Command Create(CliContext context)
    {
        var bundle = new Argument<string>("BUNDLE") { Description = "A trace bundle folder" };
        var attempts = new Option<int>("--attempts")
        {
            Description = "Searches to run (strategy x seed pairs)", DefaultValueFactory = _ => 10, HelpName = "N",
        };
        var iterations = new Option<int>("--iterations")
        {
            Description = "Schedules per search", DefaultValueFactory = _ => 50, HelpName = "N",
        };
        var timeBudget = new Option<int>("--time-budget")
        {
            Description = "Stop searching after this many seconds", DefaultValueFactory = _ => 60, HelpName = "SECONDS",
        };
        var output = new Option<string?>("--out") { Description = "Folder for the new bundle; default: beside the old one", HelpName = "DIR" };
        var command = new Command("minimize", "Find a shorter schedule that violates the same property") { bundle, attempts, iterations, timeBudget, output };
        command.SetAction(parse => Execute(context, parse.GetValue(bundle)!, parse.GetValue(attempts), parse.GetValue(iterations),
            parse.GetValue(timeBudget), parse.GetValue(output)));
        return command;
    }

    private static int Execute(CliContext context, string directory, int attempts, int iterations, int timeBudget, string? outDirectory)
    {
        if (attempts < 1 || iterations < 1 || timeBudget < 1)
        {
            throw new UsageException("--attempts, --iterations and --time-budget must be at least 1");
        }

        var o = context.Out;
        var bundle = TraceBundle.Load(directory);
        var original = Replayer.Replay(bundle);
        if (!original.Reproduced)
        {
            throw new UsageException($"{directory}: the bundle does not replay ({original.Divergence}); minimize needs a bundle that replays");
        }

        var before = Size.Of(bundle.Events, bundle.Trace);
        o.WriteLine($"minimize {TraceBundle.DisplayPath(directory)}: {bundle.Property} {bundle.Events.Name}, {before}");
        o.WriteLine($"searching: up to {attempts} searches of {iterations} schedules (strategies {string.Join(", ", SearchStrategies)}; "
            + $"seeds from 1), each with --max-steps no larger than the Coyote steps of the shortest failing schedule so far, within {timeBudget} s");

        var stopwatch = Stopwatch.StartNew();
        CheckResult? best = null;
        var bestSize = before;
        var searches = 0;
        var failing = 0;
        var interruption = context.Interruption;
        for (var i = 0; i < attempts && stopwatch.Elapsed.TotalSeconds < timeBudget && !interruption.Requested; i++)
        {
            var strategy = SearchStrategies[i % SearchStrategies.Length];
            var seed = (uint)(i / SearchStrategies.Length) + 1;
            var options = Replayer.OptionsFor(bundle) with
            {
                ReplayTrace = null,
                Strategy = strategy,
                Seed = seed,
                Iterations = iterations,
                MaxSteps = Math.Max(100, bestSize.Steps),
                TimeBudgetSeconds = Math.Max(1, timeBudget - (int)stopwatch.Elapsed.TotalSeconds),
            };
            var result = Explorer.Run(options, null, interruption.Token);
            searches++;
            var size = result.Violation?.Property == bundle.Property && result.Timeline is not null && result.Trace is not null
                ? Size.Of(EventLog.From(bundle.Property, "", "", result.Timeline), result.Trace)
                : null;
            failing += size is null ? 0 : 1;
            var verdict = size is null
                ? result.Violation is null ? "no violation" : $"{result.Violation.Property} (not {bundle.Property})"
                : size.Events < bestSize.Events ? $"{size}: shorter" : $"{size}";
            o.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {strategy,-13} seed {seed,-3} {result.SchedulesExplored,4} schedules: {verdict}"));
            if (size is not null && size.Events < bestSize.Events)
            {
                best = result;
                bestSize = size;
            }
        }

        o.WriteLine($"searched {searches} times in {stopwatch.Elapsed.TotalSeconds:F1} s; {failing} found {bundle.Property}"
            + (interruption.Requested ? $" (interrupted by {interruption.SignalName}: the shortest found so far is kept)" : ""));
        // Interrupted: the shortest schedule found so far is still written (and confirmed), then the command exits 130/143.
        var exit = interruption.Requested ? interruption.ExitCode : ExitCodes.Bug;
        if (best is null)
        {
            o.WriteLine($"no shorter schedule found: {TraceBundle.DisplayPath(directory)} stays the shortest known ({before})");
            return exit;
        }

        var target = Path.Combine(outDirectory ?? Path.GetDirectoryName(Path.GetFullPath(directory))!,
            Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory))) + "-min");
        var scenarioFile = bundle.Report["scenarioFile"] is JsonValue v && v.TryGetValue<string>(out var f) ? f : null;
        CheckCommand.WriteBundle(target, best, scenarioFile);
        var check = Replayer.Replay(TraceBundle.Load(target));
        if (!check.Reproduced)
        {
            Directory.Delete(target, recursive: true);
            o.WriteLine($"the shorter schedule did not replay ({check.Divergence}); nothing written");
            return exit;
        }

        o.WriteLine($"minimized: {before} -> {bestSize} (found by {best.Options.Strategy} seed {best.Options.Seed}; replay checked)");
        o.WriteLine($"bundle: {TraceBundle.DisplayPath(target)}");
        o.WriteLine($"replay: {TraceBundle.ReplayCommand(target)}");
        return exit;
    }

    /// <summary>The size of a failing schedule: timeline events (all, and without lock events) and Coyote decisions.</summary>
    private sealed record Size(int Events, int ProtocolEvents, int Steps)
    {
        public static Size Of(EventLog log, string trace) => new(
            log.Events.Count,
            log.Events.Count(e => !e.IsLock),
            JsonNode.Parse(trace)?["Steps"] is JsonArray steps ? steps.Count : 0);

        public override string ToString() => $"{Events} events ({ProtocolEvents} without locks), {Steps} Coyote steps";
    }
}

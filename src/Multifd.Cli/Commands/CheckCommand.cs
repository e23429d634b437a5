using System.CommandLine;
using Multifd.Checker;
using Multifd.Checker.Exploration;
using Multifd.Checker.Scenarios;
using Multifd.Cli.Bundles;
using Multifd.Cli.Rendering;
using Multifd.Cli.Reports;
using Multifd.Cli.Ui;
using Spectre.Console;

namespace Multifd.Cli.Commands;

/// <summary>
/// `multifd check`: explores each scenario under Coyote, writes a trace bundle for a violation, prints a summary,
/// and optionally a JSON report and JUnit XML. Every input is validated before anything runs or is written.
/// </summary>
public static class CheckCommand
{
    /// <summary>The iteration count used when only a time budget bounds the run.</summary>
    public const int UnboundedIterations = 1_000_000_000;

    /// <summary>The most explorations side by side that --parallel accepts.</summary>
    public const int MaxParallel = 64;

    public static Command Create(CliContext context)
    {
        var scenarios = new Option<string[]>("--scenario")
        {
            Description = "A scenario name (models/NAME.json) or path; repeat to check several. Default: default",
            HelpName = "NAME|PATH",
        };
        var variant = new Option<string?>("--variant") { Description = "Protocol variant (multifd list); default: the scenario's", HelpName = "NAME" };
        var iterations = new Option<int?>("--iterations") { Description = "Schedules to explore; default: the scenario's (200)", HelpName = "N" };
        var timeBudget = new Option<int?>("--time-budget") { Description = "Stop after this many seconds", HelpName = "SECONDS" };
        var strategy = new Option<string?>("--strategy")
        {
            Description = "Exploration strategy; default: the scenario's (portfolio)",
            HelpName = string.Join("|", Strategies.Names),
        };
        var seed = new Option<uint?>("--seed") { Description = "Random seed; default: the scenario's (1)", HelpName = "N" };
        var maxSteps = new Option<int?>("--max-steps") { Description = "Scheduling steps per schedule; default: the scenario's (20000)", HelpName = "N" };
        var report = new Option<string?>("--report") { Description = "Write the JSON report here", HelpName = "PATH.json" };
        var junit = new Option<string?>("--junit") { Description = "Write JUnit XML here", HelpName = "PATH.xml" };
        var output = new Option<string?>("--out") { Description = "Folder for trace bundles; default: traces/out", HelpName = "DIR" };
        var parallel = new Option<int?>("--parallel") { Description = "Explorations side by side (seed blocks); in a long run each in a worker process of its own; default: 1", HelpName = "N" };
        var shard = new Option<string?>("--shard")
        {
            Description = "Explore only shard K of N of the run's seed blocks (1 <= K <= N); the N shards together explore the whole run",
            HelpName = "K/N",
        };

        var perSeed = new Option<int?>("--schedules-per-seed")
        {
            Description = $"Schedules explored with each seed of the run (a seed block); default: {CheckOptions.DefaultSchedulesPerSeed}. Keep it the same across shards",
            HelpName = "N",
        };

        var exhaustive = new Option<bool>("--exhaustive")
        {
            Description = "Enumerate every schedule (depth-first) instead of sampling; a complete search is a proof for the scenario (docs/exhaustive.md)",
        };
        var preemptionBound = new Option<int?>("--preemption-bound")
        {
            Description = "With --exhaustive: only the schedules with at most K preemptions; default: all schedules",
            HelpName = "K",
        };
        var delayBound = new Option<int?>("--delay-bound")
        {
            Description = "With --exhaustive: only the schedules with at most D delays (skips of a round-robin scheduler's choice); default: no delay bound",
            HelpName = "D",
        };
        var estimate = new Option<int?>("--estimate")
        {
            Description = "With --exhaustive: run no search; estimate how many schedules it would run from N random probes (Knuth's estimator)",
            HelpName = "N",
        };
        var maxSchedules = new Option<long?>("--max-schedules")
        {
            Description = "With --exhaustive: stop after M schedules (the result is then not a proof); default: no limit",
            HelpName = "M",
        };
        var force = new Option<bool>("--force")
        {
            Description = "Run a --variant even on a scenario where it cannot show (by default that is refused)",
        };

        var noPin = new Option<bool>("--no-pin")
        {
            Description = "Leave the exploration's threads free to run on any CPU (default on Linux: each worker's threads on one CPU, which is faster; the schedules are the same)",
        };

        var requireSites = new Option<bool>("--require-sites")
        {
            Description = "A pass that leaves an error-path site of the engine untaken is inconclusive (exit 1; report: missedSites)",
        };

        var command = new Command("check", "Explore scenarios' schedules and check every property")
        {
            scenarios, variant, iterations, timeBudget, strategy, seed, maxSteps, report, junit, output, parallel, shard, perSeed,
            exhaustive, preemptionBound, delayBound, maxSchedules, estimate, force, requireSites, noPin,
        };
        command.SetAction(parse => Execute(context, new Request(
            parse.GetValue(scenarios) ?? [],
            parse.GetValue(variant),
            parse.GetValue(iterations),
            parse.GetValue(timeBudget),
            parse.GetValue(strategy),
            parse.GetValue(seed),
            parse.GetValue(maxSteps),
            parse.GetValue(report),
            parse.GetValue(junit),
            parse.GetValue(output),
            parse.GetValue(parallel),
            parse.GetValue(shard),
            parse.GetValue(perSeed),
            parse.GetValue(exhaustive),
            parse.GetValue(preemptionBound),
            parse.GetValue(maxSchedules),
            parse.GetValue(delayBound),
            parse.GetValue(estimate),
            parse.GetValue(force),
            parse.GetValue(requireSites),
            parse.GetValue(noPin))));
        return command;
    }

    public sealed record Request(
        IReadOnlyList<string> Scenarios,
        string? Variant,
        int? Iterations,
        int? TimeBudgetSeconds,
        string? Strategy,
        uint? Seed,
        int? MaxSteps,
        string? ReportPath,
        string? JUnitPath,
        string? OutDirectory,
        int? Parallel = null,
        string? Shard = null,
        int? SchedulesPerSeed = null,
        bool Exhaustive = false,
        int? PreemptionBound = null,
        long? MaxSchedules = null,
        int? DelayBound = null,
        int? Estimate = null,
        bool Force = false,
        bool RequireSites = false,
        bool NoPin = false);

    private static int Execute(CliContext context, Request request)
    {
        var planned = Plan(request);
        var outDirectory = request.OutDirectory
            ?? Path.Combine(TraceBundle.RepositoryRoot() ?? Directory.GetCurrentDirectory(), "traces", "out");
        var console = Terminal.Create(context);
        var reports = new List<ScenarioReport>();
        foreach (var (options, file) in planned)
        {
            if (context.Interruption.Requested)
            {
                context.Out.WriteLine($"not checked ({context.Interruption.SignalName}): {options.Scenario.Name}");
                continue;
            }

            reports.Add(CheckOne(context, console, options, file, outDirectory));
        }

        var root = TraceBundle.RepositoryRoot();
        if (request.ReportPath is { } reportPath)
        {
            WriteAtomically(reportPath, ReportBuilder.ToJson(ReportBuilder.Document(reports, root)));
            context.Out.WriteLine($"report: {reportPath}");
        }

        if (request.JUnitPath is { } junitPath)
        {
            var xml = JUnitReport.Create(reports);
            WriteAtomically(junitPath, xml.Declaration + "\n" + xml.Root + "\n");
            context.Out.WriteLine($"junit: {junitPath}");
        }

        foreach (var r in reports.Where(r => r.MissedSituations.Count > 0 && r.Verdict == "pass"))
        {
            context.Out.WriteLine($"inconclusive: {r.Scenario} passed {r.Iterations} schedules but never reached "
                + $"{string.Join(", ", r.MissedSituations)} (raise --iterations or --time-budget)");
        }

        foreach (var r in reports.Where(r => r.MissedSites.Count > 0 && r.Verdict == "pass"))
        {
            context.Out.WriteLine($"inconclusive: {r.Scenario} passed {r.Iterations} schedules but never took error-path sites "
                + $"{string.Join(", ", r.MissedSites)} (--require-sites; docs/cli.md lists the sites)");
        }

        foreach (var r in reports.Where(r => r.Exhaustive is not null))
        {
            context.Out.WriteLine($"exhaustive: {r.Exhaustive!.Claim}");
        }

        foreach (var r in reports.Where(r => r.Verdict == "interrupted"))
        {
            context.Out.WriteLine($"interrupted: {r.Scenario} by {r.InterruptedBy} after {r.Iterations} schedules, no violation found until then");
        }

        foreach (var r in reports.Where(r => r.Bundle is not null))
        {
            context.Out.WriteLine($"bundle: {TraceBundle.DisplayPath(r.Bundle!)}");
            context.Out.WriteLine($"replay: {TraceBundle.ReplayCommand(r.Bundle!)}");
        }

        return reports.Select(r => r.ExitCode).Aggregate(ExitCodes.Pass, ExitCodes.Worst);
    }

    /// <summary>Validates every option and loads every scenario before anything runs (bad input: exit 1, nothing written).</summary>
    private static List<(CheckOptions Options, string File)> Plan(Request request)
    {
        if (request.Variant is { } v && !Variants.TryParse(v, out _))
        {
            throw new UsageException($"--variant: unknown variant \"{v}\" (known: {string.Join(", ", Variants.All.Select(x => x.Name))})");
        }

        if (request.Strategy is { } s && !Strategies.IsKnown(s))
        {
            throw new UsageException($"--strategy: unknown strategy \"{s}\" (known: {string.Join(", ", Strategies.Names)})");
        }

        Require(request.Iterations is null or >= 1, $"--iterations: must be at least 1 (got {request.Iterations})");
        Require(request.TimeBudgetSeconds is null or >= 1, $"--time-budget: must be at least 1 second (got {request.TimeBudgetSeconds})");
        Require(request.MaxSteps is null or >= 100, $"--max-steps: must be at least 100 (got {request.MaxSteps})");
        Require(request.Parallel is null or (>= 1 and <= MaxParallel), $"--parallel: must be between 1 and {MaxParallel} (got {request.Parallel})");
        Require(request.SchedulesPerSeed is null or >= 1, $"--schedules-per-seed: must be at least 1 (got {request.SchedulesPerSeed})");
        var shard = Shard.Whole;
        if (request.Shard is { } shardText)
        {
            shard = Shard.TryParse(shardText)
                ?? throw new UsageException($"--shard: \"{shardText}\" is not K/N with 1 <= K <= N (e.g. 1/4)");
        }

        var exhaustive = PlanExhaustive(request);
        CheckWritable(request.ReportPath, "--report");
        CheckWritable(request.JUnitPath, "--junit");
        if (request.OutDirectory is { } outDir && File.Exists(outDir))
        {
            throw new UsageException($"--out: {outDir} is a file, not a folder");
        }

        var names = request.Scenarios.Count == 0 ? [DefaultScenarioFor(request.Variant)] : request.Scenarios;
        var plan = new List<(CheckOptions, string)>();
        foreach (var name in names)
        {
            var scenario = ModelsFolder.LoadScenario(name);
            var options = CheckOptions.For(scenario, request.Variant);
            if (!request.Force && VariantApplicability.WhyNot(options.Variant, scenario) is { } why)
            {
                throw new UsageException($"variant {Variants.NameOf(options.Variant)} cannot show in scenario {scenario.Name}: {why} "
                    + "(--force runs it anyway)");
            }

            options = options with
            {
                Iterations = request.Iterations
                    ?? (request.TimeBudgetSeconds is not null ? UnboundedIterations : options.Iterations),
                TimeBudgetSeconds = request.TimeBudgetSeconds,
                Strategy = request.Strategy ?? options.Strategy,
                Seed = request.Seed ?? options.Seed,
                MaxSteps = request.MaxSteps ?? options.MaxSteps,
                Parallel = request.Parallel ?? 1,
                WorkerProcess = WorkerEntry.Launch(),
                Shard = shard,
                SchedulesPerSeed = request.SchedulesPerSeed ?? CheckOptions.DefaultSchedulesPerSeed,
                Exhaustive = exhaustive,
                RequireSites = request.RequireSites,
                PinWorkers = !request.NoPin,
            };
            if (exhaustive is not null)
            {
                options = options with { Iterations = UnboundedIterations };
            }

            plan.Add((options, ScenarioPath(name)));
        }

        return plan;
    }

    /// <summary>The exhaustive search's bounds, or null for sampling; options that only apply to sampling are refused with it.</summary>
    private static ExhaustiveOptions? PlanExhaustive(Request request)
    {
        if (!request.Exhaustive)
        {
            Require(request.PreemptionBound is null, "--preemption-bound: only with --exhaustive");
            Require(request.MaxSchedules is null, "--max-schedules: only with --exhaustive");
            Require(request.DelayBound is null, "--delay-bound: only with --exhaustive");
            Require(request.Estimate is null, "--estimate: only with --exhaustive");
            return null;
        }

        Require(request.PreemptionBound is null or >= 0, $"--preemption-bound: must not be negative (got {request.PreemptionBound})");
        Require(request.DelayBound is null or >= 0, $"--delay-bound: must not be negative (got {request.DelayBound})");
        Require(request.Estimate is null or >= 1, $"--estimate: must be at least 1 (got {request.Estimate})");
        Require(request.Estimate is null || request.MaxSchedules is null, "--max-schedules: does not apply to --estimate, which runs N probes");
        Require(request.MaxSchedules is null or >= 1, $"--max-schedules: must be at least 1 (got {request.MaxSchedules})");
        var sampling = new (bool Given, string Option)[]
        {
            (request.Iterations is not null, "--iterations"), (request.Strategy is not null, "--strategy"),
            (request.Seed is not null && request.Estimate is null, "--seed"),
            (request.Parallel is not null, "--parallel"), (request.Shard is not null, "--shard"), (request.SchedulesPerSeed is not null, "--schedules-per-seed"),
        };
        foreach (var (given, option) in sampling)
        {
            Require(!given, $"{option}: does not apply to --exhaustive, which enumerates the schedules (bound them with --preemption-bound, --max-schedules, --time-budget)");
        }

        return new ExhaustiveOptions(request.PreemptionBound, request.MaxSchedules, request.DelayBound, request.Estimate);
    }

    private static ScenarioReport CheckOne(CliContext context, IAnsiConsole console, CheckOptions options, string file, string outDirectory)
    {
        var variant = Variants.NameOf(options.Variant);
        var bounds = options.Iterations >= UnboundedIterations ? "no schedule limit" : $"{options.Iterations} schedules";
        if (options.Exhaustive is { } search)
        {
            var bound = ExhaustiveSummary.BoundText(search.PreemptionBound, search.DelayBound).Trim();
            bounds = (bound.Length > 0 ? bound : "every schedule") + ", "
                + (search.EstimateProbes is { } n ? $"estimate from {n} random probes (seed {options.Seed})"
                    : search.MaxSchedules is { } m ? $"at most {m} schedules" : "no schedule limit");
        }

        var how = options.Exhaustive is not null ? "exhaustive" : $"strategy {options.Strategy}, seed {options.Seed}";
        context.Out.WriteLine($"check {options.Scenario.Name}: variant {variant}, {how}, {bounds}"
            + (options.TimeBudgetSeconds is { } b ? $", time budget {b} s" : "") + $", max {options.MaxSteps} steps"
            + (options.Parallel > 1 ? $", {options.Parallel} {(Explorer.UsesWorkerProcesses(options) ? "worker processes" : "workers")}" : "")
            + (options.Shard.IsWhole ? "" : $", shard {options.Shard} of the seed blocks"));
        context.Out.Flush();

        var result = ProgressDisplay.Run(context, console, $"{options.Scenario.Name} ({variant})", options, context.Interruption.Token);
        string? bundle = null;
        if (result.Violation is not null && result.Trace is not null && result.Timeline is not null)
        {
            bundle = Path.Combine(outDirectory, TraceBundle.Name(options.Scenario.Name, variant, options.Seed));
            WriteBundle(bundle, result, file);
        }

        var report = ReportBuilder.For(result, TraceBundle.DisplayPath(file), bundle is null ? null : TraceBundle.DisplayPath(bundle),
            context.Interruption);
        SummaryTable.Write(console, report);
        return report;
    }

    /// <summary>Writes the trace bundle of a violation (atomically) and returns nothing until it is complete.</summary>
    public static void WriteBundle(string bundle, CheckResult result, string? scenarioFile)
    {
        var options = result.Options;
        var variant = Variants.NameOf(options.Variant);
        var report = ReportBuilder.For(result, scenarioFile is null ? null : TraceBundle.DisplayPath(scenarioFile), TraceBundle.DisplayPath(bundle));
        var violation = report.Violations[0];
        var events = EventLog.From(violation.Property, violation.Name, violation.Message, result.Timeline!);
        var how = result.Exhaustive is { } search
            ? "exhaustive" + ExhaustiveSummary.BoundText(search.PreemptionBound, search.DelayBound)
                + $" ({search.ViolationPreemptions} preemptions and {search.ViolationDelays} delays in this schedule)"
            : $"strategy {options.Strategy}, seed {options.Seed}";
        var title = $"{options.Scenario.Name}, variant {variant}, {how}, "
            + $"schedule {result.FirstBugIteration}: {violation.Property} {violation.Name}";
        var devices = options.Scenario.Devices.Select(d => d.Name).ToList();
        TraceBundle.Write(bundle, new BundleContents(
            result.Trace!,
            EffectiveScenario(options),
            ReportBuilder.ToJson(ReportBuilder.Document([report], TraceBundle.RepositoryRoot())),
            TimelineText.Render(events, devices, title, verbose: false),
            events));
    }

    /// <summary>The scenario exactly as it ran: its variant and exploration bounds replaced by the effective ones.</summary>
    public static Scenario EffectiveScenario(CheckOptions options) => options.Scenario with
    {
        Variant = Variants.NameOf(options.Variant),
        Exploration = new ExplorationSpec
        {
            Iterations = options.Iterations,
            Strategy = options.Strategy,
            Seed = options.Seed,
            MaxSteps = options.MaxSteps,
        },
    };

    /// <summary>
    /// The scenario `check --variant V` runs when no --scenario is given: the one V's entry in models/manifest.json names
    /// (a "bug" entry first), so that the variant runs where it shows; "default" for no variant or one with no entry.
    /// </summary>
    public static string DefaultScenarioFor(string? variant)
    {
        if (variant is null || ModelsFolder.Find() is not { } models)
        {
            return "default";
        }

        var entries = Manifest.Load(models).Scenarios
            .Where(e => (e.Variant ?? ModelsFolder.LoadScenario(e.Scenario).Variant) == variant)
            .OrderBy(e => e.ExpectsPass ? 1 : 0)
            .ToList();
        return entries.Count > 0 ? entries[0].Scenario : "default";
    }

    /// <summary>The file a scenario argument names (as ModelsFolder.LoadScenario resolves it).</summary>
    private static string ScenarioPath(string nameOrPath)
    {
        if (nameOrPath.EndsWith(".json", StringComparison.OrdinalIgnoreCase) || nameOrPath.Contains('/') || File.Exists(nameOrPath))
        {
            return Path.GetFullPath(nameOrPath);
        }

        return Path.Combine(ModelsFolder.Find() ?? ".", nameOrPath + ".json");
    }

    private static void Require(bool ok, string problem)
    {
        if (!ok)
        {
            throw new UsageException(problem);
        }
    }

    private static void CheckWritable(string? path, string option)
    {
        if (path is null)
        {
            return;
        }

        if (path.Length == 0 || Directory.Exists(path))
        {
            throw new UsageException($"{option}: \"{path}\" is not a file path");
        }

        var parent = Path.GetDirectoryName(Path.GetFullPath(path));
        if (parent is not null && File.Exists(parent))
        {
            throw new UsageException($"{option}: {parent} is a file, not a folder");
        }
    }

    /// <summary>Writes a file whole or not at all: to a temporary file beside it, then renamed over it.</summary>
    public static void WriteAtomically(string path, string text) => AtomicFile.Write(path, text);
}

using System.CommandLine;
using System.CommandLine.Parsing;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Multifd.Checker;
using Multifd.Checker.Benchmarks;
using Multifd.Cli.Bundles;
using Multifd.Cli.Reports;

namespace Multifd.Cli.Commands;

/// <summary>
/// `multifd bench`: measures the checker in one run (Coyote's bare cost, the default scenario, sizes, known-bug
/// variants, real threads, --parallel, memory), writes a JSON file and a Markdown table, and prints the table.
/// Targets missed are reported, not an error: rates depend on the machine (docs/performance.md).
/// </summary>
public static class BenchCommand
{
    public static Command Create(CliContext context)
    {
        var quick = new Option<bool>("--quick") { Description = "A short run for CI smoke (about a minute)" };
        var json = new Option<string?>("--json") { Description = "Write the measurements here; default: traces/out/bench.json", HelpName = "PATH.json" };
        var markdown = new Option<string?>("--markdown") { Description = "Write the Markdown tables here; default: traces/out/bench.md", HelpName = "PATH.md" };
        var sections = new Option<string[]>("--section")
        {
            Description = "Run only this section; repeat for several: " + string.Join(", ", BenchOptions.AllSections.Select(s => s.Name))
                + " (strategies and deep run only when asked for)",
            HelpName = "NAME",
        };
        var strategy = new Option<string?>("--strategy") { Description = "The strategy measured; default: portfolio", HelpName = string.Join("|", Strategies.Names) };

        var command = new Command("bench", "Measure the checker's speed, bug-finding time and memory; write JSON and Markdown")
        {
            quick, json, markdown, sections, strategy,
        };
        command.SetAction(parse => Execute(context, parse.GetValue(quick), parse.GetValue(json), parse.GetValue(markdown),
            parse.GetValue(sections) ?? [], parse.GetValue(strategy),
            string.Join(' ', parse.Tokens.Where(t => t.Type != TokenType.Command).Select(t => t.Value))));
        return command;
    }

    private static int Execute(CliContext context, bool quick, string? json, string? markdown, string[] sections, string? strategy, string args)
    {
        var unknown = sections.Where(s => BenchOptions.AllSections.All(k => k.Name != s)).ToList();
        if (unknown.Count > 0)
        {
            throw new UsageException($"--section: unknown section \"{unknown[0]}\" (known: {string.Join(", ", BenchOptions.AllSections.Select(s => s.Name))})");
        }

        if (strategy is not null && !Strategies.IsKnown(strategy))
        {
            throw new UsageException($"--strategy: unknown strategy \"{strategy}\" (known: {string.Join(", ", Strategies.Names)})");
        }

        var outDir = Path.Combine(TraceBundle.RepositoryRoot() ?? Directory.GetCurrentDirectory(), "traces", "out");
        json ??= Path.Combine(outDir, "bench.json");
        markdown ??= Path.Combine(outDir, "bench.md");
        foreach (var (path, option) in new[] { (json, "--json"), (markdown, "--markdown") })
        {
            if (path.Length == 0 || Directory.Exists(path))
            {
                throw new UsageException($"{option}: \"{path}\" is not a file path");
            }
        }

        var options = new BenchOptions
        {
            Quick = quick,
            Strategy = strategy ?? "portfolio",
            Sections = sections.ToHashSet(),
            Interrupt = context.Interruption.Token,
            WorkerProcess = WorkerEntry.Launch(),
        };
        var stopwatch = Stopwatch.StartNew();
        var report = BenchRunner.Run(options, line =>
        {
            context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"bench [{stopwatch.Elapsed.TotalSeconds,5:F0} s] {line}"));
            context.Out.Flush();
        });

        var command = "multifd bench" + (args.Length == 0 ? "" : " " + args);
        var table = BenchMarkdown.Render(report, command);
        var document = (JsonObject)JsonSerializer.SerializeToNode(report, ScenarioReport.Json)!;
        document["command"] = command;
        document["tools"] = JsonSerializer.SerializeToNode(ToolInfo.Versions(), ScenarioReport.Json);
        document["gitCommit"] = ToolInfo.GitCommit(TraceBundle.RepositoryRoot() ?? Directory.GetCurrentDirectory());
        CheckCommand.WriteAtomically(json, document.ToJsonString(ScenarioReport.Json) + "\n");
        CheckCommand.WriteAtomically(markdown, table);

        context.Out.WriteLine();
        context.Out.Write(table);
        context.Out.WriteLine($"json: {TraceBundle.DisplayPath(json)}");
        context.Out.WriteLine($"markdown: {TraceBundle.DisplayPath(markdown)}");
        if (report.Interrupted)
        {
            context.Out.WriteLine($"interrupted: by {context.Interruption.SignalName} after {report.ElapsedSeconds:F0} s; the files hold the measurements completed");
            return context.Interruption.ExitCode;
        }

        return ExitCodes.Pass;
    }
}

using System.CommandLine;
using Multifd.Cli.Bundles;
using Multifd.Cli.Reports;
using Multifd.Cli.Ui;

namespace Multifd.Cli.Commands;

/// <summary>
/// `multifd merge REPORT.json...`: the reports of the shards of one run (check --shard K/N, e.g. the jobs of a CI matrix)
/// merged into the report and JUnit of the whole run; reports of different runs are refused, missing shards named.
/// </summary>
public static class MergeCommand
{
    public static Command Create(CliContext context)
    {
        var reports = new Argument<string[]>("REPORT") { Description = "Shard reports (check --shard K/N --report PATH.json)", Arity = ArgumentArity.OneOrMore };
        var report = new Option<string?>("--report") { Description = "Write the merged JSON report here", HelpName = "PATH.json" };
        var junit = new Option<string?>("--junit") { Description = "Write the merged JUnit XML here", HelpName = "PATH.xml" };
        var command = new Command("merge", "Merge the reports of a run's shards into one report and one JUnit") { reports, report, junit };
        command.SetAction(parse => Execute(context, parse.GetValue(reports) ?? [], parse.GetValue(report), parse.GetValue(junit)));
        return command;
    }

    private static int Execute(CliContext context, string[] files, string? reportPath, string? junitPath)
    {
        var run = ReportMerge.Merge([.. files.Select(ReportMerge.Read)]);
        var console = Terminal.Create(context);
        context.Out.WriteLine($"merge: {run.Shards.Count} of {run.ShardCount} shards ({string.Join(", ", run.Shards.Select(k => $"{k}/{run.ShardCount}"))})");
        foreach (var scenario in run.Scenarios)
        {
            SummaryTable.Write(console, scenario);
        }

        if (reportPath is not null)
        {
            AtomicFile.Write(reportPath, ReportBuilder.ToJson(ReportMerge.Document(run)));
            context.Out.WriteLine($"report: {reportPath}");
        }

        if (junitPath is not null)
        {
            var xml = JUnitReport.Create(run.Scenarios);
            AtomicFile.Write(junitPath, xml.Declaration + "\n" + xml.Root + "\n");
            context.Out.WriteLine($"junit: {junitPath}");
        }

        if (run.MissingShards.Count > 0)
        {
            context.Out.WriteLine($"missing: shard{(run.MissingShards.Count > 1 ? "s" : "")} "
                + $"{string.Join(", ", run.MissingShards.Select(k => $"{k}/{run.ShardCount}"))} (no report given): the merged run is incomplete");
        }

        foreach (var r in run.Scenarios.Where(r => r.Bundle is not null))
        {
            context.Out.WriteLine($"bundle: {r.Bundle}");
            context.Out.WriteLine($"replay: {TraceBundle.ReplayCommand(r.Bundle!)}");
        }

        return run.Scenarios.Select(r => r.ExitCode).Aggregate(ExitCodes.Pass, ExitCodes.Worst);
    }
}

using System.Diagnostics;
using System.Globalization;
using Multifd.Checker.Exploration;
using Spectre.Console;

namespace Multifd.Cli.Ui;

/// <summary>
/// Runs an exploration while showing its progress: a live bar (schedules/s, bugs found) on a terminal; on CI or
/// redirected output a start line and a plain progress line every <see cref="PlainIntervalSeconds"/> seconds.
/// </summary>
public static class ProgressDisplay
{
    public const double PlainIntervalSeconds = 10;

    public static CheckResult Run(CliContext context, IAnsiConsole console, string label, CheckOptions options, CancellationToken interrupt = default)
    {
        return context.IsTerminal ? RunLive(console, label, options, interrupt) : RunPlain(context.Out, label, options, interrupt);
    }

    private static CheckResult RunLive(IAnsiConsole console, string label, CheckOptions options, CancellationToken interrupt)
    {
        CheckResult? result = null;
        console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(),
                new ElapsedTimeColumn(), new SpinnerColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask(Markup.Escape(label), maxValue: 1000);
                result = Explorer.Run(options, new CallbackProgress<ExplorationProgress>(p =>
                {
                    task.Value = Fraction(p, options) * 1000;
                    task.Description = Markup.Escape(Describe(label, p));
                }), interrupt);
                task.Value = 1000;
                task.StopTask();
            });
        return result!;
    }

    private static CheckResult RunPlain(TextWriter output, string label, CheckOptions options, CancellationToken interrupt)
    {
        var stopwatch = Stopwatch.StartNew();
        var next = PlainIntervalSeconds;
        var result = Explorer.Run(options, new CallbackProgress<ExplorationProgress>(p =>
        {
            if (stopwatch.Elapsed.TotalSeconds >= next)
            {
                next += PlainIntervalSeconds;
                output.WriteLine($"  ... {Describe(label, p)}, {p.ElapsedSeconds.ToString("F0", CultureInfo.InvariantCulture)} s");
                output.Flush();
            }
        }), interrupt);
        return result;
    }

    private static double Fraction(ExplorationProgress p, CheckOptions options)
    {
        var bySchedules = p.Target > 0 ? (double)p.Schedules / p.Target : 0;
        var byTime = options.TimeBudgetSeconds is { } budget ? p.ElapsedSeconds / budget : 0;
        return Math.Clamp(Math.Max(bySchedules, byTime), 0, 1);
    }

    private static string Describe(string label, ExplorationProgress p)
    {
        var rate = p.ElapsedSeconds > 0 ? p.Schedules / p.ElapsedSeconds : 0;
        var bugs = p.Bugs == 1 ? "1 bug" : $"{p.Bugs} bugs";
        var done = p.Target >= Commands.CheckCommand.UnboundedIterations ? $"{p.Schedules}" : $"{p.Schedules}/{p.Target}";
        return string.Create(CultureInfo.InvariantCulture, $"{label}: {done} schedules, {rate:F1}/s, {bugs}");
    }
}

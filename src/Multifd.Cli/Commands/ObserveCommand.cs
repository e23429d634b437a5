using System.CommandLine;
using Multifd.Checker.QemuLog;
using Multifd.Engine.Ports;
using Multifd.Specifications;

namespace Multifd.Cli.Commands;

/// <summary>
/// `multifd observe LOG [LOG...]`: checks real QEMU trace logs with the model's property monitors. Prints, per
/// property, how much the logs can show and any violation with its log line. Exit 0: no violation; 2: a violation;
/// 1: a file that is unreadable or not a QEMU log (one line), or broken trace lines inside a log and no violation.
/// </summary>
public static class ObserveCommand
{
    public static Command Create(CliContext context)
    {
        var logs = new Argument<string[]>("LOG") { Description = "QEMU trace logs: one per QEMU, or the per-thread files of -d tid", Arity = ArgumentArity.OneOrMore };
        var side = new Option<string>("--side") { Description = "destination | source | both (the side of each log is read from its events)", DefaultValueFactory = _ => "both" };
        side.AcceptOnlyFromAmong("destination", "source", "both");
        var ended = new Option<bool>("--ended") { Description = "The QEMU processes exited: a thread that never ended is a hang (P8)" };
        var command = new Command("observe", "Check real QEMU trace logs (-trace, log backend) against the model's properties") { logs, side, ended };
        command.SetAction(parse => Execute(context, parse.GetValue(logs)!, parse.GetValue(side)!, parse.GetValue(ended)));
        return command;
    }

    private static int Execute(CliContext context, string[] files, string side, bool ended)
    {
        ObserveResult result;
        try
        {
            result = LogObserver.Run(new ObserveOptions(files, side switch
            {
                "destination" => ObserveSide.Destination,
                "source" => ObserveSide.Source,
                _ => ObserveSide.Both,
            }, ended, Progress: context.Error));
        }
        catch (QemuLogException e)
        {
            throw new UsageException(e.Message);
        }

        context.Out.Write(Render(result, ended));
        foreach (var b in result.Broken)
        {
            context.Error.WriteLine($"multifd: {b.File}:{b.Line}: broken trace line{(b.LastLine ? " (the last line, cut short)" : "")}: {b.Problem}");
        }

        if (result.BrokenCount > result.Broken.Count)
        {
            context.Error.WriteLine($"multifd: and {result.BrokenCount - result.Broken.Count} more broken trace lines");
        }

        return result.Violated ? ExitCodes.Bug : result.BrokenInside > 0 ? ExitCodes.BadInput : ExitCodes.Pass;
    }

    /// <summary>The report: the logs read, then one line per property.</summary>
    public static string Render(ObserveResult result, bool ended)
    {
        var o = new StringWriter();
        foreach (var s in result.Sides)
        {
            var name = s.Side == Side.Source ? "source" : "destination";
            o.WriteLine($"{name}: {string.Join(", ", s.Files.Select(f => f.Path))}" +
                        (s.Merged ? $" ({s.Files.Count} per-thread files merged by time)" : ""));
            foreach (var f in s.Files)
            {
                o.WriteLine($"  {f.Path}: {f.Format}; {f.Lines} lines: {f.PathEvents} trace events of this path, {f.OtherEvents} other trace events " +
                            $"and {f.OtherLines} other lines skipped{(f.BrokenCount > 0 ? $", {f.BrokenCount} broken" : "")}");
            }

            o.WriteLine($"  thread ids: {(s.ThreadIdentity ? "yes" : "no (threads inferred from the events)")}");
            o.WriteLine($"  devices: {(s.Devices.Count == 0 ? "none" : string.Join(", ", s.Devices))}");
        }

        foreach (var f in result.Skipped)
        {
            o.WriteLine($"skipped (other side): {f.Path}");
        }

        o.WriteLine();
        var rows = result.Properties.Select(p => (p.Id, p.Name, Status: p.Violated ? "VIOLATED" : p.Coverage.Label, p.Coverage.Note, p.Violations)).ToList();
        if (!rows.Any(r => r.Id == "P10"))
        {
            rows.Add(("P10", "NoHang", "not checkable", "a log cannot tell a hang from a run still going on: with --ended a thread that never ended is P8", []));
        }

        foreach (var r in rows.OrderBy(r => Order(r.Id)))
        {
            o.WriteLine($"{r.Id,-4} {r.Name,-22} {r.Status,-15} {r.Note}".TrimEnd());
            foreach (var v in r.Violations)
            {
                var sideName = result.Sides.Count > 1 ? $"{(v.Side == Side.Source ? "source" : "destination")} " : "";
                o.WriteLine($"       {sideName}{v.Where}: {v.Message}{(v.Later > 0 ? $" (and {v.Later} later violation{(v.Later == 1 ? "" : "s")} of it)" : "")}");
            }
        }

        o.WriteLine();
        var violated = result.Properties.Where(p => p.Violated).Select(p => p.Id).ToList();
        o.WriteLine(violated.Count > 0
            ? $"verdict: violation of {string.Join(", ", violated)}"
            : result.BrokenInside > 0
                ? $"verdict: no violation found, but {result.BrokenInside} broken trace lines were skipped (see stderr)"
                : $"verdict: no violation{(ended ? "" : " (a hang is only checked with --ended)")}");
        return o.ToString();
    }

    private static (int, string) Order(string id)
    {
        var digits = new string(id.Skip(1).TakeWhile(char.IsAsciiDigit).ToArray());
        return (int.TryParse(digits, out var n) ? n : 99, id);
    }
}

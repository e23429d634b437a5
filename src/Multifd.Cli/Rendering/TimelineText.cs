using System.Text;
using Multifd.Cli.Bundles;

namespace Multifd.Cli.Rendering;

/// <summary>
/// The timeline as fixed-column text, one line per event (legend in traces/README.md):
/// step, side (src/dst), thread, the event in QEMU's trace vocabulary, and per destination device
/// load_buf_idx/load_buf_idx_last and the queued count and bytes after the event.
/// </summary>
public static class TimelineText
{
    private const int ThreadWidth = 12;
    private const int MaxEventWidth = 72;

    public static string Render(EventLog log, IEnumerable<string> devices, string? title, bool verbose)
    {
        var queues = new DeviceQueues(devices);
        var shown = log.Events.Where(e => verbose || !e.IsLock).ToList();
        var eventWidth = Math.Min(MaxEventWidth, Math.Max(20, shown.Select(e => e.Text.Length).DefaultIfEmpty(0).Max()));
        var body = new StringBuilder();
        foreach (var e in log.Events)
        {
            var changed = queues.Apply(e);
            if (!verbose && e.IsLock)
            {
                continue;
            }

            body.Append(Line(e, eventWidth, queues, changed)).Append('\n');
        }

        var text = new StringBuilder();
        if (title is not null)
        {
            text.Append("# ").Append(title).Append('\n');
        }

        text.Append($"# {shown.Count} of {log.Events.Count} events{(verbose ? "" : " (lock events hidden; --verbose shows them)")}\n");
        var header = $"{"step",6} {"side",-4} {"thread".PadRight(ThreadWidth)} {"event".PadRight(eventWidth)}";
        foreach (var device in queues.Devices)
        {
            header += $" | {device + " idx/last queued",-22}";
        }

        text.Append(header.TrimEnd()).Append('\n');
        text.Append(body);
        text.Append($"=> {log.Failure}\n");
        return text.ToString();
    }

    private static string Line(EventRecord e, int eventWidth, DeviceQueues queues, bool changed)
    {
        var side = e.Side == "source" ? "src" : "dst";
        var text = e.Text.Length > eventWidth ? e.Text[..(eventWidth - 1)] + "…" : e.Text;
        var line = $"{e.Step,6} {side,-4} {e.Thread.PadRight(ThreadWidth)} {text.PadRight(eventWidth)}";
        foreach (var device in queues.Devices)
        {
            var mark = changed && e.String("device") == device ? "*" : " ";
            line += $" |{mark}{queues.Describe(device),-22}";
        }

        return line.TrimEnd();
    }
}

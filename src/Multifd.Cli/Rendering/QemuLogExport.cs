using System.Globalization;
using System.Text;
using Multifd.Cli.Bundles;
using Multifd.Engine.Tracing;

namespace Multifd.Cli.Rendering;

/// <summary>
/// A bundle's schedule as one QEMU's log trace backend prints it: only QEMU's own events, each as
/// <c>name args</c> with QEMU's format. 10.1 and later: no prefix, or with timestamps the ISO-8601 UTC time glib
/// formats (<c>2025-01-01T00:00:00.012000Z </c>); 10.0: <c>TID@SEC.USEC:</c> (what -msg timestamp=on printed then).
/// The times are virtual: step N of the schedule is N milliseconds after 2025-01-01T00:00:00Z. Thread ids are stable
/// per model thread: the process's main thread has the process id (source 4100, destination 4200), the others follow
/// in the order they first trace.
/// </summary>
public static class QemuLogExport
{
    private static readonly DateTimeOffset Epoch = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static string Render(EventLog log, string side, QemuVersion version, bool timestamps)
    {
        var pid = side == "source" ? 4100 : 4200;
        var tids = new Dictionary<string, int>();
        var text = new StringBuilder();
        foreach (var e in log.Events.Where(e => e.Side == side && QemuTraceEvents.IsQemuEvent(e.Event)))
        {
            var args = QemuTraceEvents.Reformat(e.Event, e.Args, version);
            if (args is null)
            {
                if (QemuTraceEvents.Find(e.Event, version) is null)
                {
                    continue; // not an event of that release
                }

                throw new UsageException($"step {e.Step}: \"{e.Text}\" is not in QEMU's format for {e.Event} " +
                                         "(a bundle made before the trace vocabulary followed QEMU's; make it again with multifd check)");
            }

            var micros = (long)e.Step * 1000;
            if (version == QemuVersion.V10_0)
            {
                var tid = Tid(tids, e.Thread, pid);
                var at = Epoch.AddTicks(micros * 10);
                text.Append(CultureInfo.InvariantCulture, $"{tid}@{at.ToUnixTimeSeconds()}.{micros % 1_000_000:D6}:");
            }
            else if (timestamps)
            {
                text.Append(IsoTime(Epoch.AddTicks(micros * 10))).Append(' ');
            }

            text.Append(e.Event).Append(' ').Append(args).Append('\n');
        }

        return text.ToString();
    }

    /// <summary>g_date_time_format_iso8601 of a UTC time: the fraction only when it is not zero.</summary>
    public static string IsoTime(DateTimeOffset at) => at.UtcDateTime.ToString(
        at.Ticks % TimeSpan.TicksPerSecond == 0 ? "yyyy-MM-dd'T'HH:mm:ss'Z'" : "yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);

    /// <summary>The release named on the command line: 10.0, 10.1 or 10.2 (10.2 stands for master too).</summary>
    public static QemuVersion ParseVersion(string name) => name switch
    {
        "10.0" => QemuVersion.V10_0,
        "10.1" => QemuVersion.V10_1,
        "10.2" or "master" => QemuVersion.V10_2,
        _ => throw new UsageException($"--qemu-version: '{name}' is not one of 10.0, 10.1, 10.2"),
    };

    private static int Tid(Dictionary<string, int> tids, string thread, int pid)
    {
        if (!tids.TryGetValue(thread, out var tid))
        {
            tid = thread == "main" ? pid : pid + 1 + tids.Count(t => t.Key != "main");
            tids[thread] = tid;
        }

        return tid;
    }
}

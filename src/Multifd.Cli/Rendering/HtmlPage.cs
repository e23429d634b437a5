using System.Net;
using System.Text;
using Multifd.Cli.Bundles;

namespace Multifd.Cli.Rendering;

/// <summary>The timeline as one self-contained HTML page (no scripts, no external files): a table, one row per event.</summary>
public static class HtmlPage
{
    public static string Render(EventLog log, IEnumerable<string> devices, string title, bool verbose)
    {
        var queues = new DeviceQueues(devices);
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n");
        html.Append($"<title>{Encode(title)}</title>\n");
        html.Append("<style>body{font-family:sans-serif;margin:1em}table{border-collapse:collapse;font-family:monospace;font-size:13px}"
            + "td,th{padding:1px 8px;text-align:left;white-space:nowrap}tr.source{background:#eef5ff}tr.destination{background:#f3fff0}"
            + "td.changed{font-weight:bold}.violation{color:#a00;font-weight:bold;white-space:pre-wrap}</style>\n</head><body>\n");
        html.Append($"<h1>{Encode(title)}</h1>\n<p class=\"violation\">{Encode(log.Failure)}</p>\n");
        html.Append("<table>\n<tr><th>step</th><th>side</th><th>thread</th><th>event</th>");
        foreach (var device in queues.Devices)
        {
            html.Append($"<th>{Encode(device)} idx/last queued</th>");
        }

        html.Append("</tr>\n");
        foreach (var e in log.Events)
        {
            var changed = queues.Apply(e);
            if (!verbose && e.IsLock)
            {
                continue;
            }

            html.Append($"<tr class=\"{e.Side}\"><td>{e.Step}</td><td>{e.Side}</td><td>{Encode(e.Thread)}</td><td>{Encode(e.Text)}</td>");
            foreach (var device in queues.Devices)
            {
                var mark = changed && e.String("device") == device ? " class=\"changed\"" : "";
                html.Append($"<td{mark}>{Encode(queues.Describe(device))}</td>");
            }

            html.Append("</tr>\n");
        }

        html.Append("</table>\n</body></html>\n");
        return html.ToString();
    }

    private static string Encode(string text) => WebUtility.HtmlEncode(text);
}

using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Multifd.Cli.Bundles;

namespace Multifd.Cli.Rendering;

/// <summary>
/// The failing schedule as one self-contained HTML page (inline CSS, JavaScript and SVG; no network): a swimlane per
/// QEMU thread grouped by source and destination, lock holds as bars, blocking waits shaded with what they wait for,
/// messages as arrows from sender to receiver, each device's queued buffers and bytes over the steps with its limit,
/// the violating step highlighted with the property's message on top. Hovering or clicking an event shows its QEMU
/// trace line. The page draws only the steps in view, so it stays fast for 10,000-event runs.
/// </summary>
public static class HtmlPage
{
    public static string Render(EventLog log, IReadOnlyList<DeviceLimits> devices, string title)
    {
        var lanes = Swimlanes.From(log, devices);
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n");
        html.Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        html.Append($"<title>{Encode(title)}</title>\n<style>\n{Resource("swimlanes.css")}</style>\n</head><body>\n");
        html.Append($"<header><h1>{Encode(title)}</h1>\n<p id=\"failure\" class=\"violation\">{Encode(log.Failure)}</p>\n");
        html.Append("<div class=\"toolbar\"><button id=\"zoom-out\" type=\"button\">\u2212</button><button id=\"zoom-in\" type=\"button\">+</button>"
            + "<button id=\"to-violation\" type=\"button\">violation</button><span class=\"legend\">"
            + "<span><i style=\"background:#d62728\"></i>BQL</span><span><i style=\"background:#1f77b4\"></i>load_bufs_mutex</span>"
            + "<span><i style=\"background:#9467bd\"></i>multifd_send_mutex</span><span><i style=\"background:#ff7f0e\"></i>queue_job_mutex</span>"
            + "<span><i style=\"background:#9aa1b0\"></i>faded: release step unknown</span>"
            + "<span><i style=\"background:repeating-linear-gradient(45deg,#9aa1b0 0 2px,#e2e4ea 2px 5px)\"></i>blocked (cond, sem, join, lock)</span>"
            + "<span><i style=\"background:#2b6cb0;height:2px\"></i>packet or marker</span></span></div></header>\n");
        html.Append("<div id=\"details\">hover or click an event for its QEMU trace line</div>\n");
        html.Append("<div id=\"timeline\"><div id=\"labels\"></div><div id=\"scroller\"><div id=\"spacer\"><svg id=\"view\" xmlns=\"http://www.w3.org/2000/svg\"></svg></div></div></div>\n");
        html.Append("<footer id=\"render-info\"></footer>\n");
        html.Append("<script type=\"application/json\" id=\"swimlane-data\">").Append(Data(log, lanes).ToJsonString(DataJson)).Append("</script>\n");
        html.Append($"<script>\n{Resource("swimlanes.js")}</script>\n</body></html>\n");
        return html.ToString();
    }

    /// <summary>What the page's script draws (compact arrays: a 10,000-event run is about a megabyte).</summary>
    private static JsonObject Data(EventLog log, Swimlanes lanes)
    {
        var events = new JsonArray();
        for (var i = 0; i < log.Events.Count; i++)
        {
            var e = log.Events[i];
            events.Add(new JsonArray(e.Step, lanes.LaneOf[i], e.Type, e.Text));
        }

        return new JsonObject
        {
            ["failure"] = log.Failure,
            ["property"] = log.Property,
            ["last"] = lanes.LastStep,
            ["lanes"] = new JsonArray([.. lanes.Lanes.Select(l => (JsonNode?)new JsonArray(l.Side, l.Thread))]),
            ["ev"] = events,
            ["holds"] = new JsonArray([.. lanes.Holds.Select(h => (JsonNode?)new JsonArray(h.Lane, h.Lock, h.From, h.Acquired, h.SolidTo, h.To))]),
            ["waits"] = new JsonArray([.. lanes.Waits.Select(w => (JsonNode?)new JsonArray(w.Lane, w.From, w.To, w.Kind, w.What))]),
            ["msgs"] = new JsonArray([.. lanes.Messages.Select(m => (JsonNode?)new JsonArray(m.From, m.To))]),
            ["queues"] = new JsonArray([.. lanes.Queues.Select(q => (JsonNode?)new JsonObject
            {
                ["dev"] = q.Device,
                ["maxCount"] = q.MaxCount,
                ["maxBytes"] = q.MaxBytes,
                ["pts"] = new JsonArray([.. q.Points.Select(p => (JsonNode?)new JsonArray(p.Step, p.Count, p.Bytes))]),
            })]),
        };
    }

    /// <summary>The default encoder escapes &lt; and &gt;, so no "&lt;/script&gt;" can end the data block early.</summary>
    private static readonly JsonSerializerOptions DataJson = new() { WriteIndented = false };

    private static string Resource(string name)
    {
        using var stream = typeof(HtmlPage).Assembly.GetManifestResourceStream($"Multifd.Cli.Rendering.{name}")
            ?? throw new InvalidOperationException($"{name} is not embedded in {typeof(HtmlPage).Assembly.GetName().Name}");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private static string Encode(string text) => WebUtility.HtmlEncode(text);
}

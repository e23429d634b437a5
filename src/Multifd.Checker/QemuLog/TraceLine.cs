using System.Globalization;
using System.Text.RegularExpressions;
using Multifd.Engine.Tracing;

namespace Multifd.Checker.QemuLog;

/// <summary>What a log line is.</summary>
public enum LineKind
{
    /// <summary>One of QEMU's trace events on this path, with arguments that parse.</summary>
    PathEvent,
    /// <summary>Another trace event (a lower-case identifier, then a space): not on this path, skipped.</summary>
    OtherEvent,
    /// <summary>glibc's "Assertion `...' failed." (QEMU's stderr in the log): an abort.</summary>
    Assertion,
    /// <summary>Not a trace line (monitor output, error_report text, anything else): skipped.</summary>
    Other,
    /// <summary>Looks like an event of this path but does not parse: cut short, or arguments that do not match.</summary>
    Broken,
}

/// <summary>The prefix the log backend put before the event.</summary>
public enum LinePrefix
{
    None,
    /// <summary>10.1 and later with -msg timestamp=on: an ISO-8601 UTC time and a space.</summary>
    IsoTime,
    /// <summary>10.0 with -msg timestamp=on: <c>TID@SEC.USEC:</c>.</summary>
    ThreadTime,
}

/// <summary>One line classified, with its prefix and (for a path event) its parsed arguments.</summary>
public sealed record TraceLine(LineKind Kind, LinePrefix Prefix, int? Tid, long? TimeMicros, string? Name, QemuTraceEvent? Event,
    object[]? Values, string? Text)
{
    /// <summary>The reason a broken line is broken.</summary>
    public string? Problem { get; init; }
}

/// <summary>
/// Reads QEMU's log-backend lines: <c>name args</c> (10.1 and later, optionally after an ISO-8601 time) and
/// <c>TID@SEC.USEC:name args</c> (10.0 with -msg timestamp=on). The arguments are parsed with the event's format from
/// <see cref="QemuTraceEvents"/> (every release's form is tried).
/// </summary>
public static partial class TraceLineParser
{
    public static TraceLine Parse(string text)
    {
        var prefix = LinePrefix.None;
        int? tid = null;
        long? time = null;
        var rest = text;
        var m = ThreadTimePrefix().Match(text);
        if (m.Success)
        {
            prefix = LinePrefix.ThreadTime;
            tid = int.TryParse(m.Groups[1].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var t) ? t : null;
            time = long.Parse(m.Groups[2].ValueSpan, CultureInfo.InvariantCulture) * 1_000_000
                   + long.Parse(m.Groups[3].ValueSpan, CultureInfo.InvariantCulture);
            rest = text[m.Length..];
        }
        else if ((m = IsoTimePrefix().Match(text)).Success
                 && DateTimeOffset.TryParse(m.Groups[1].Value, CultureInfo.InvariantCulture,
                     DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at))
        {
            prefix = LinePrefix.IsoTime;
            time = (at.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;
            rest = text[m.Length..];
        }

        if (rest.Contains("Assertion `", StringComparison.Ordinal) && rest.EndsWith("' failed.", StringComparison.Ordinal))
        {
            return new TraceLine(LineKind.Assertion, prefix, tid, time, null, null, null, rest);
        }

        var name = EventName().Match(rest);
        if (!name.Success)
        {
            return new TraceLine(LineKind.Other, prefix, tid, time, null, null, null, rest);
        }

        var eventName = name.Groups[1].Value;
        var args = name.Groups[2].Success ? name.Groups[2].Value : "";
        if (!QemuTraceEvents.IsQemuEvent(eventName))
        {
            // A cut-off name of this path's events ("vfio_load_state_dev") is a broken line, not another event.
            if (!name.Groups[2].Success && eventName.Length >= 10 && eventName.Contains('_', StringComparison.Ordinal)
                && QemuTraceEvents.All.Any(e => e.Name.StartsWith(eventName, StringComparison.Ordinal)))
            {
                return new TraceLine(LineKind.Broken, prefix, tid, time, eventName, null, null, rest)
                {
                    Problem = $"{eventName}: cut short (no such event; it begins a name of this path)",
                };
            }

            return new TraceLine(LineKind.OtherEvent, prefix, tid, time, eventName, null, null, rest);
        }

        foreach (var form in QemuTraceEvents.Forms(eventName))
        {
            if (form.Format.Parse(args) is { } values)
            {
                return new TraceLine(LineKind.PathEvent, prefix, tid, time, eventName, form, values, rest);
            }
        }

        var formats = string.Join(" or ", QemuTraceEvents.Forms(eventName).Select(e => $"\"{e.Fmt}\"").Distinct());
        return new TraceLine(LineKind.Broken, prefix, tid, time, eventName, null, null, rest)
        {
            Problem = $"{eventName}: arguments \"{Shorten(args)}\" do not match its format {formats}",
        };
    }

    private static string Shorten(string s) => s.Length > 80 ? s[..77] + "..." : s;

    [GeneratedRegex(@"^([0-9]+)@([0-9]+)\.([0-9]{6}):", RegexOptions.CultureInvariant)]
    private static partial Regex ThreadTimePrefix();

    [GeneratedRegex(@"^([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,9})?(?:Z|[+-][0-9]{2}:?[0-9]{2})) ", RegexOptions.CultureInvariant)]
    private static partial Regex IsoTimePrefix();

    [GeneratedRegex(@"^([a-z_][a-z0-9_]*)(?: (.*))?$", RegexOptions.CultureInvariant | RegexOptions.Singleline)]
    private static partial Regex EventName();
}

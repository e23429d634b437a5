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
        else if (IsoUtc(text, out var micros, out var length))
        {
            prefix = LinePrefix.IsoTime;
            time = micros;
            rest = text[length..];
        }
        else if ((m = IsoTimePrefix().Match(text)).Success
                 && DateTimeOffset.TryParse(m.Groups[1].Value, CultureInfo.InvariantCulture,
                     DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at))
        {
            prefix = LinePrefix.IsoTime;
            time = (at.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;
            rest = text[m.Length..];
        }

        if (rest.EndsWith("' failed.", StringComparison.Ordinal) && rest.Contains("Assertion `", StringComparison.Ordinal))
        {
            return new TraceLine(LineKind.Assertion, prefix, tid, time, null, null, null, rest);
        }

        var nameLength = EventNameLength(rest);
        if (nameLength == 0)
        {
            return new TraceLine(LineKind.Other, prefix, tid, time, null, null, null, rest);
        }

        var hasArgs = nameLength < rest.Length;
        var forms = QemuTraceEvents.Forms(rest.AsSpan(0, nameLength));
        foreach (var form in forms)
        {
            if (form.Format.Parse(rest, hasArgs ? nameLength + 1 : nameLength) is { } parsed)
            {
                return new TraceLine(LineKind.PathEvent, prefix, tid, time, form.Name, form, parsed, rest);
            }
        }

        var eventName = rest[..nameLength];
        var args = hasArgs ? rest[(nameLength + 1)..] : "";
        if (forms.Count == 0)
        {
            // A cut-off name of this path's events ("vfio_load_state_dev") is a broken line, not another event.
            if (!hasArgs && eventName.Length >= 10 && eventName.Contains('_', StringComparison.Ordinal)
                && QemuTraceEvents.All.Any(e => e.Name.StartsWith(eventName, StringComparison.Ordinal)))
            {
                return new TraceLine(LineKind.Broken, prefix, tid, time, eventName, null, null, rest)
                {
                    Problem = $"{eventName}: cut short (no such event; it begins a name of this path)",
                };
            }

            return new TraceLine(LineKind.OtherEvent, prefix, tid, time, eventName, null, null, rest);
        }

        var formats = string.Join(" or ", QemuTraceEvents.Forms(eventName).Select(e => $"\"{e.Fmt}\"").Distinct());
        return new TraceLine(LineKind.Broken, prefix, tid, time, eventName, null, null, rest)
        {
            Problem = $"{eventName}: arguments \"{Shorten(args)}\" do not match its format {formats}",
        };
    }

    /// <summary>The length of a leading lower-case identifier followed by a space or the end, else 0.</summary>
    private static int EventNameLength(string text)
    {
        if (text.Length == 0 || !(text[0] is (>= 'a' and <= 'z') or '_'))
        {
            return 0;
        }

        var i = 1;
        while (i < text.Length && text[i] is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_')
        {
            i++;
        }

        return i == text.Length || text[i] == ' ' ? i : 0;
    }

    /// <summary>
    /// The common case of the ISO-8601 prefix, read without a parser: <c>YYYY-MM-DDTHH:MM:SS[.ffffff]Z </c> (glib's
    /// format of a UTC time). Other forms (an offset) go to the general path.
    /// </summary>
    private static bool IsoUtc(string text, out long micros, out int length)
    {
        micros = 0;
        length = 0;
        if (text.Length < 21 || text[4] != '-' || text[7] != '-' || text[10] != 'T' || text[13] != ':' || text[16] != ':')
        {
            return false;
        }

        if (!Digits(text, 0, 4, out var year) || !Digits(text, 5, 2, out var month) || !Digits(text, 8, 2, out var day)
            || !Digits(text, 11, 2, out var hour) || !Digits(text, 14, 2, out var minute) || !Digits(text, 17, 2, out var second))
        {
            return false;
        }

        var i = 19;
        long fraction = 0;
        var scale = 1_000_000L;
        if (text[i] == '.')
        {
            i++;
            while (i < text.Length && text[i] is >= '0' and <= '9')
            {
                if (scale > 1)
                {
                    scale /= 10;
                    fraction += (text[i] - '0') * scale;
                }

                i++;
            }
        }

        if (i + 1 >= text.Length || text[i] != 'Z' || text[i + 1] != ' '
            || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month) || hour > 23 || minute > 59 || second > 60)
        {
            return false;
        }

        var at = new DateTime(year, month, day, hour, minute, Math.Min(second, 59), DateTimeKind.Utc);
        micros = (at.Ticks - DateTime.UnixEpoch.Ticks) / 10 + fraction;
        length = i + 2;
        return true;
    }

    private static bool Digits(string text, int start, int count, out int value)
    {
        value = 0;
        for (var i = start; i < start + count; i++)
        {
            if (text[i] is < '0' or > '9')
            {
                return false;
            }

            value = value * 10 + (text[i] - '0');
        }

        return value >= 0 && (count != 4 || value >= 1);
    }

    private static string Shorten(string s) => s.Length > 80 ? s[..77] + "..." : s;

    [GeneratedRegex(@"^([0-9]+)@([0-9]+)\.([0-9]{6}):", RegexOptions.CultureInvariant)]
    private static partial Regex ThreadTimePrefix();

    [GeneratedRegex(@"^([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,9})?(?:Z|[+-][0-9]{2}:?[0-9]{2})) ", RegexOptions.CultureInvariant)]
    private static partial Regex IsoTimePrefix();

}

using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Multifd.Engine.Tracing;

/// <summary>
/// The subset of C printf that QEMU's trace-event formats on this path use: %s, %d, %u, %x and their l-prefixed
/// forms (PRIu64 is "lu", PRIx64 "lx", PRIu32 "u" on the 64-bit Linux hosts VFIO migration runs on). Formats values
/// the way the C library does and parses a formatted text back into its values.
/// </summary>
public sealed class PrintfFormat
{
    private readonly List<Segment> segments = [];
    private readonly Regex parser;

    public PrintfFormat(string format)
    {
        Text = format;
        var literal = new StringBuilder();
        for (var i = 0; i < format.Length; i++)
        {
            if (format[i] != '%')
            {
                literal.Append(format[i]);
                continue;
            }

            if (i + 1 < format.Length && format[i + 1] == '%')
            {
                literal.Append('%');
                i++;
                continue;
            }

            var j = i + 1;
            var isLong = false;
            while (j < format.Length && format[j] == 'l')
            {
                isLong = true;
                j++;
            }

            if (j >= format.Length || "sdux".IndexOf(format[j], StringComparison.Ordinal) < 0)
            {
                throw new ArgumentException($"unsupported conversion at {i} in \"{format}\"", nameof(format));
            }

            if (literal.Length > 0)
            {
                segments.Add(new Segment(literal.ToString(), null, false));
                literal.Clear();
            }

            segments.Add(new Segment(null, format[j], isLong));
            i = j;
        }

        if (literal.Length > 0)
        {
            segments.Add(new Segment(literal.ToString(), null, false));
        }

        Conversions = segments.Where(s => s.Conversion is not null).Select(s => s.Conversion!.Value).ToArray();
        parser = new Regex("^" + string.Concat(segments.Select(Pattern)) + "$", RegexOptions.CultureInvariant);
    }

    /// <summary>The format as written, e.g. <c>" (%s) idx %u"</c>.</summary>
    public string Text { get; }

    /// <summary>The conversion letters in order ('s', 'd', 'u', 'x').</summary>
    public IReadOnlyList<char> Conversions { get; }

    /// <summary>
    /// Formats the values as printf would. A value is a string (for %s), a bool (printed 1 or 0, as C promotes it),
    /// or any integer.
    /// </summary>
    public string Format(params object[] values)
    {
        if (values.Length != Conversions.Count)
        {
            throw new ArgumentException($"\"{Text}\" takes {Conversions.Count} values, got {values.Length}", nameof(values));
        }

        var text = new StringBuilder();
        var k = 0;
        foreach (var s in segments)
        {
            if (s.Literal is not null)
            {
                text.Append(s.Literal);
                continue;
            }

            var value = values[k++];
            text.Append(s.Conversion switch
            {
                's' => value as string ?? throw new ArgumentException($"\"{Text}\": %s needs a string, got {value}", nameof(values)),
                'd' => Signed(value, s.IsLong).ToString(CultureInfo.InvariantCulture),
                'u' => Unsigned(value, s.IsLong).ToString(CultureInfo.InvariantCulture),
                _ => Unsigned(value, s.IsLong).ToString("x", CultureInfo.InvariantCulture),
            });
        }

        return text.ToString();
    }

    /// <summary>
    /// Parses a formatted text back: strings for %s, long for %d, ulong for %u and %x. Null if the text does not
    /// have this format (a literal differs, a number is malformed or out of range, the text is cut short).
    /// </summary>
    public object[]? Parse(string text)
    {
        var m = parser.Match(text);
        if (!m.Success)
        {
            return null;
        }

        var values = new object[Conversions.Count];
        var k = 0;
        foreach (var s in segments.Where(s => s.Conversion is not null))
        {
            var group = m.Groups[k + 1].Value;
            switch (s.Conversion)
            {
                case 's':
                    values[k] = group;
                    break;
                case 'd':
                    if (!long.TryParse(group, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var d) || (!s.IsLong && d is < int.MinValue or > int.MaxValue))
                    {
                        return null;
                    }

                    values[k] = d;
                    break;
                default:
                    var style = s.Conversion == 'x' ? NumberStyles.AllowHexSpecifier : NumberStyles.None;
                    if (!ulong.TryParse(group, style, CultureInfo.InvariantCulture, out var u) || (!s.IsLong && u > uint.MaxValue))
                    {
                        return null;
                    }

                    values[k] = u;
                    break;
            }

            k++;
        }

        return values;
    }

    public override string ToString() => Text;

    private static string Pattern(Segment s) => s.Conversion switch
    {
        null => Regex.Escape(s.Literal!),
        's' => "(.*?)",
        'd' => "(-?[0-9]+)",
        'u' => "([0-9]+)",
        _ => "([0-9a-f]+)",
    };

    private static long Signed(object value, bool isLong) => value switch
    {
        bool b => b ? 1 : 0,
        // %d of a 32-bit int prints its C value; an unsigned argument wider than the conversion wraps as in C.
        uint u => isLong ? u : unchecked((int)u),
        ulong u => isLong ? unchecked((long)u) : unchecked((int)u),
        _ => isLong ? Convert.ToInt64(value, CultureInfo.InvariantCulture) : unchecked((int)Convert.ToInt64(value, CultureInfo.InvariantCulture)),
    };

    private static ulong Unsigned(object value, bool isLong) => value switch
    {
        bool b => b ? 1UL : 0UL,
        ulong u => isLong ? u : unchecked((uint)u),
        long l => isLong ? unchecked((ulong)l) : unchecked((uint)l),
        int i => isLong ? unchecked((ulong)i) : unchecked((uint)i),
        _ => isLong ? Convert.ToUInt64(value, CultureInfo.InvariantCulture) : unchecked((uint)Convert.ToUInt64(value, CultureInfo.InvariantCulture)),
    };

    private sealed record Segment(string? Literal, char? Conversion, bool IsLong);
}

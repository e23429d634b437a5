using System.Globalization;
using System.Text;

namespace Multifd.Engine.Tracing;

/// <summary>
/// The subset of C printf that QEMU's trace-event formats on this path use: %s, %d, %u, %x and their l-prefixed
/// forms (PRIu64 is "lu", PRIx64 "lx", PRIu32 "u" on the 64-bit Linux hosts VFIO migration runs on). Formats values
/// the way the C library does and parses a formatted text back into its values.
/// </summary>
public sealed class PrintfFormat
{
    private readonly List<Segment> segments = [];
    private readonly Segment[] conversionSegments;

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

        conversionSegments = segments.Where(s => s.Conversion is not null).ToArray();
        Conversions = conversionSegments.Select(s => s.Conversion!.Value).ToArray();
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
    public object[]? Parse(string text) => Parse(text, 0);

    /// <summary>Parses <paramref name="text"/> from <paramref name="start"/> to its end (see <see cref="Parse(string)"/>).</summary>
    public object[]? Parse(string text, int start)
    {
        var groups = new (int Start, int End)[conversionSegments.Length];
        if (!Match(text, start, 0, 0, groups))
        {
            return null;
        }

        var values = new object[conversionSegments.Length];
        for (var k = 0; k < conversionSegments.Length; k++)
        {
            var s = conversionSegments[k];
            var group = text.AsSpan(groups[k].Start, groups[k].End - groups[k].Start);
            switch (s.Conversion)
            {
                case 's':
                    values[k] = group.ToString();
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
        }

        return values;
    }

    public override string ToString() => Text;

    /// <summary>Whether the format matches the text from <paramref name="at"/> (segment <paramref name="i"/> on); a %s takes the shortest text that lets the rest match.</summary>
    private bool Match(string text, int at, int i, int k, (int Start, int End)[] groups)
    {
        if (i == segments.Count)
        {
            return at == text.Length;
        }

        var s = segments[i];
        if (s.Literal is { } literal)
        {
            return text.AsSpan(at).StartsWith(literal, StringComparison.Ordinal) && Match(text, at + literal.Length, i + 1, k, groups);
        }

        if (s.Conversion == 's')
        {
            if (i + 1 == segments.Count)
            {
                groups[k] = (at, text.Length);
                return true;
            }

            // The next segment is a literal (formats never put two conversions side by side): try each place it occurs.
            var next = segments[i + 1].Literal ?? "";
            for (var end = text.IndexOf(next, at, StringComparison.Ordinal); end >= 0; end = text.IndexOf(next, end + 1, StringComparison.Ordinal))
            {
                groups[k] = (at, end);
                if (Match(text, end, i + 1, k + 1, groups))
                {
                    return true;
                }

                if (next.Length == 0)
                {
                    break;
                }
            }

            return false;
        }

        var j = at;
        if (s.Conversion == 'd' && j < text.Length && text[j] == '-')
        {
            j++;
        }

        var digitsFrom = j;
        while (j < text.Length && (char.IsAsciiDigit(text[j]) || (s.Conversion == 'x' && text[j] is >= 'a' and <= 'f')))
        {
            j++;
        }

        if (j == digitsFrom)
        {
            return false;
        }

        groups[k] = (at, j);
        return Match(text, j, i + 1, k + 1, groups);
    }

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

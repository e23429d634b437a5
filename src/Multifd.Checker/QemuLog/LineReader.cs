using System.Text;

namespace Multifd.Checker.QemuLog;

/// <summary>One physical line of a log file.</summary>
/// <param name="Number">1-based.</param>
/// <param name="Text">The line without its end of line (cut at <see cref="LineReader.MaxLineBytes"/>).</param>
/// <param name="Binary">The line holds NUL or other control bytes a text log never has.</param>
/// <param name="Unterminated">The file ends inside this line (no newline after it): the writer was stopped mid-line.</param>
public readonly record struct RawLine(long Number, string Text, bool TooLong, bool Binary, bool Unterminated);

/// <summary>
/// Reads a log file line by line in constant memory, however large the file and however long its lines: a line
/// longer than <see cref="MaxLineBytes"/> is cut (and flagged), never held whole.
/// </summary>
public sealed class LineReader : IDisposable
{
    public const int MaxLineBytes = 64 * 1024;

    private readonly Stream stream;
    private readonly byte[] buffer = new byte[1 << 20];
    private readonly byte[] line = new byte[MaxLineBytes];
    private int start;
    private int end;
    private long number;
    private bool eof;

    public LineReader(string path)
    {
        stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.SequentialScan);
        Length = stream.Length;
    }

    /// <summary>The file's size in bytes when opened.</summary>
    public long Length { get; }

    /// <summary>Bytes consumed so far.</summary>
    public long Position { get; private set; }

    public bool TryRead(out RawLine raw)
    {
        var length = 0;
        var tooLong = false;
        var binary = false;
        while (true)
        {
            if (start == end)
            {
                if (eof || !Fill())
                {
                    if (length == 0 && !tooLong)
                    {
                        raw = default;
                        return false;
                    }

                    raw = new RawLine(++number, Decode(length), tooLong, binary, Unterminated: true);
                    return true;
                }
            }

            var newline = buffer.AsSpan(start, end - start).IndexOf((byte)'\n');
            newline = newline < 0 ? -1 : start + newline;
            var stop = newline < 0 ? end : newline;
            var chunk = buffer.AsSpan(start, stop - start);
            binary |= chunk.IndexOfAnyInRange((byte)0x00, (byte)0x08) >= 0 || chunk.IndexOfAnyInRange((byte)0x0e, (byte)0x1f) >= 0
                      || chunk.IndexOfAny((byte)0x0b, (byte)0x0c) >= 0;
            var room = MaxLineBytes - length;
            if (chunk.Length > room)
            {
                tooLong = true;
                chunk = chunk[..room];
            }

            chunk.CopyTo(line.AsSpan(length));
            length += chunk.Length;

            Position += stop - start + (newline < 0 ? 0 : 1);
            start = newline < 0 ? end : newline + 1;
            if (newline >= 0)
            {
                raw = new RawLine(++number, Decode(length), tooLong, binary, Unterminated: false);
                return true;
            }
        }
    }

    public void Dispose() => stream.Dispose();

    private bool Fill()
    {
        start = 0;
        end = stream.Read(buffer, 0, buffer.Length);
        eof = end == 0;
        return !eof;
    }

    private string Decode(int length)
    {
        if (length > 0 && line[length - 1] == (byte)'\r')
        {
            length--;
        }

        return Encoding.UTF8.GetString(line, 0, length);
    }
}

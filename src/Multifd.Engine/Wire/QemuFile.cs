using System.Buffers;
using System.Buffers.Binary;
using Multifd.Engine.Ports;

namespace Multifd.Engine.Wire;

/// <summary>Errno values the model uses.</summary>
public static class Errno
{
    public const int EIO = 5;
    public const int ENOMEM = 12;
    public const int EINVAL = 22;
    public const int EPIPE = 32;
    public const int ECANCELED = 125;
}

/// <summary>
/// A QEMUFile for writing: big-endian puts into a buffer, written to the channel on flush. After the first
/// error every later operation is a no-op and <see cref="Error"/> stays set (qemu_file_get_error).
/// </summary>
public sealed class QemuFileWriter(IMigrationChannel? channel)
{
    private readonly MemoryStream buffer = new();

    /// <summary>qemu_file_get_error. Another thread may set it (qemu_file_shutdown from migrate_cancel).</summary>
    public int Error { get; private set; }

    /// <summary>The bytes buffered (for an in-memory QEMUFile such as the config blob).</summary>
    public byte[] ToArray() => buffer.ToArray();

    public void PutByte(byte value) => buffer.WriteByte(value);

    public void PutBe16(ushort value)
    {
        Span<byte> b = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(b, value);
        buffer.Write(b);
    }

    public void PutBe32(uint value)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(b, value);
        buffer.Write(b);
    }

    public void PutBe64(ulong value)
    {
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(b, value);
        buffer.Write(b);
    }

    public void PutBuffer(ReadOnlySpan<byte> bytes) => buffer.Write(bytes);

    /// <summary>qemu_file_set_error: the first error sticks.</summary>
    public void SetError(int error)
    {
        if (Error == 0)
        {
            Error = error;
        }
    }

    /// <summary>qemu_fflush: writes what is buffered. Returns the file's error (0 if none).</summary>
    public int Flush()
    {
        if (channel is null || Error != 0 || buffer.Length == 0)
        {
            buffer.SetLength(0);
            return Error;
        }

        var ret = channel.Write(buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
        buffer.SetLength(0);
        if (ret < 0)
        {
            SetError(ret);
        }

        return Error;
    }
}

/// <summary>write(fd, bytes): the count written, or a negative errno.</summary>
public delegate int FdWrite(ReadOnlySpan<byte> bytes);

/// <summary>
/// A QEMUFile for reading, buffered like QEMU's (one channel read fills the buffer). At end of stream or on a
/// channel error the gets return 0 and <see cref="Error"/> is set, as qemu_get_* do.
/// </summary>
/// <remarks>A channel reader's buffer of <see cref="PooledFromBytes"/> or more (QEMU's 32 KiB IO_BUF_SIZE for the
/// multifd and return-path channels, three a schedule) is rented from the shared pool and returned by
/// <see cref="Dispose"/>; a reader not disposed only leaves its buffer to the garbage collector.</remarks>
public sealed class QemuFileReader : IDisposable
{
    /// <summary>Channel buffers at least this large are pooled.</summary>
    public const int PooledFromBytes = 4096;

    private readonly IMigrationChannel? channel;
    private readonly int capacity;
    private byte[] buffer;
    private bool pooled;
    private int start;
    private int end;

    public QemuFileReader(IMigrationChannel channel, int bufferSize = 32768)
    {
        this.channel = channel;
        capacity = bufferSize;
        pooled = bufferSize >= PooledFromBytes;
        buffer = pooled ? ArrayPool<byte>.Shared.Rent(bufferSize) : new byte[bufferSize];
    }

    /// <summary>An in-memory QEMUFile over <paramref name="bytes"/> (qio_channel_buffer).</summary>
    public QemuFileReader(byte[] bytes)
    {
        buffer = bytes;
        capacity = bytes.Length;
        end = bytes.Length;
    }

    /// <summary>Returns a pooled buffer (once); the reader reads nothing more after it.</summary>
    public void Dispose()
    {
        var rented = buffer;
        buffer = [];
        start = end = 0;
        if (pooled)
        {
            pooled = false;
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    public int Error { get; private set; }

    /// <summary>True once the stream ended cleanly with nothing left to read.</summary>
    public bool AtEof { get; private set; }

    public byte GetByte()
    {
        Span<byte> b = stackalloc byte[1];
        return Fill(b) ? b[0] : (byte)0;
    }

    public ushort GetBe16()
    {
        Span<byte> b = stackalloc byte[2];
        return Fill(b) ? BinaryPrimitives.ReadUInt16BigEndian(b) : (ushort)0;
    }

    public uint GetBe32()
    {
        Span<byte> b = stackalloc byte[4];
        return Fill(b) ? BinaryPrimitives.ReadUInt32BigEndian(b) : 0;
    }

    public ulong GetBe64()
    {
        Span<byte> b = stackalloc byte[8];
        return Fill(b) ? BinaryPrimitives.ReadUInt64BigEndian(b) : 0;
    }

    /// <summary>
    /// qio_channel_read_all_eof: 1 when <paramref name="dst"/> was filled, 0 at a clean end of stream before
    /// any byte, -1 on an error or an end of stream in the middle.
    /// </summary>
    public int ReadAllEof(Span<byte> dst)
    {
        if (start == end && Error == 0)
        {
            Refill();
        }

        if (Error != 0)
        {
            return AtEof && start == end ? 0 : -1;
        }

        return Fill(dst) ? 1 : -1;
    }

    /// <summary>qemu_get_buffer: fills <paramref name="dst"/> completely, or sets the error.</summary>
    public bool GetBuffer(Span<byte> dst) => Fill(dst);

    /// <summary>
    /// qemu_file_get_to_fd: copies the next <paramref name="size"/> bytes of the stream to an fd as they come: it
    /// writes what the buffer holds (at most the buffer's size a write, less after a partial write) and refills the
    /// buffer when it is empty, so writes and channel reads interleave. Returns 0, the channel's error (-EIO at the
    /// end of the stream; <see cref="Error"/> is set), or the write's negative errno (-EIO for a write of 0).
    /// </summary>
    public int GetToFd(FdWrite write, ulong size)
    {
        while (size > 0)
        {
            var pending = end - start;
            if (pending == 0)
            {
                if (Error != 0 || !Refill())
                {
                    return Error;
                }

                continue;
            }

            var rc = write(buffer.AsSpan(start, (int)Math.Min((ulong)pending, size)));
            if (rc <= 0)
            {
                return rc < 0 ? rc : -Errno.EIO;
            }

            start += rc;
            size -= (ulong)rc;
        }

        return 0;
    }

    private bool Fill(Span<byte> dst)
    {
        var done = 0;
        while (done < dst.Length)
        {
            if (Error != 0)
            {
                dst[done..].Clear();
                return false;
            }

            if (start == end && !Refill())
            {
                continue;
            }

            var n = Math.Min(end - start, dst.Length - done);
            buffer.AsSpan(start, n).CopyTo(dst[done..]);
            start += n;
            done += n;
        }

        return true;
    }

    private bool Refill()
    {
        if (channel is null)
        {
            AtEof = true;
            Error = -Errno.EIO;
            return false;
        }

        var n = channel.Read(buffer.AsSpan(0, Math.Min(capacity, buffer.Length)));
        if (n <= 0)
        {
            AtEof = n == 0;
            Error = n == 0 ? -Errno.EIO : n;
            return false;
        }

        start = 0;
        end = n;
        return true;
    }
}

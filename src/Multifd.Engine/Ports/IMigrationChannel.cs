namespace Multifd.Engine.Ports;

/// <summary>
/// One in-order byte stream from source to destination: the main migration channel or one multifd channel
/// (a QIOChannel). There is no order between two channels.
/// </summary>
public interface IMigrationChannel
{
    string Name { get; }

    /// <summary>qio_channel_writev_all: writes all bytes or fails. Returns 0, or a negative errno.</summary>
    int Write(ReadOnlySpan<byte> bytes);

    /// <summary>
    /// A write with QIO_CHANNEL_WRITE_FLAG_ZERO_COPY: the kernel sends from <paramref name="buffer"/> itself
    /// later on, so the caller must keep it untouched until a zero-copy flush.
    /// </summary>
    int WriteZeroCopy(byte[] buffer);

    /// <summary>
    /// qio_channel_read: blocks until at least one byte is available, the writer closed the stream, or the
    /// channel failed. Returns the count read (at most <paramref name="buffer"/>.Length), 0 at end of stream,
    /// or a negative errno.
    /// </summary>
    int Read(Span<byte> buffer);

    /// <summary>
    /// qio_channel_read on a non-blocking channel: as <see cref="Read"/>, but returns
    /// <see cref="QioChannel.ErrBlock"/> at once when no byte is available and the stream has not ended.
    /// </summary>
    int ReadNonBlocking(Span<byte> buffer);

    /// <summary>The writer's close (end of stream after all bytes written so far).</summary>
    void CloseWrite();

    /// <summary>qio_channel_shutdown(BOTH): blocked and later reads and writes fail at once.</summary>
    void Shutdown();
}

/// <summary>Constants of QEMU's io/channel.h.</summary>
public static class QioChannel
{
    /// <summary>QIO_CHANNEL_ERR_BLOCK: the operation would block.</summary>
    public const int ErrBlock = -2;
}

using Multifd.Engine.Core;
using Multifd.Engine.Ports;
using Multifd.Engine.Wire;

namespace Multifd.Simulation;

/// <summary>
/// An in-order byte stream between the two QEMUs (a socket): each write is appended whole, a read returns
/// what is there (blocking while empty). Optional capacity makes writers block like a full socket buffer.
/// Faults: a failed write breaks the stream (the reader gets the bytes written before, then an error);
/// a failed read returns an error to the reader.
/// </summary>
public sealed class SimChannel : IMigrationChannel
{
    private readonly IMutexGate gate = SchedulerHints.NewMutexGate(); // as a QemuMutex's: Coyote's monitor, or its cheaper equal
    private readonly Queue<byte[]> segments = new();
    private readonly int capacityBytes;
    private readonly FaultPlan faults;
    private readonly Fault? writeFault;
    private readonly Fault? readFault;
    private int headOffset;
    private int bufferedBytes;
    private readonly WaitQueue readers = new();
    private readonly WaitQueue writers = new();
    private bool readable; // segments.Count > 0 || writerClosed || broken || shutdown; written with the gate held
    private bool writerClosed;
    private bool broken;
    private bool shutdown;
    private bool readFails; // FailNextRead: the next read returns EIO

    /// <param name="capacityBytes">0: unbounded. Otherwise a write waits while this many bytes are unread.</param>
    public SimChannel(string name, int capacityBytes = 0, FaultPlan? faults = null, Fault? writeFault = null,
        Fault? readFault = null)
    {
        Name = name;
        this.capacityBytes = capacityBytes;
        this.faults = faults ?? FaultPlan.None;
        this.writeFault = writeFault;
        this.readFault = readFault;
    }

    public string Name { get; }

    /// <summary>Total bytes ever written (for reports).</summary>
    public long BytesWritten { get; private set; }

    public int Write(ReadOnlySpan<byte> bytes)
    {
        if (writeFault is { } wf && faults.Fires(wf, Side.Source, $"{Name} write of {bytes.Length} bytes"))
        {
            using (gate.Hold())
            {
                // The main channel "ends early": a clean end of stream; a multifd channel breaks.
                writerClosed |= wf == Fault.MainChannelEof;
                broken |= wf != Fault.MainChannelEof;
                readable = true;
                WakeWaiters();
            }

            return -Errno.EPIPE;
        }

        return Append(bytes, null, copy: true);
    }

    private int Append(ReadOnlySpan<byte> bytes, byte[]? shared, bool copy)
    {
        if (!copy && writeFault is { } wf && faults.Fires(wf, Side.Source, $"{Name} write of {bytes.Length} bytes"))
        {
            return -Errno.EPIPE;
        }

        var segment = copy ? bytes.ToArray() : shared!;
        using (gate.Hold())
        {
            while (capacityBytes > 0 && bufferedBytes > 0 && bufferedBytes + segment.Length > capacityBytes
                   && !shutdown && !broken)
            {
                writers.Wait(gate);
            }

            if (shutdown || broken || writerClosed)
            {
                return -Errno.EPIPE;
            }

            segments.Enqueue(segment);
            readable = true;
            bufferedBytes += segment.Length;
            BytesWritten += segment.Length;
            readers.WakeAll();

            return 0;
        }
    }

    /// <summary>Zero-copy: the reader gets <paramref name="buffer"/> itself, as it is when read.</summary>
    public int WriteZeroCopy(byte[] buffer) => Append(buffer, buffer, copy: false);

    public int Read(Span<byte> buffer) => Read(buffer, block: true);

    /// <remarks>
    /// "Nothing to read" is decided from a flag read without taking the gate, so that a read that would block costs
    /// no scheduling decision (the caller then blocks in <see cref="Read(Span{byte})"/>, which is one). A stale
    /// answer only says the bytes have not arrived yet, which a non-blocking read of a socket may always say; and
    /// only the channel's one reader removes bytes, so a flag saying "readable" stays true until it reads.
    /// </remarks>
    public int ReadNonBlocking(Span<byte> buffer) => readable ? Read(buffer, block: false) : QioChannel.ErrBlock;

    private int Read(Span<byte> buffer, bool block)
    {
        if (readFault is { } rf && faults.Fires(rf, Side.Destination, $"{Name} read"))
        {
            return -Errno.EIO;
        }

        using (gate.Hold())
        {
            while (segments.Count == 0 && !writerClosed && !broken && !shutdown && !readFails)
            {
                if (!block)
                {
                    return QioChannel.ErrBlock;
                }

                readers.Wait(gate);
            }

            if (shutdown)
            {
                return -Errno.EIO;
            }

            if (readFails)
            {
                readFails = false;
                readable = segments.Count > 0 || writerClosed || broken;
                return -Errno.EIO;
            }

            if (segments.Count == 0)
            {
                return broken ? -Errno.EIO : 0;
            }

            var n = 0;
            while (n < buffer.Length && segments.Count > 0)
            {
                var head = segments.Peek();
                var take = Math.Min(head.Length - headOffset, buffer.Length - n);
                head.AsSpan(headOffset, take).CopyTo(buffer[n..]);
                n += take;
                headOffset += take;
                if (headOffset == head.Length)
                {
                    segments.Dequeue();
                    headOffset = 0;
                }
            }

            bufferedBytes -= n;
            readable = segments.Count > 0 || writerClosed || broken || shutdown;
            writers.WakeAll();

            return n;
        }
    }

    public void CloseWrite()
    {
        using (gate.Hold())
        {
            writerClosed = true;
            readable = true;
            WakeWaiters();
        }
    }

    /// <summary>The connection breaks now (a fault landing between two events): writes fail, the reader gets the bytes written before, then an error.</summary>
    public void Break()
    {
        using (gate.Hold())
        {
            broken = true;
            readable = true;
            WakeWaiters();
        }
    }

    /// <summary>The reader's next read fails with EIO (a fault landing between two events), blocked or not.</summary>
    public void FailNextRead()
    {
        using (gate.Hold())
        {
            readFails = true;
            readable = true;
            WakeWaiters();
        }
    }

    public void Shutdown()
    {
        using (gate.Hold())
        {
            shutdown = true;
            readable = true;
            WakeWaiters();
        }
    }

    /// <summary>Wakes every blocked reader and writer. Called with the gate held.</summary>
    private void WakeWaiters()
    {
        readers.WakeAll();
        writers.WakeAll();
    }
}

using Multifd.Engine.Ports;

namespace Multifd.Specifications;

/// <summary>
/// P6: per device, the real queue — bytes of every inserted buffer (config and beyond-last included) minus the
/// bytes the load thread wrote, and inserted buffers minus fully written data buffers — equals the engine's
/// counters, never exceeds x-migration-max-queued-buffers[-size] without that limit's error being raised at that
/// insert, and the error is never raised while the insert would stay within the limit.
/// </summary>
/// <remarks>
/// The buffer count is compared and held to its limit only where the count limit is on: it is the knob proposed in
/// the reviewed series (v2..v6, dc15bcb035), not merged, and QEMU as merged has no counter for it.
/// 
/// QEMU does not roll the counter back when the limit error is raised, so after a device's first limit error its
/// counters run ahead of the real queue and are no longer compared (the migration has failed by then); the real
/// queue is still held to the limits.
/// </remarks>
public sealed class QueueStaysBounded : Property
{
    private readonly PerDevice<DeviceQueue> devices = [];

    public override string Id => "P6";

    public override string Statement =>
        "Queued bytes and buffers match the engine's counters and never exceed the limits unless the limit error is raised at that insert.";

    public override Coverage CoverageOf(Evidence evidence) =>
        evidence.ModelEvents ? Coverage.Full()
        : Coverage.None("no buffer size, queued size or limit is traced (vfio_load_state_device_buffer_incoming has only name and idx)");

    public override void On(Observation o)
    {
        if (o.Side != Side.Destination)
        {
            return;
        }

        switch (o.Event)
        {
            case LoadSetup e:
                var q = devices.Of(e.Device);
                q.MaxCount = e.MaxQueuedBuffers;
                q.MaxBytes = e.MaxQueuedBuffersSizeBytes;
                break;
            case BufferInserted e:
                OnInserted(e);
                break;
            case QueueLimitExceeded e:
                OnLimitError(e);
                break;
            case BufferChunkWritten { Ret: > 0 } e:
                var w = devices.Of(e.Device);
                w.Bytes -= e.Ret;
                Compare(w, e.Device, $"after writing {e.Ret} bytes of idx {e.Idx}", e.QueuedCount, e.QueuedBytes);
                break;
            case BufferLoaded e:
                var l = devices.Of(e.Device);
                l.Count--;
                l.Written++;
                Compare(l, e.Device, $"after idx {e.Idx} was fully written", e.QueuedCount, e.QueuedBytes);
                break;
        }
    }

    private void OnInserted(BufferInserted e)
    {
        var q = devices.Of(e.Device);
        q.Count++;
        q.Inserted++;
        q.Bytes += e.Bytes;
        if (q.CountLimitOn && (ulong)q.Count > q.MaxCount)
        {
            Fail($"{e.Device}: idx {e.Idx} inserted with {q.Count} buffers queued ({q.Inserted} inserted - {q.Written} fully written), " +
                 $"above x-migration-max-queued-buffers {q.MaxCount}, and no limit error was raised");
        }

        if ((ulong)q.Bytes > q.MaxBytes)
        {
            Fail($"{e.Device}: idx {e.Idx} ({e.Bytes} bytes) inserted with {q.Bytes} bytes queued, " +
                 $"above x-migration-max-queued-buffers-size {q.MaxBytes}, and no limit error was raised");
        }

        Compare(q, e.Device, $"after inserting idx {e.Idx} ({e.Bytes} bytes)", e.QueuedCount, e.QueuedBytes);
    }

    private void OnLimitError(QueueLimitExceeded e)
    {
        var q = devices.Of(e.Device);
        if (!q.LimitErrorSeen)
        {
            if (e.Limit == "count" && (ulong)q.Count + 1 <= q.MaxCount)
            {
                Fail($"{e.Device}: idx {e.Idx} refused by the count limit with {q.Count} buffers queued: " +
                     $"{q.Count + 1} would be within x-migration-max-queued-buffers {q.MaxCount} (engine counter {e.Counter})");
            }

            if (e.Limit == "size" && (ulong)(q.Bytes + e.Bytes) <= q.MaxBytes)
            {
                Fail($"{e.Device}: idx {e.Idx} ({e.Bytes} bytes) refused by the size limit with {q.Bytes} bytes queued: " +
                     $"{q.Bytes + e.Bytes} would be within x-migration-max-queued-buffers-size {q.MaxBytes} (engine counter {e.Counter})");
            }

            if (e.Limit is not ("count" or "size"))
            {
                Fail($"{e.Device}: idx {e.Idx} refused by an unknown limit \"{e.Limit}\"");
            }
        }

        q.LimitErrorSeen = true;
    }

    /// <summary>The engine's counters must equal the real queue until the device's first limit error.</summary>
    private void Compare(DeviceQueue q, string device, string when, ulong engineCount, ulong engineBytes)
    {
        if (q.LimitErrorSeen)
        {
            return;
        }

        if (q.CountLimitOn && engineCount != (ulong)q.Count)
        {
            Fail($"{device}: {when} the engine counts {engineCount} queued buffers (load_buf_queued_pending_buffers), " +
                 $"but {q.Count} are queued ({q.Inserted} inserted - {q.Written} fully written)");
        }

        if (engineBytes != (ulong)q.Bytes)
        {
            Fail($"{device}: {when} the engine counts {engineBytes} queued bytes (load_buf_queued_pending_buffers_size), " +
                 $"but {q.Bytes} are queued (inserted bytes minus bytes written to data_fd)");
        }
    }


    private sealed class DeviceQueue
    {
        public ulong MaxCount = ulong.MaxValue;
        public ulong MaxBytes = ulong.MaxValue;
        public long Count;
        public long Bytes;
        public long Inserted;
        public long Written;
        public bool LimitErrorSeen;

        /// <summary>x-migration-max-queued-buffers is set (the unmerged count limit; LoadSetup says UINT64_MAX when it is not).</summary>
        public bool CountLimitOn => MaxCount != ulong.MaxValue;
    }
}

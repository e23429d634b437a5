using Multifd.Engine.Ports;

namespace Multifd.Specifications;

/// <summary>
/// P1: per device, the load thread writes the buffers to data_fd in strictly increasing idx from 0, each
/// whole, with no gap: when it starts buffer k, exactly the bytes of buffers 0..k-1 were written by it.
/// </summary>
/// <remarks>
/// Order and gaps come from QEMU's own events (vfio_load_state_device_buffer_load_start/_load_end), in both streams.
/// The bytes come from the model's write events. A QEMU log has no write sizes, and a buffer of zero bytes leaves no
/// trace there (QEMU skips it silently), so in a log a skipped idx that did arrive is taken as empty.
/// </remarks>
public sealed class LoadsInIndexOrder : Property
{
    private readonly PerDevice<DeviceView> devices = [];

    public override string Id => "P1";

    public override string Statement =>
        "Per device, the load thread writes buffers to data_fd in strictly increasing idx with no gap and no short buffer.";

    public override Coverage CoverageOf(Evidence evidence) =>
        evidence.ModelEvents ? Coverage.Full()
        : !evidence.Shows("vfio_load_state_device_buffer_load_start") ? Coverage.None("vfio_load_state_device_buffer_load_start never occurs in the log")
        : Coverage.Partly("order and gaps (vfio_load_state_device_buffer_load_start/_load_end); not traced: the bytes of each write " +
                          "(a short write taken as whole), and buffers of zero bytes (a skipped idx that arrived is taken as empty)");

    public override void On(Observation o)
    {
        switch (o.Event)
        {
            case BufferIncoming e when !Evidence.ModelEvents:
                devices.Of(e.Device).Arrived.Add(e.Idx);
                break;
            case BufferInserted e:
                devices.Of(e.Device).Lengths[e.Idx] = e.Bytes;
                break;
            case BufferLoadStart e:
                OnLoadStart(e);
                break;
            case DeviceWrite e when o.Thread == $"load[{e.Device}]" && e.Ret > 0:
                devices.Of(e.Device).Written += e.Ret;
                break;
            case BufferLoadEnd e:
                var d = devices.Of(e.Device);
                if (d.Current != e.Idx)
                {
                    FailOnTrace($"{e.Device}: load of idx {e.Idx} ended{Here} but " +
                                (d.Current is { } c ? $"idx {c} was being written" : "no load had started"));
                }

                d.Current = null;
                d.LastEnded = e.Idx;
                d.Next = e.Idx + 1;
                break;
            case BufferLoaded e:
                OnLoaded(e);
                break;
        }
    }

    private void OnLoadStart(BufferLoadStart e)
    {
        var v = devices.Of(e.Device);
        if (v.Current is { } current)
        {
            FailOnTrace($"{e.Device}: load of idx {e.Idx} started{Here} while idx {current} was still being written");
        }

        if (e.Idx > v.Next && !Evidence.ModelEvents && v.Arrived.ContainsAll(v.Next, e.Idx))
        {
            // A QEMU log does not trace a zero-length buffer's load: the idx in between arrived, take them as empty.
            v.Next = e.Idx;
        }

        if (e.Idx != v.Next)
        {
            var gap = e.Idx > v.Next && !Evidence.ModelEvents && v.Arrived.FirstMissing(v.Next, e.Idx) is { } missing
                ? $" (idx {missing} never arrived)"
                : "";
            FailOnTrace($"{e.Device}: load of idx {e.Idx} started{Here} but LoadBufIdx was {v.Next}{gap}");
        }

        if (v.Written != v.BytesBefore)
        {
            Fail($"{e.Device}: load of idx {e.Idx} started with {v.Written} bytes written, expected {v.BytesBefore} (buffers 0..{e.Idx - 1})");
        }

        v.Current = e.Idx;
    }

    /// <summary>The model's own end of a buffer (zero-length ones too): the bytes written must be the whole buffer.</summary>
    private void OnLoaded(BufferLoaded e)
    {
        var v = devices.Of(e.Device);
        var finishedItsLoad = v.LastEnded == e.Idx && v.Next == e.Idx + 1;
        if (!finishedItsLoad && e.Idx != v.Next)
        {
            Fail($"{e.Device}: load of idx {e.Idx} finished but LoadBufIdx was {v.Next}");
        }

        var length = v.Lengths.GetValueOrDefault(e.Idx);
        var expected = v.BytesBefore + length;
        if (v.Written != expected)
        {
            Fail($"{e.Device}: idx {e.Idx} counted as loaded with {v.Written - v.BytesBefore} of its {length} bytes written to data_fd");
        }

        v.BytesBefore = expected;
        v.Next = e.Idx + 1;
        v.LastEnded = null;
    }

    private sealed class DeviceView
    {
        public readonly Dictionary<uint, int> Lengths = [];
        public readonly IndexSet Arrived = new();
        public uint Next;
        public uint? Current;
        public uint? LastEnded;
        public long Written;
        public long BytesBefore;
    }
}

using Multifd.Engine.Ports;

namespace Multifd.Specifications;

/// <summary>
/// P1: per device, the load thread writes the buffers to data_fd in strictly increasing idx from 0, each
/// whole, with no gap: when it starts buffer k, exactly the bytes of buffers 0..k-1 were written by it.
/// </summary>
public sealed class LoadsInIndexOrder : Property
{
    private readonly PerDevice<DeviceView> devices = [];

    public override string Id => "P1";

    public override string Statement =>
        "Per device, the load thread writes buffers to data_fd in strictly increasing idx with no gap and no short buffer.";

    public override void On(Observation o)
    {
        switch (o.Event)
        {
            case BufferInserted e:
                devices.Of(e.Device).Lengths[e.Idx] = e.Bytes;
                break;
            case BufferLoadStart e:
                CheckAt(e.Device, e.Idx, "started");
                break;
            case DeviceWrite e when o.Thread == $"load[{e.Device}]" && e.Ret > 0:
                devices.Of(e.Device).Written += e.Ret;
                break;
            case BufferLoaded e:
                var v = devices.Of(e.Device);
                CheckAt(e.Device, e.Idx, "finished");
                var length = v.Lengths.GetValueOrDefault(e.Idx);
                var expected = v.BytesBefore + length;
                if (v.Written != expected)
                {
                    Fail($"{e.Device}: idx {e.Idx} counted as loaded with {v.Written - v.BytesBefore} of its {length} bytes written to data_fd");
                }

                v.BytesBefore = expected;
                v.Next = e.Idx + 1;
                break;
        }
    }

    private void CheckAt(string device, uint idx, string what)
    {
        var v = devices.Of(device);
        if (idx != v.Next)
        {
            Fail($"{device}: load of idx {idx} {what} but LoadBufIdx was {v.Next}");
        }

        if (v.Written != v.BytesBefore && what == "started")
        {
            Fail($"{device}: load of idx {idx} started with {v.Written} bytes written, expected {v.BytesBefore} (buffers 0..{idx - 1})");
        }
    }


    private sealed class DeviceView
    {
        public readonly Dictionary<uint, int> Lengths = [];
        public uint Next;
        public long Written;
        public long BytesBefore;
    }
}

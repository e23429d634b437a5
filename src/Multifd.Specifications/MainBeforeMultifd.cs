using Multifd.Engine.Ports;

namespace Multifd.Specifications;

/// <summary>
/// P2: per device, every write of main-channel DEV_DATA_STATE to data_fd (by the destination's main thread)
/// happens before the device's load thread writes anything to data_fd.
/// </summary>
public sealed class MainBeforeMultifd : Property
{
    private readonly Dictionary<string, string> loadThreadOf = [];
    private readonly Dictionary<string, (uint Idx, long Offset, int Bytes)> firstLoadWrite = [];
    private readonly Dictionary<string, uint> loading = [];

    public override string Id => "P2";

    public override string Statement =>
        "Per device, every main-channel DEV_DATA_STATE write to data_fd happens before any write by the device's load thread.";

    public override void On(Observation o)
    {
        if (o.Side != Side.Destination)
        {
            return;
        }

        switch (o.Event)
        {
            case LoadBufsThreadStart e:
                loadThreadOf[e.Device] = o.Thread;
                break;
            case BufferLoadStart e:
                loading[e.Device] = e.Idx;
                break;
            case DeviceWrite e when IsLoadThread(e.Device, o.Thread):
                firstLoadWrite.TryAdd(e.Device, (loading.GetValueOrDefault(e.Device), e.Offset, e.Requested));
                break;
            case DeviceWrite e when firstLoadWrite.TryGetValue(e.Device, out var first):
                Fail($"{e.Device}: {o.Thread} wrote main-channel device data ({e.Requested} bytes at data_fd offset {e.Offset}) " +
                     $"after {loadThreadOf[e.Device]} had started writing idx {first.Idx} ({first.Bytes} bytes at offset {first.Offset})");
                break;
        }
    }

    private bool IsLoadThread(string device, string thread) =>
        loadThreadOf.TryGetValue(device, out var t) ? t == thread : thread == $"load[{device}]";
}

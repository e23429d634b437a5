using Multifd.Engine.Ports;

namespace Multifd.Specifications;

/// <summary>
/// P2: per device, every write of main-channel DEV_DATA_STATE to data_fd (by the destination's main thread)
/// happens before the device's load thread writes anything to data_fd.
/// </summary>
/// <remarks>
/// The model sees every write to data_fd and checks exactly that. A QEMU log has no write events, so there the clause
/// is checked in line order on QEMU's events: vfio_load_state_device_data (traced after the main thread's write) must
/// come before the device's first vfio_load_state_device_buffer_load_start (traced before the load thread's first write).
/// </remarks>
public sealed class MainBeforeMultifd : Property
{
    private readonly Dictionary<string, string> loadThreadOf = [];
    private readonly Dictionary<string, (uint Idx, long Offset, int Bytes)> firstLoadWrite = [];
    private readonly Dictionary<string, uint> loading = [];
    private readonly Dictionary<string, (uint Idx, string At)> firstLoadStart = [];

    public override string Id => "P2";

    public override string Statement =>
        "Per device, every main-channel DEV_DATA_STATE write to data_fd happens before any write by the device's load thread.";

    public override Coverage CoverageOf(Evidence evidence) =>
        evidence.ModelEvents ? Coverage.Full()
        : !evidence.Shows("vfio_load_state_device_buffer_load_start") || !evidence.Shows("vfio_load_state_device_data")
            ? Coverage.Partly("needs both vfio_load_state_device_data and vfio_load_state_device_buffer_load_start in the log; " +
                              "one never occurs (nothing to order, or not enabled)")
            : Coverage.Full("in line order: vfio_load_state_device_data (after the main thread's write) before the device's " +
                            "first vfio_load_state_device_buffer_load_start (before the load thread's first write)");

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
                if (!firstLoadStart.ContainsKey(e.Device))
                {
                    firstLoadStart[e.Device] = (e.Idx, Here);
                }

                break;
            case LoadStateDeviceData e when !Evidence.ModelEvents && firstLoadStart.TryGetValue(e.Device, out var started):
                FailOnTrace($"{e.Device}: {o.Thread} wrote main-channel device data ({e.Size} bytes, vfio_load_state_device_data{Here}) " +
                            $"after the load thread had started writing idx {started.Idx} (vfio_load_state_device_buffer_load_start{started.At})");
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

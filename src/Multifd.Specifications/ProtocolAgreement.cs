using Multifd.Engine.Ports;
using Multifd.Engine.Wire;

namespace Multifd.Specifications;

/// <summary>
/// P9: the source sends DEV_CONFIG_LOAD_READY only with its after-iter on, device-state packets only in multifd
/// mode and DEV_CONFIG_STATE on the main channel only outside it; the destination accepts LOAD_READY only with
/// after-iter and multifd on, device-state packets only in multifd mode, and main-channel DEV_CONFIG_STATE only
/// outside it — anything it must refuse fails the load with an error.
/// </summary>
public sealed class ProtocolAgreement : Property
{
    private readonly Dictionary<string, SaveSetup> source = [];
    private readonly Dictionary<string, LoadSetup> destination = [];

    // The first thing the destination must have refused; the main load must then fail.
    private string? mustRefuse;

    // The destination thread that reads the main channel (the one that reports vfio_load_state).
    private string? mainThread;

    public override string Id => "P9";

    public override string Statement =>
        "LOAD_READY, device-state packets and main-channel DEV_CONFIG_STATE are sent and accepted only in the modes both sides agree on.";

    public override Coverage CoverageOf(Evidence evidence) =>
        evidence.ModelEvents ? Coverage.Full()
        : Coverage.Partly("only \"a device whose load thread ran (multifd transfer on) reads DEV_CONFIG_STATE on the main channel " +
                          "(vfio_load_state ... 0xffffffffef100002) and the load does not fail\"; neither side traces its multifd or " +
                          "after-iter mode, and the source traces no device-state packet");

    public override void On(Observation o)
    {
        if (o.Side == Side.Source)
        {
            if (Evidence.ModelEvents)
            {
                OnSource(o);
            }
        }
        else if (Evidence.ModelEvents)
        {
            OnDestination(o);
        }
        else
        {
            OnDestinationLog(o);
        }
    }

    /// <summary>A QEMU log shows no mode: only a device whose load thread ran is known to be in multifd mode.</summary>
    private void OnDestinationLog(Observation o)
    {
        switch (o.Event)
        {
            case LoadStateMarker { Marker: VfioMarkers.DevConfigState } e when DestinationMultifd(e.Device):
                mustRefuse ??= $"{e.Device}: DEV_CONFIG_STATE on the main channel in multifd mode{Here}";
                break;
            case LoadStatePostMain { Ret: >= 0 } e when mustRefuse is not null:
                FailOnTrace($"destination accepted {mustRefuse}: qemu_loadvm_state_main returned {e.Ret}{Here}, expected an error");
                break;
            case VmStarted when mustRefuse is not null:
                FailOnTrace($"VM started{Here} although the destination got {mustRefuse}");
                break;
        }
    }

    private void OnSource(Observation o)
    {
        switch (o.Event)
        {
            case SaveSetup e:
                source[e.Device] = e;
                break;
            case MainMarkerSent { Marker: VfioMarkers.DevConfigLoadReady } e when !Source(e.Device, s => s.MultifdTransfer && s.ConfigAfterIter):
                Fail($"{e.Device}: source sent DEV_CONFIG_LOAD_READY with {SourceMode(e.Device)}");
                break;
            case MainMarkerSent { Marker: VfioMarkers.DevConfigState } e when Source(e.Device, s => s.MultifdTransfer):
                Fail($"{e.Device}: source sent DEV_CONFIG_STATE on the main channel in multifd mode");
                break;
            case DeviceStateQueued e when !Source(e.Device, s => s.MultifdTransfer):
                Fail($"{e.Device}: source queued a device-state packet (idx {e.Idx}) with {SourceMode(e.Device)}");
                break;
        }
    }

    private void OnDestination(Observation o)
    {
        if (o.Event is LoadStateMarker)
        {
            mainThread ??= o.Thread;
        }

        switch (o.Event)
        {
            case LoadSetup e:
                destination[e.Device] = e;
                break;
            case LoadStateMarker { Marker: VfioMarkers.DevConfigLoadReady } e when !Destination(e.Device, d => d.MultifdTransfer && d.ConfigAfterIter):
                mustRefuse ??= $"{e.Device}: DEV_CONFIG_LOAD_READY with {DestinationMode(e.Device)}";
                break;
            case LoadStateMarker { Marker: VfioMarkers.DevConfigState } e when Destination(e.Device, d => d.MultifdTransfer):
                mustRefuse ??= $"{e.Device}: DEV_CONFIG_STATE on the main channel in multifd mode";
                break;
            case ConfigLoadReady e when !Destination(e.Device, d => d.MultifdTransfer && d.ConfigAfterIter):
                Fail($"{e.Device}: destination accepted DEV_CONFIG_LOAD_READY with {DestinationMode(e.Device)}");
                break;
            case ConfigLoadStart e when o.Thread == mainThread && Destination(e.Device, d => d.MultifdTransfer):
                Fail($"{e.Device}: destination loaded a main-channel config (DEV_CONFIG_STATE) in multifd mode");
                break;
            case BufferIncoming e when !Destination(e.Device, d => d.MultifdTransfer):
                Fail($"{e.Device}: destination took device-state packet idx {e.Idx} with {DestinationMode(e.Device)}");
                break;
            case BufferInserted e when !Destination(e.Device, d => d.MultifdTransfer):
                Fail($"{e.Device}: destination queued device-state packet idx {e.Idx} with {DestinationMode(e.Device)}");
                break;
            case LoadStatePostMain { Ret: >= 0 } e when mustRefuse is not null:
                Fail($"destination accepted {mustRefuse}: qemu_loadvm_state_main returned {e.Ret}, expected an error");
                break;
            case VmStarted when mustRefuse is not null:
                Fail($"VM started although the destination got {mustRefuse}");
                break;
        }
    }

    private bool Source(string device, Func<SaveSetup, bool> mode) => source.TryGetValue(device, out var s) && mode(s);

    private bool Destination(string device, Func<LoadSetup, bool> mode) => destination.TryGetValue(device, out var d) && mode(d);

    /// <summary>Multifd transfer on the destination: from its setup (the model), else from a load thread that ran (a log).</summary>
    private bool DestinationMultifd(string device) =>
        Evidence.ModelEvents ? Destination(device, d => d.MultifdTransfer) : Evidence.Facts?.MultifdDevices.Contains(device) == true;


    private string SourceMode(string device) => source.TryGetValue(device, out var s)
        ? $"multifd transfer {OnOff(s.MultifdTransfer)} and config-after-iter {OnOff(s.ConfigAfterIter)} on the source"
        : "no vfio_save_setup seen for it";

    private string DestinationMode(string device) => destination.TryGetValue(device, out var d)
        ? $"multifd transfer {OnOff(d.MultifdTransfer)} and config-after-iter {OnOff(d.ConfigAfterIter)} on the destination"
        : "no vfio_load_setup seen for it";

    private static string OnOff(bool on) => on ? "on" : "off";
}

using Multifd.Engine.Ports;
using Multifd.Engine.Wire;

namespace Multifd.Specifications;

/// <summary>
/// P5: per device the config is loaded exactly once, under the BQL, never written to data_fd, and (multifd) only
/// after every idx below the config packet's was loaded; a duplicate DEV_CONFIG_LOAD_READY fails the load.
/// The ordering against DEV_CONFIG_LOAD_READY and the interrupt controller is P5b, ConfigAfterIterables.
/// </summary>
public sealed class ConfigLoadedLast : Property
{
    private readonly PerDevice<DeviceView> devices = [];
    private string? duplicateLoadReady;

    public override string Id => "P5";

    public override string Statement =>
        "The config is loaded once per device, under the BQL, after all idx < last were loaded, never written to data_fd; a duplicate LOAD_READY fails the load.";

    public override void On(Observation o)
    {
        if (o.Side == Side.Source)
        {
            if (o.Event is DeviceStateQueued { IsConfig: true } q)
            {
                devices.Of(q.Device).ConfigIdx.Add(q.Idx);
            }

            return;
        }

        switch (o.Event)
        {
            case LoadSetup e:
                devices.Of(e.Device).Multifd = e.MultifdTransfer;
                break;
            case BufferInserted { IsConfig: true } e:
                devices.Of(e.Device).ConfigIdx.Add(e.Idx);
                devices.Of(e.Device).LastIdx = e.Idx;
                break;
            case BufferLoadStart e when devices.Of(e.Device).ConfigIdx.Contains(e.Idx):
                Fail($"{e.Device}: the config packet (idx {e.Idx}) is being written to data_fd as device data");
                break;
            case BufferLoaded e:
                var v = devices.Of(e.Device);
                if (v.ConfigIdx.Contains(e.Idx))
                {
                    Fail($"{e.Device}: the config packet (idx {e.Idx}, {e.Bytes} bytes) was loaded as device data");
                }

                if (e.Idx == v.LoadedUpTo)
                {
                    v.LoadedUpTo = e.Idx + 1;
                }

                break;
            case ConfigLoadStart e:
                CheckConfigLoad(e, o.Thread);
                break;
            case LoadStateMarker { Marker: VfioMarkers.DevConfigLoadReady } e:
                if (++devices.Of(e.Device).LoadReadyMarkers > 1)
                {
                    duplicateLoadReady ??= e.Device;
                }

                break;
            case ConfigLoadReady { Duplicate: false } e when devices.Of(e.Device).LoadReadyMarkers > 1:
                Fail($"{e.Device}: DEV_CONFIG_LOAD_READY number {devices.Of(e.Device).LoadReadyMarkers} was accepted (load_bufs_iter_done set again)");
                break;
            case LoadStatePostMain { Ret: >= 0 } e when duplicateLoadReady is not null:
                Fail($"{duplicateLoadReady}: qemu_loadvm_state_main returned {e.Ret} after a duplicate DEV_CONFIG_LOAD_READY " +
                     $"(expected \"{duplicateLoadReady}: duplicate DEV_CONFIG_LOAD_READY\", -EINVAL)");
                break;
            case VmStarted:
                CheckAllLoadedOnce();
                break;
        }
    }

    private void CheckConfigLoad(ConfigLoadStart e, string thread)
    {
        var v = devices.Of(e.Device);
        v.Loads++;
        if (v.Loads > 1)
        {
            Fail($"{e.Device}: config loaded a second time (load {v.Loads}, idx {e.Idx}, on {thread})");
        }

        if (!e.BqlHeld)
        {
            Fail($"{e.Device}: config (idx {e.Idx}) loaded on {thread} without the BQL");
        }

        if (!v.Multifd)
        {
            return;
        }

        if (v.LastIdx is not { } last || e.Idx != last)
        {
            Fail($"{e.Device}: config loaded from idx {e.Idx} but the config packet inserted was " +
                 (v.LastIdx is { } l ? $"idx {l}" : "none"));
        }

        if (v.LoadedUpTo != e.Idx)
        {
            Fail($"{e.Device}: config (idx {e.Idx}) loaded when {v.LoadedUpTo} of its {e.Idx} data buffers were loaded " +
                 $"(LoadBufIdx was {v.LoadedUpTo}, expected {e.Idx})");
        }
    }

    private void CheckAllLoadedOnce()
    {
        if (duplicateLoadReady is not null)
        {
            Fail($"{duplicateLoadReady}: VM started after a duplicate DEV_CONFIG_LOAD_READY");
        }

        foreach (var (device, v) in devices.Where(d => d.Value.Setup))
        {
            if (v.Loads != 1)
            {
                Fail($"{device}: VM started with the config loaded {v.Loads} times (expected exactly 1)");
            }
        }
    }


    private sealed class DeviceView
    {
        private bool multifd;

        public readonly HashSet<uint> ConfigIdx = [];
        public uint? LastIdx;
        public uint LoadedUpTo;
        public int Loads;
        public int LoadReadyMarkers;

        /// <summary>Whether load_setup was seen for the device on the destination.</summary>
        public bool Setup { get; private set; }

        public bool Multifd
        {
            get => multifd;
            set
            {
                multifd = value;
                Setup = true;
            }
        }
    }
}

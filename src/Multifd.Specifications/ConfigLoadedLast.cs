using Multifd.Engine.Ports;
using Multifd.Engine.Wire;

namespace Multifd.Specifications;

/// <summary>
/// P5: per device the config is loaded exactly once, under the BQL, never written to data_fd, and (multifd) only
/// after every idx below the config packet's was loaded; a duplicate DEV_CONFIG_LOAD_READY fails the load.
/// The ordering against DEV_CONFIG_LOAD_READY and the interrupt controller is P5b, ConfigAfterIterables.
/// </summary>
/// <remarks>
/// QEMU's events show the count of config loads, the duplicate LOAD_READY and its outcome. They do not show the BQL
/// or the config packet's idx, so in a QEMU log "after every idx below the config's" can only be: on the load thread,
/// with no buffer write open and none after it. (vfio_load_state_device_buffer_end does not mark the last data buffer
/// when the config packet arrives after it was written: load_buf_idx_last is not known then, and the event is skipped.)
/// </remarks>
public sealed class ConfigLoadedLast : Property
{
    private readonly PerDevice<DeviceView> devices = [];
    private readonly HashSet<string> loadThreadRunning = [];
    private string? duplicateLoadReady;

    public override string Id => "P5";

    public override string Statement =>
        "The config is loaded once per device, under the BQL, after all idx < last were loaded, never written to data_fd; a duplicate LOAD_READY fails the load.";

    public override Coverage CoverageOf(Evidence evidence) =>
        evidence.ModelEvents ? Coverage.Full()
        : !evidence.Shows("vfio_load_device_config_state_start") ? Coverage.None("vfio_load_device_config_state_start never occurs in the log")
        : Coverage.Partly("one vfio_load_device_config_state_start per device by the VM start; on the load thread with no buffer " +
                          "write open or following; a duplicate DEV_CONFIG_LOAD_READY (vfio_load_state ... 0xffffffffef100006) must fail the " +
                          "load; not traced: the BQL, the config packet's idx (so whether every data buffer before it was written)");

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
            case LoadStateMarker e:
                devices.Of(e.Device).Seen = true;
                if (e.Marker == VfioMarkers.DevConfigLoadReady && ++devices.Of(e.Device).LoadReadyMarkers > 1)
                {
                    duplicateLoadReady ??= e.Device;
                }

                break;
            case LoadBufsThreadStart e:
                loadThreadRunning.Add(e.Device);
                break;
            case LoadBufsThreadEnd e:
                loadThreadRunning.Remove(e.Device);
                break;
            case BufferInserted { IsConfig: true } e:
                devices.Of(e.Device).ConfigIdx.Add(e.Idx);
                devices.Of(e.Device).LastIdx = e.Idx;
                break;
            case BufferLoadStart e:
                OnLoadStart(e);
                break;
            case BufferLoadEnd e:
                devices.Of(e.Device).Writing = null;
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
            case ConfigLoadReady { Duplicate: false } e when devices.Of(e.Device).LoadReadyMarkers > 1:
                Fail($"{e.Device}: DEV_CONFIG_LOAD_READY number {devices.Of(e.Device).LoadReadyMarkers} was accepted (load_bufs_iter_done set again)");
                break;
            case LoadStatePostMain { Ret: >= 0 } e when duplicateLoadReady is not null:
                FailOnTrace($"{duplicateLoadReady}: qemu_loadvm_state_main returned {e.Ret}{Here} after a duplicate DEV_CONFIG_LOAD_READY " +
                            $"(expected \"{duplicateLoadReady}: duplicate DEV_CONFIG_LOAD_READY\", -EINVAL)");
                break;
            case VmStarted:
                CheckAllLoadedOnce();
                break;
        }
    }

    private void OnLoadStart(BufferLoadStart e)
    {
        var v = devices.Of(e.Device);
        if (v.ConfigIdx.Contains(e.Idx))
        {
            Fail($"{e.Device}: the config packet (idx {e.Idx}) is being written to data_fd as device data");
        }

        if (!Evidence.ModelEvents && v.Loads > 0)
        {
            FailOnTrace($"{e.Device}: idx {e.Idx} is written to data_fd{Here} after the config was loaded{v.LoadedAt}");
        }

        v.Writing = e.Idx;
    }

    private void CheckConfigLoad(ConfigLoadStart e, string thread)
    {
        var v = devices.Of(e.Device);
        v.Loads++;
        v.LoadedAt = Here;
        if (v.Loads > 1)
        {
            FailOnTrace($"{e.Device}: config loaded a second time{Here} (load {v.Loads}{(Evidence.ModelEvents ? $", idx {e.Idx}" : "")}, on {thread})");
        }

        if (Evidence.ModelEvents && !e.BqlHeld)
        {
            Fail($"{e.Device}: config (idx {e.Idx}) loaded on {thread} without the BQL");
        }

        if (!Evidence.ModelEvents)
        {
            CheckConfigLoadInLog(e, v);
            return;
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

    /// <summary>A config load by the device's load thread, seen in a QEMU log: after the last data buffer.</summary>
    private void CheckConfigLoadInLog(ConfigLoadStart e, DeviceView v)
    {
        if (!loadThreadRunning.Contains(e.Device))
        {
            return; // loaded by the main thread (DEV_CONFIG_STATE on the main channel): not the multifd path
        }

        if (v.Writing is { } idx)
        {
            FailOnTrace($"{e.Device}: config loaded{Here} while idx {idx} was being written to data_fd");
        }
    }

    private void CheckAllLoadedOnce()
    {
        if (duplicateLoadReady is not null)
        {
            FailOnTrace($"{duplicateLoadReady}: VM started{Here} after a duplicate DEV_CONFIG_LOAD_READY");
        }

        if (Evidence.ModelEvents)
        {
            foreach (var (device, v) in devices.Where(d => d.Value.Setup))
            {
                if (v.Loads != 1)
                {
                    Fail($"{device}: VM started with the config loaded {v.Loads} times (expected exactly 1)");
                }
            }

            return;
        }

        if (!Evidence.Shows("vfio_load_device_config_state_start"))
        {
            return;
        }

        foreach (var (device, v) in devices.Where(d => d.Value.Seen && d.Value.Loads != 1))
        {
            FailOnTrace($"{device}: VM started{Here} with the config loaded {v.Loads} times (expected exactly 1)");
        }
    }

    private sealed class DeviceView
    {
        private bool multifd;

        public readonly HashSet<uint> ConfigIdx = [];
        public uint? LastIdx;
        public uint LoadedUpTo;
        public int Loads;
        public string LoadedAt = "";
        public int LoadReadyMarkers;
        public uint? Writing;

        /// <summary>The main thread read a marker of the device (vfio_load_state): it is migrated.</summary>
        public bool Seen;

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

using Multifd.Engine.Core;
using Multifd.Engine.Ports;
using Multifd.Engine.Wire;

namespace Multifd.Engine.Source;

/// <summary>
/// The source half of one VFIO device's migration (hw/vfio/migration.c and migration-multifd.c): the
/// main-channel sections and the per-device save thread that sends the STOP_COPY state over multifd.
/// </summary>
public sealed class VfioSave(QemuProcess qemu, MigrationParameters parameters, VfioDeviceConfig config, IVfioDevice device)
{
    private bool precopyDone;
    private VfioDeviceState deviceState = VfioDeviceState.Running; // migration->device_state

    /// <summary>migration->device_state: the state this code last set the device to.</summary>
    public VfioDeviceState DeviceState => deviceState;

    public VfioDeviceConfig Config => config;

    public IVfioDevice Device => device;

    /// <summary>migration->multifd_transfer: the property as snapshotted at save_setup.</summary>
    public bool MultifdTransfer { get; private set; }

    private string Name => config.Name;

    /// <summary>vfio_load_config_after_iter() on the source: decides whether LOAD_READY is sent.</summary>
    private bool ConfigAfterIter => config.Properties.LoadConfigAfterIter switch
    {
        OnOffAuto.On => true,
        OnOffAuto.Off => false,
        _ => parameters.Platform.WantsConfigAfterIter(),
    };

    /// <summary>vfio_save_setup (SECTION_START). Returns 0, or a negative errno with the error.</summary>
    public int SaveSetup(QemuFileWriter f, out string? error)
    {
        error = null;
        // vfio_multifd_setup(alloc_multifd = false): snapshot the property.
        MultifdTransfer = config.Properties.MultifdTransfer == OnOffAuto.Auto
            ? parameters.VfioMultifdTransferSupported
            : config.Properties.MultifdTransfer == OnOffAuto.On;
        if (MultifdTransfer && !parameters.VfioMultifdTransferSupported)
        {
            qemu.Site("vfio.save-setup-unsupported");
            error = $"{Name}: Multifd device transfer requested but unsupported in the current config";
            return -Errno.EINVAL;
        }

        f.PutBe64(VfioMarkers.DevSetupState);
        if (SetState(VfioDeviceState.PreCopy) is var ret and < 0)
        {
            qemu.Site("vfio.save-setup-set-state");
            error = $"{Name}: Failed to set state PRE_COPY: {ret}";
            return ret;
        }

        qemu.Trace(new SaveSetup(Name, MultifdTransfer, config.DataBufferSizeBytes, ConfigAfterIter));
        f.PutBe64(VfioMarkers.EndOfState);
        return 0;
    }

    /// <summary>Whether vfio_save_iterate has precopy data left to send.</summary>
    public bool PrecopyPending => !precopyDone;

    /// <summary>vfio_save_iterate (SECTION_PART): one DEV_DATA_STATE chunk of precopy data, then END_OF_STATE.</summary>
    public int SaveIterate(QemuFileWriter f)
    {
        var ret = SaveBlock(f);
        if (ret < 0)
        {
            return ret;
        }

        precopyDone = ret == 0;
        f.PutBe64(VfioMarkers.EndOfState);
        return 0;
    }

    /// <summary>vfio_save_block: one read of data_fd written as DEV_DATA_STATE, size, data. Returns the size.</summary>
    private int SaveBlock(QemuFileWriter f)
    {
        var buffer = new byte[config.DataBufferSizeBytes];
        var n = device.Read(buffer);
        if (n <= 0)
        {
            return n;
        }

        f.PutBe64(VfioMarkers.DevDataState);
        f.PutBe64((ulong)n);
        f.PutBuffer(buffer.AsSpan(0, n));
        qemu.Trace(new MainMarkerSent(Name, VfioMarkers.DevDataState, n));
        return n;
    }

    /// <summary>
    /// vfio_save_complete_precopy (SECTION_END): in multifd mode only a dummy END_OF_STATE; otherwise all of
    /// the STOP_COPY data on the main channel, then END_OF_STATE.
    /// </summary>
    public int SaveComplete(QemuFileWriter f, out string? error)
    {
        error = null;
        if (MultifdTransfer)
        {
            // vfio_multifd_emit_dummy_eos: the state travels over multifd.
            f.PutBe64(VfioMarkers.EndOfState);
            qemu.Trace(new MainMarkerSent(Name, VfioMarkers.EndOfState, 0));
            return 0;
        }

        if (SetState(VfioDeviceState.StopCopy) is var set and < 0)
        {
            error = $"{Name}: Failed to set state STOP_COPY: {set}";
            return set;
        }

        int ret;
        while ((ret = SaveBlock(f)) > 0)
        {
        }

        if (ret < 0)
        {
            qemu.Site("vfio.save-complete-read-error");
            error = $"{Name}: reading device state failed: {-ret}";
            return ret;
        }

        f.PutBe64(VfioMarkers.EndOfState);
        return f.Error;
    }

    /// <summary>
    /// vfio_save_state (non-iterable FULL section): multifd: DEV_CONFIG_LOAD_READY if the source's after-iter
    /// is on, else a dummy END_OF_STATE; otherwise DEV_CONFIG_STATE, the config, END_OF_STATE.
    /// </summary>
    public void SaveState(QemuFileWriter f)
    {
        if (MultifdTransfer)
        {
            var marker = ConfigAfterIter ? VfioMarkers.DevConfigLoadReady : VfioMarkers.EndOfState;
            f.PutBe64(marker);
            qemu.Trace(new MainMarkerSent(Name, marker, 0));
            if (qemu.Variant != ProtocolVariant.ConfigAlsoOnMainChannel)
            {
                return;
            }
        }

        VfioConfig.SaveDeviceConfigState(f, device);
        qemu.Trace(new MainMarkerSent(Name, VfioMarkers.DevConfigState, 0));
    }

    /// <summary>
    /// vfio_multifd_save_complete_precopy_thread: reads the STOP_COPY state in data_buffer_size chunks and
    /// queues packets idx 0..N-1, then the config packet idx N. Never takes the BQL.
    /// Returns null on success, or the error the wrapper records.
    /// </summary>
    public (string, ErrorKind)? SaveCompletePrecopyThread(MultifdDeviceState deviceState)
    {
        if (!MultifdTransfer)
        {
            // Nothing to do: vfio_save_complete_precopy does the transfer.
            return null;
        }

        qemu.Trace(new SaveThreadStart(Name, config.Idstr, config.InstanceId));
        var error = SaveThreadBody(deviceState);
        qemu.Trace(new SaveThreadEnd(Name, error is null));
        return error;
    }

    private (string, ErrorKind)? SaveThreadBody(MultifdDeviceState deviceState)
    {
        // We reach here with device state STOP or STOP_COPY only.
        if (SetState(VfioDeviceState.StopCopy) is var set and < 0)
        {
            return ($"{Name}: Failed to set state STOP_COPY: {set}", ErrorKind.Device);
        }

        var order = qemu.Variant == ProtocolVariant.HostEndianHeader ? parameters.Platform.HostByteOrder() : ByteOrder.BigEndian;
        var data = new byte[config.DataBufferSizeBytes];
        uint idx;
        for (idx = 0; ; idx++)
        {
            if (deviceState.SaveThreadShouldExit)
            {
                qemu.Site("vfio.save-thread-should-exit");
                return ("operation cancelled", ErrorKind.Cancelled);
            }

            var n = device.Read(data);
            if (n < 0)
            {
                qemu.Site("vfio.save-thread-read-error");
                return ($"{Name}: reading state buffer {idx} failed: {-n}", ErrorKind.Device);
            }

            if (n == 0)
            {
                break;
            }

            var packet = VfioDeviceStatePacket.Encode(idx, 0, data.AsSpan(0, n), order);
            if (!deviceState.QueueDeviceState(config.Idstr, config.InstanceId, packet, Name, idx, isConfig: false))
            {
                qemu.Site("vfio.save-thread-queue-failed");
                return ($"{Name}: multifd data queuing failed", ErrorKind.Channel);
            }
        }

        // The config packet: idx = the number of data packets, flags = CONFIG_STATE.
        var blob = new QemuFileWriter(null);
        VfioConfig.SaveDeviceConfigState(blob, device);
        qemu.Trace(new DeviceConfigSaved(Name));
        var configPacket = VfioDeviceStatePacket.Encode(idx, VfioDeviceStatePacket.FlagConfigState, blob.ToArray(), order);
        if (!deviceState.QueueDeviceState(config.Idstr, config.InstanceId, configPacket, Name, idx, isConfig: true))
        {
            qemu.Site("vfio.save-thread-config-queue-failed");
            return ($"{Name}: multifd config data queuing failed", ErrorKind.Channel);
        }

        return null;
    }

    /// <summary>
    /// vfio_vmstate_change when migration_stop_vm stops the VM (RUN_STATE_FINISH_MIGRATE): a device in PRE_COPY
    /// goes to STOP_COPY, any other to STOP. Returns 0 or a negative errno.
    /// </summary>
    public int VmStateChangeStop() =>
        SetState(deviceState is VfioDeviceState.PreCopy or VfioDeviceState.PreCopyP2p ? VfioDeviceState.StopCopy : VfioDeviceState.Stop);

    /// <summary>
    /// vfio_save_cleanup: STOP_COPY -> STOP (only from STOP_COPY: a migration that failed or was cancelled before
    /// the VM stopped leaves the device where it was), then vfio_migration_cleanup closes data_fd.
    /// </summary>
    public void SaveCleanup()
    {
        if (deviceState == VfioDeviceState.StopCopy)
        {
            SetState(VfioDeviceState.Stop);
        }

        device.CloseDataFd();
    }

    /// <summary>vfio_migration_set_state: on success migration->device_state follows.</summary>
    private int SetState(VfioDeviceState state)
    {
        var ret = device.SetState(state);
        if (ret >= 0)
        {
            deviceState = state;
        }

        return ret;
    }
}

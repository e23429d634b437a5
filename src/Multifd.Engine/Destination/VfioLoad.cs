using Multifd.Engine.Core;
using Multifd.Engine.Ports;
using Multifd.Engine.Source;
using Multifd.Engine.Wire;

namespace Multifd.Engine.Destination;

/// <summary>
/// The destination half of one VFIO device's migration (hw/vfio/migration.c): load_setup, the main-channel
/// load_state, switchover_start, load_state_buffer and load_cleanup.
/// </summary>
public sealed class VfioLoad(QemuProcess qemu, MigrationParameters parameters, VfioDeviceConfig config, IVfioDevice device)
{
    public VfioDeviceConfig Config => config;

    /// <summary>migration->multifd_transfer as snapshotted at load_setup.</summary>
    public bool MultifdTransfer { get; private set; }

    /// <summary>migration->multifd (VFIOMultifd), allocated at load_setup in multifd mode.</summary>
    public VfioMultifd? Multifd { get; private set; }

    private string Name => config.Name;

    /// <summary>vfio_load_config_after_iter() on the destination.</summary>
    public bool ConfigAfterIter => config.Properties.LoadConfigAfterIter switch
    {
        OnOffAuto.On => true,
        OnOffAuto.Off => false,
        _ => parameters.Platform.WantsConfigAfterIter(),
    };

    /// <summary>vfio_load_setup: vfio_multifd_setup(alloc_multifd = true), then RESUMING.</summary>
    public int LoadSetup(out LoadError? error)
    {
        error = null;
        MultifdTransfer = config.Properties.MultifdTransfer == OnOffAuto.Auto
            ? parameters.VfioMultifdTransferSupported
            : config.Properties.MultifdTransfer == OnOffAuto.On;
        if (MultifdTransfer && !parameters.VfioMultifdTransferSupported)
        {
            qemu.Site("vfio.load-setup-unsupported");
            error = new($"{Name}: Multifd device transfer requested but unsupported in the current config", ErrorKind.Setup);
            return -Errno.EINVAL;
        }

        if (MultifdTransfer)
        {
            Multifd = new VfioMultifd(qemu, config, device, ConfigAfterIter);
        }

        qemu.Trace(new LoadSetup(Name, MultifdTransfer, MultifdTransfer && ConfigAfterIter, parameters.Platform,
            config.Properties.MaxQueuedBuffers ?? ulong.MaxValue, config.Properties.MaxQueuedBuffersSizeBytes, config.Idstr));
        return device.SetState(VfioDeviceState.Resuming);
    }

    /// <summary>
    /// vfio_load_state: reads markers until END_OF_STATE (main thread, BQL held). Returns 0 or a negative
    /// errno, with QEMU's error text.
    /// </summary>
    public int LoadState(QemuFileReader f, out LoadError? error)
    {
        error = null;
        var data = f.GetBe64();
        while (f.Error == 0 && data != VfioMarkers.EndOfState)
        {
            qemu.Trace(new LoadStateMarker(Name, data));
            switch (data)
            {
                case VfioMarkers.DevConfigState:
                    if (MultifdTransfer)
                    {
                        qemu.Site("vfio.config-on-main-in-multifd");
                        error = new($"{Name}: got DEV_CONFIG_STATE in main migration channel but doing multifd transfer", ErrorKind.Rejected);
                        return -Errno.EINVAL;
                    }

                    qemu.Trace(new ConfigLoadStart(Name, 0, Bql.Locked, IterDone: true));
                    var ret = VfioConfig.LoadDeviceConfigState(f, device, out var configError);
                    if (ret >= 0)
                    {
                        qemu.Trace(new ConfigLoadEnd(Name, ret));
                    }

                    error = configError is null ? null : new(configError, ErrorKind.Device);
                    return ret;

                case VfioMarkers.DevSetupState:
                    var end = f.GetBe64();
                    if (end != VfioMarkers.EndOfState)
                    {
                        qemu.Site("vfio.setup-state-no-eos");
                        error = new($"{Name}: SETUP STATE: EOS not found 0x{end:x}", ErrorKind.Rejected);
                        return -Errno.EINVAL;
                    }

                    return f.Error;

                case VfioMarkers.DevDataState:
                    var size = f.GetBe64();
                    if (size != 0 && LoadBuffer(f, size, out error) is var loaded and < 0)
                    {
                        qemu.Site("vfio.load-buffer-failed");
                        return loaded;
                    }

                    break;

                case VfioMarkers.DevConfigLoadReady:
                    return ConfigLoadReady(out error);

                default:
                    qemu.Site("vfio.unknown-tag");
                    error = new($"{Name}: Unknown tag 0x{data:x}", ErrorKind.Rejected);
                    return -Errno.EINVAL;
            }

            data = f.GetBe64();
        }

        if (f.Error != 0)
        {
            qemu.Site("vfio.load-state-read-error");
            error = new($"{Name}: main channel read failed: {f.Error}", ErrorKind.Channel);
        }

        return f.Error;
    }

    /// <summary>
    /// vfio_load_buffer -> qemu_file_get_to_fd: copies main-channel data into data_fd in chunks of what the
    /// QEMUFile's buffer holds, refilling it between writes and looping on partial writes.
    /// </summary>
    private int LoadBuffer(QemuFileReader f, ulong size, out LoadError? error)
    {
        error = null;
        var ret = f.GetToFd(device.Write, size);
        qemu.Trace(new LoadStateDeviceData(Name, (int)Math.Min(size, int.MaxValue), ret));
        if (ret < 0)
        {
            error = f.Error != 0
                ? new($"{Name}: main channel read failed: {f.Error}", ErrorKind.Channel)
                : new($"{Name}: writing device data failed: {-ret}", ErrorKind.Device);
            return ret;
        }

        return 0;
    }

    /// <summary>vfio_load_state_config_load_ready.</summary>
    private int ConfigLoadReady(out LoadError? error)
    {
        if (!MultifdTransfer)
        {
            qemu.Site("vfio.load-ready-not-multifd");
            error = new($"{Name}: got DEV_CONFIG_LOAD_READY outside multifd transfer", ErrorKind.Rejected);
            return -Errno.EINVAL;
        }

        var ret = Multifd!.ConfigLoadReady(out var message);
        error = message is null ? null : new(message, ErrorKind.Rejected);
        return ret;
    }

    /// <summary>vfio_switchover_start.</summary>
    public void SwitchoverStart(Action<string, Func<Func<bool>, LoadError?>> startLoadThread)
    {
        if (MultifdTransfer)
        {
            Multifd!.SwitchoverStart(startLoadThread);
        }
    }

    /// <summary>vfio_multifd_load_state_buffer (recv thread).</summary>
    public LoadError? LoadStateBuffer(ReadOnlySpan<byte> data)
    {
        if (!MultifdTransfer)
        {
            qemu.Site("vfio.packet-not-multifd");
            return new($"{Name}: got device state packet but not doing multifd transfer", ErrorKind.Rejected);
        }

        return Multifd!.LoadStateBuffer(data);
    }

    /// <summary>vfio_load_cleanup: vfio_multifd_cleanup (stops the load thread, frees the buffers), then close(data_fd).</summary>
    public void LoadCleanup()
    {
        Multifd?.Free();
        Multifd = null;
        device.CloseDataFd();
        qemu.Trace(new DataFdClosed(Name));
        qemu.Trace(new VfioLoadCleanup(Name));
    }
}

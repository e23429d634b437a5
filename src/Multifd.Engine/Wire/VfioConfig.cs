using Multifd.Engine.Ports;

namespace Multifd.Engine.Wire;

/// <summary>The device config blob: vfio_save_device_config_state / vfio_load_device_config_state.</summary>
/// <remarks>Simplification: QEMU's vmstate payload is self-describing; the model prefixes it with a be32 length.</remarks>
public static class VfioConfig
{
    public static void SaveDeviceConfigState(QemuFileWriter f, IVfioDevice device)
    {
        var config = device.SaveConfig();
        f.PutBe64(VfioMarkers.DevConfigState);
        f.PutBe32((uint)config.Length);
        f.PutBuffer(config);
        f.PutBe64(VfioMarkers.EndOfState);
    }

    /// <summary>After the DEV_CONFIG_STATE marker: the config, then END_OF_STATE. Called with the BQL held.</summary>
    public static int LoadDeviceConfigState(QemuFileReader f, IVfioDevice device, out string? error)
    {
        error = null;
        var length = f.GetBe32();
        if (f.Error != 0 || length > 1 << 20)
        {
            error = $"{device.Name}: Failed to load device config space";
            return f.Error != 0 ? f.Error : -Errno.EINVAL;
        }

        var config = new byte[length];
        f.GetBuffer(config);
        if (f.Error != 0 || device.LoadConfig(config) is var ret and < 0)
        {
            error = $"{device.Name}: Failed to load device config space";
            return f.Error != 0 ? f.Error : -Errno.EINVAL;
        }

        var end = f.GetBe64();
        if (end != VfioMarkers.EndOfState)
        {
            error = $"{device.Name}: Failed loading device config space, end flag incorrect 0x{end:x}";
            return -Errno.EINVAL;
        }

        return f.Error;
    }
}

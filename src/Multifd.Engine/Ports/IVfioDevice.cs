namespace Multifd.Engine.Ports;

/// <summary>The VFIO device migration states used by the protocol (enum vfio_device_mig_state).</summary>
public enum VfioDeviceState
{
    Error = 0,
    Stop = 1,
    Running = 2,
    StopCopy = 3,
    Resuming = 4,
    RunningP2p = 5,
    PreCopy = 6,
    PreCopyP2p = 7,
}

/// <summary>
/// A VFIO device as the migration code sees it: the migration state ioctl, the data_fd and the config space.
/// Reads and writes have POSIX semantics: short counts are legal, a negative result is -errno.
/// </summary>
public interface IVfioDevice
{
    /// <summary>vbasedev->name, e.g. "dev0".</summary>
    string Name { get; }

    /// <summary>VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE. Returns 0 or a negative errno.</summary>
    int SetState(VfioDeviceState state);

    /// <summary>read(data_fd): in PRE_COPY the precopy data, in STOP_COPY the rest; 0 at the end.</summary>
    int Read(Span<byte> buffer);

    /// <summary>write(data_fd) in RESUMING: may write fewer bytes than asked.</summary>
    int Write(ReadOnlySpan<byte> bytes);

    /// <summary>The vfio_save_config payload (the PCI config space and the rest of vmstate).</summary>
    byte[] SaveConfig();

    /// <summary>vfio_load_config: applies the config. Returns 0 or a negative errno.</summary>
    int LoadConfig(ReadOnlySpan<byte> config);

    /// <summary>close(data_fd), from vfio_migration_cleanup.</summary>
    void CloseDataFd();
}

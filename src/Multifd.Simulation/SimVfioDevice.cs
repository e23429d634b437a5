using Multifd.Engine.Core;
using Multifd.Engine.Ports;
using Multifd.Engine.Wire;

namespace Multifd.Simulation;

/// <summary>How a simulated device's data_fd behaves beyond the plain case.</summary>
/// <param name="ShortReads">read(data_fd) may return fewer bytes than asked (still all data in the end).</param>
/// <param name="PartialWrites">write(data_fd) may write fewer bytes than asked.</param>
public sealed record DataFdBehaviour(bool ShortReads = false, bool PartialWrites = false);

/// <summary>
/// The source's VFIO device: a byte image read through data_fd (precopy part in PRE_COPY, the rest in
/// STOP_COPY) and a config blob.
/// </summary>
public sealed class SourceVfioDevice(
    string name,
    byte[] image,
    int precopyBytes,
    byte[] config,
    DataFdBehaviour behaviour,
    IChoices choices,
    FaultPlan faults) : IVfioDevice
{
    private int readOffset;

    public string Name { get; } = name;

    public VfioDeviceState State { get; private set; } = VfioDeviceState.Running;

    public byte[] Image { get; } = image;

    public byte[] Config { get; } = config;

    public int SetState(VfioDeviceState state)
    {
        State = state;
        return 0;
    }

    public int Read(Span<byte> buffer)
    {
        var limit = State switch
        {
            VfioDeviceState.PreCopy => precopyBytes,
            VfioDeviceState.StopCopy => Image.Length,
            _ => -1,
        };
        if (limit < 0)
        {
            return -Errno.EINVAL;
        }

        if (faults.Fires(Fault.DeviceReadError, Side.Source, $"{Name} read at offset {readOffset}"))
        {
            return -Errno.EIO;
        }

        var n = Math.Min(buffer.Length, limit - readOffset);
        if (n <= 0)
        {
            return 0;
        }

        if (behaviour.ShortReads && n > 1 && choices.NextBool())
        {
            n = 1 + choices.NextInt(n - 1);
        }

        Image.AsSpan(readOffset, n).CopyTo(buffer);
        readOffset += n;
        return n;
    }

    public int Write(ReadOnlySpan<byte> bytes) => -Errno.EINVAL;

    public byte[] SaveConfig() => (byte[])Config.Clone();

    public int LoadConfig(ReadOnlySpan<byte> config) => -Errno.EINVAL;

    public void CloseDataFd()
    {
    }
}

/// <summary>
/// The destination's VFIO device: records every byte written to data_fd in order, and the config loaded.
/// Writes after data_fd was closed fail with EBADF.
/// </summary>
public sealed class DestinationVfioDevice(
    string name,
    DataFdBehaviour behaviour,
    IChoices choices,
    FaultPlan faults,
    IMigrationObserver observer) : IVfioDevice
{
    private readonly MemoryStream image = new();

    public string Name { get; } = name;

    public VfioDeviceState State { get; private set; } = VfioDeviceState.Running;

    public byte[] Image => image.ToArray();

    public byte[]? LoadedConfig { get; private set; }

    public int ConfigLoads { get; private set; }

    public bool DataFdClosed { get; private set; }

    public int SetState(VfioDeviceState state)
    {
        State = state;
        return 0;
    }

    public int Read(Span<byte> buffer) => -Errno.EINVAL;

    public int Write(ReadOnlySpan<byte> bytes)
    {
        var offset = image.Length;
        int ret;
        if (DataFdClosed)
        {
            ret = -9; // EBADF
        }
        else if (State != VfioDeviceState.Resuming)
        {
            ret = -Errno.EINVAL;
        }
        else if (faults.Fires(Fault.DeviceWriteError, Side.Destination, $"{Name} write at offset {offset}"))
        {
            ret = -Errno.EIO;
        }
        else
        {
            ret = bytes.Length;
            if (behaviour.PartialWrites && ret > 1 && choices.NextBool())
            {
                ret = 1 + choices.NextInt(ret - 1);
            }

            image.Write(bytes[..ret]);
        }

        observer.On(new Observation(Side.Destination, QemuThread.Current.Name, new DeviceWrite(Name, offset, bytes.Length, ret)));
        return ret;
    }

    public byte[] SaveConfig() => [];

    public int LoadConfig(ReadOnlySpan<byte> config)
    {
        // Only the load thread loads a config through vfio_load_bufs_thread_load_config; a config on the main
        // channel is no opportunity for a load-thread failure.
        if (QemuThread.Current.Name.StartsWith("load[", StringComparison.Ordinal)
            && faults.Fires(Fault.LoadThreadFailure, Side.Destination, $"{Name} vfio_load_device_config_state"))
        {
            return -Errno.EIO;
        }

        LoadedConfig = config.ToArray();
        ConfigLoads++;
        observer.On(new Observation(Side.Destination, QemuThread.Current.Name, new DeviceConfigLoaded(Name, config.Length)));
        return 0;
    }

    public void CloseDataFd() => DataFdClosed = true;
}

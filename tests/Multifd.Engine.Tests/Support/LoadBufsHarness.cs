using Multifd.Engine.Core;
using Multifd.Engine.Destination;
using Multifd.Engine.Ports;
using Multifd.Engine.Wire;
using Multifd.Simulation;

namespace Multifd.Engine.Tests.Support;

/// <summary>
/// One destination VFIO device in multifd mode, as the recv threads and the load thread see it: the test's
/// thread plays a recv thread (it never holds the BQL) and, to start the load thread, the main thread.
/// </summary>
public sealed class LoadBufsHarness
{
    public const string Dev = "dev0";

    public LoadBufsHarness(
        VfioDeviceProperties? properties = null,
        ProtocolVariant variant = ProtocolVariant.Correct,
        Platform platform = Platform.X86_64,
        bool configAfterIter = false,
        int[]? partialWrites = null)
    {
        QemuThread.Adopt("test");
        Qemu = new QemuProcess(Side.Destination, platform, Observer, variant);
        Config = new VfioDeviceConfig(Dev, 0, 16, properties ?? new VfioDeviceProperties());
        Choices = new ScriptedChoices(partialWrites ?? []);
        Device = new DestinationVfioDevice(Dev, new DataFdBehaviour(PartialWrites: true), Choices, FaultPlan.None, Observer);
        Device.SetState(VfioDeviceState.Resuming);
        Multifd = new VfioMultifd(Qemu, Config, Device, configAfterIter);
    }

    public RecordingObserver Observer { get; } = new();

    public QemuProcess Qemu { get; }

    public VfioDeviceConfig Config { get; }

    public ScriptedChoices Choices { get; }

    public DestinationVfioDevice Device { get; }

    public VfioMultifd Multifd { get; }

    /// <summary>The load thread, once started.</summary>
    public QemuThread? LoadThread { get; private set; }

    /// <summary>What vfio_load_bufs_thread returned (null: success).</summary>
    public LoadError? LoadThreadResult { get; private set; }

    /// <summary>A data packet (flags 0), big-endian as QEMU sends it.</summary>
    public LoadError? Insert(uint idx, byte[] data) => Multifd.LoadStateBuffer(VfioDeviceStatePacket.Encode(idx, 0, data));

    /// <summary>A config packet (flags = VFIO_DEVICE_STATE_CONFIG_STATE).</summary>
    public LoadError? InsertConfig(uint idx, byte[] blob) =>
        Multifd.LoadStateBuffer(VfioDeviceStatePacket.Encode(idx, VfioDeviceStatePacket.FlagConfigState, blob));

    /// <summary>MIG_CMD_SWITCHOVER_START on the main thread (BQL held): submits the load thread on its own QemuThread.</summary>
    /// <param name="shouldQuit">What mis->load_threads_abort reads as.</param>
    public void StartLoadThread(bool shouldQuit = false)
    {
        Qemu.Bql.Lock();
        Multifd.SwitchoverStart((name, function) =>
            LoadThread = Qemu.StartThread(name, () => LoadThreadResult = function(() => shouldQuit)));
        Qemu.Bql.Unlock();
    }

    /// <summary>Waits for the load thread to return. The timeout is a safety net against a hang, not an assertion.</summary>
    public void JoinLoadThread()
    {
        Assert.NotNull(LoadThread);
        Assert.True(LoadThread!.Completion.Wait(TimeSpan.FromSeconds(10)), "the load thread did not end (safety net)");
        LoadThread.Join();
    }

    /// <summary>Feeds nothing more: starts the load thread and runs it to completion.</summary>
    public LoadError? RunLoadThread()
    {
        StartLoadThread();
        JoinLoadThread();
        return LoadThreadResult;
    }

    /// <summary>vfio_multifd_free from the main thread (BQL held, dropped inside).</summary>
    public void Free()
    {
        Qemu.Bql.Lock();
        Multifd.Free();
        Qemu.Bql.Unlock();
    }

    /// <summary>
    /// A config blob as the source's vfio_save_device_config_state writes it, spelled out byte by byte: be64
    /// DEV_CONFIG_STATE, the model's be32 length prefix, the config, be64 END_OF_STATE.
    /// </summary>
    public static byte[] ConfigBlob(params byte[] config) =>
    [
        0xff, 0xff, 0xff, 0xff, 0xef, 0x10, 0x00, 0x02,
        0x00, 0x00, 0x00, (byte)config.Length,
        .. config,
        0xff, 0xff, 0xff, 0xff, 0xef, 0x10, 0x00, 0x01,
    ];

    /// <summary>n bytes counting up from <paramref name="first"/> (distinct content per buffer).</summary>
    public static byte[] Bytes(int n, byte first) => Enumerable.Range(0, n).Select(i => (byte)(first + i)).ToArray();

    /// <summary>No QEMU assertion failed anywhere.</summary>
    public void AssertNoAbort() => Assert.Empty(Observer.Events<QemuAborted>());
}

using Multifd.Checker.Scenarios;
using Multifd.Engine;
using Multifd.Engine.Core;
using Multifd.Engine.Destination;
using Multifd.Engine.Ports;
using Multifd.Engine.Source;
using Multifd.Simulation;
using Multifd.Specifications;

namespace Multifd.Checker.Harness;

/// <summary>The simulated world of one migration: channels, devices and faults, built from a scenario.</summary>
public sealed class SimulatedWorld : IMigrationObserver
{
    private readonly List<(DeviceSpec Spec, SourceVfioDevice Source, DestinationVfioDevice Destination)> devices = [];
    private readonly Scenario scenario;

    private SimulatedWorld(Scenario scenario) => this.scenario = scenario;

    public required FaultPlan Faults { get; init; }

    public required SimChannel Main { get; init; }

    public required IReadOnlyList<SimChannel> Multifd { get; init; }

    public SimChannel? ReturnPath { get; init; }

    /// <summary>The hostile source replacing the source QEMU, if the scenario asks for one.</summary>
    public HostileSource? Hostile { get; private set; }

    /// <summary>Released when the source's migration thread completed setup.</summary>
    public SemaphoreSlim SourceSetupComplete { get; } = new(0);

    /// <summary>Released when a cancel armed to land after an event lands (or when the run ends without it).</summary>
    public SemaphoreSlim CancelGate { get; } = new(0);

    /// <summary>The kind of the first error either side recorded (the reason a migration failed).</summary>
    public ErrorKind? FirstErrorKind { get; private set; }

    public static SimulatedWorld Build(Scenario s, IChoices choices, ObservationBridge bridge)
    {
        var faults = new FaultPlan(choices, FaultOpportunities(s), bridge, s.FaultPoints, s.MaxFaults, EventHorizon(s));
        // Anywhere: the multifd channel a channel fault landing after an event breaks, chosen up front too.
        var brokenChannel = s.FaultPoints == FaultPoints.Anywhere ? choices.NextInt(s.Source.MultifdChannels) : 0;
        var channels = s.Source.MultifdChannels;
        var world = new SimulatedWorld(s)
        {
            Faults = faults,
            Main = new SimChannel("main", s.Channels.CapacityBytes, faults, writeFault: Fault.MainChannelEof),
            Multifd = Enumerable.Range(0, channels)
                .Select(i => new SimChannel($"multifd{i}", s.Channels.CapacityBytes, faults, Fault.MultifdSendError, Fault.MultifdRecvError))
                .ToList(),
            ReturnPath = s.Source.ReturnPath ? new SimChannel("return-path") : null,
        };
        bridge.Subscribe(world);
        if (s.FaultPoints == FaultPoints.Anywhere)
        {
            bridge.Subscribe(faults); // counts the events a fault may land after
        }
        faults.OnLanding(Fault.MainChannelEof, world.Main.CloseWrite);
        faults.OnLanding(Fault.MultifdSendError, world.Multifd[brokenChannel].Break);
        faults.OnLanding(Fault.MultifdRecvError, world.Multifd[brokenChannel].FailNextRead);
        faults.OnLanding(Fault.SourceCancel, () => world.CancelGate.Release());
        faults.OnLanding(Fault.SourceCancelAfterSetup, () => world.CancelGate.Release());

        var behaviour = new DataFdBehaviour(s.DataFd.ShortReads, s.DataFd.PartialWrites);
        foreach (var d in s.Devices)
        {
            var image = DeviceContent.Image(d.Name, d.StateBytes);
            var config = DeviceContent.Config(d.Name, d.ConfigBytes);
            world.devices.Add((d,
                new SourceVfioDevice(d.Name, image, d.PrecopyBytes, config, behaviour, choices, faults),
                new DestinationVfioDevice(d.Name, behaviour, choices, faults, bridge)));
        }

        if (s.Hostile is { } h)
        {
            var holdEof = h.HoldEofUntilRejected && HostileSource.RejectedByRecvThread.Contains(h.Kind)
                          || (h.Kind == "flood" && s.Devices[0].Destination is { MaxQueuedBuffers: not null } or { MaxQueuedBuffersSizeBytes: not null });
            world.Hostile = new HostileSource(h.Kind,
                world.devices.Select(d => new HostileDevice(d.Spec.Name, d.Spec.EffectiveIdstr, d.Spec.InstanceId, d.Source.Image,
                    d.Source.Config, d.Spec.DataBufferSizeBytes,
                    SendLoadReady: Config(d.Spec, d.Spec.Source, s.Source.MachineType).Properties.LoadConfigAfterIter switch
                    {
                        Engine.OnOffAuto.On => true,
                        Engine.OnOffAuto.Off => false,
                        _ => s.Source.Platform.WantsConfigAfterIter(),
                    })).ToList(),
                world.Main, world.Multifd, bridge, holdEof, sendInterruptController: s.Source.Platform.IsBaseArm());
        }

        return world;
    }

    public SourceWorld SourceWorld(Scenario s) => new(
        Main,
        Multifd,
        devices.Select(d => (Config(d.Spec, d.Spec.Source, s.Source.MachineType), (IVfioDevice)d.Source)).ToList(),
        ReturnPath,
        new RamWorkload(s.Ram.PrecopyRounds, s.Ram.JobsPerRound, s.Ram.JobsAtCompletion));

    public DestinationWorld DestinationWorld(Scenario s) => new(
        Main,
        Multifd,
        devices.Select(d => (Config(d.Spec, d.Spec.Destination, s.Destination.MachineType), (IVfioDevice)d.Destination)).ToList(),
        ReturnPath);

    public IReadOnlyList<DeviceEnd> DeviceEnds() => devices.Select(d => new DeviceEnd(
        d.Spec.Name,
        d.Source.Image,
        d.Source.Config,
        d.Destination.Image,
        d.Destination.LoadedConfig,
        d.Destination.ConfigLoads,
        d.Destination.DataFdClosed)).ToList();

    public void On(Observation o)
    {
        if (o.Event is MigrationThreadSetupComplete)
        {
            SourceSetupComplete.Release();
        }

        if (o.Event is MigrateSetState { NewState: MigrationStatus.Cancelling })
        {
            // migrate_cancel records no migration error; the failure it causes is attributed to it.
            FirstErrorKind ??= ErrorKind.Cancelled;
        }

        if (o.Event is MigrationErrorSet e)
        {
            FirstErrorKind ??= e.Kind;
            if (o.Side == Side.Destination)
            {
                Hostile?.DestinationFailed();
            }
        }
    }

    /// <summary>The device's properties as QEMU ends up with them: -device settings over the machine's compat properties.</summary>
    private static VfioDeviceConfig Config(DeviceSpec d, DevicePropertiesSpec p, MachineType? machine) => new(
        d.Name,
        d.InstanceId,
        d.DataBufferSizeBytes,
        new VfioDeviceProperties(
            HwCompat.VfioPci(machine, "x-migration-multifd-transfer", p.MultifdTransfer),
            HwCompat.VfioPci(machine, "x-migration-load-config-after-iter", p.LoadConfigAfterIter),
            p.MaxQueuedBuffers,
            p.MaxQueuedBuffersSizeBytes ?? ulong.MaxValue))
    {
        Idstr = d.EffectiveIdstr,
    };

    /// <summary>
    /// Anywhere: the events of a run a fault may land after, estimated from the scenario (about 40 per multifd
    /// channel and device plus 8 per packet; a run measured with the default scenario has about 300). A fault armed
    /// beyond the end of a run does not fire in it.
    /// </summary>
    private static int EventHorizon(Scenario s)
    {
        var packets = s.Devices.Sum(d => 2 + (d.StateBytes + d.DataBufferSizeBytes - 1) / d.DataBufferSizeBytes);
        return 60 + 40 * (s.Source.MultifdChannels + s.Devices.Count) + 8 * packets
               + 12 * (s.Ram.PrecopyRounds * s.Ram.JobsPerRound + s.Ram.JobsAtCompletion);
    }

    /// <summary>Per enabled fault, the number of points where it may fire (estimated from the scenario).</summary>
    private static Dictionary<Fault, int> FaultOpportunities(Scenario s)
    {
        var packetsPerChannel = s.Devices.Sum(d => 1 + (d.StateBytes - d.PrecopyBytes + d.DataBufferSizeBytes - 1) / d.DataBufferSizeBytes)
                                / Math.Max(1, s.Source.MultifdChannels) + 2;
        // RAM on the channels: a SYNC per channel at setup, per precopy round and at completion, and the RAM jobs.
        var syncs = 2 + s.Ram.PrecopyRounds;
        var ramJobs = s.Ram.PrecopyRounds * s.Ram.JobsPerRound + s.Ram.JobsAtCompletion;
        return s.Faults.ToDictionary(f => f, f => f switch
        {
            Fault.MultifdSendError or Fault.MultifdRecvError => (packetsPerChannel + syncs) * s.Source.MultifdChannels + ramJobs,
            Fault.MainChannelEof => 4 + syncs + s.Devices.Sum(d => d.PrecopyBytes / d.DataBufferSizeBytes + 1),
            Fault.DeviceReadError => s.Devices.Sum(d => d.StateBytes / d.DataBufferSizeBytes + 2),
            Fault.DeviceWriteError => s.Devices.Sum(d => d.StateBytes / d.DataBufferSizeBytes + 2),
            Fault.SourceCancel or Fault.SourceCancelAfterSetup => 1,
            Fault.LoadThreadFailure => s.Devices.Count,
            _ => 1,
        });
    }
}

/// <summary>Deterministic device contents, different per device, so that a byte in the wrong place shows.</summary>
public static class DeviceContent
{
    public static byte[] Image(string device, int length) => Bytes(device + "/state", length);

    public static byte[] Config(string device, int length) => Bytes(device + "/config", length);

    private static byte[] Bytes(string seed, int length)
    {
        var bytes = new byte[length];
        var x = (uint)seed.Aggregate(2166136261u, (h, c) => (h ^ c) * 16777619u);
        for (var i = 0; i < length; i++)
        {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            bytes[i] = (byte)x;
        }

        return bytes;
    }
}

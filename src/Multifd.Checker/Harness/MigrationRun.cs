using Multifd.Checker.Scenarios;
using Multifd.Engine;
using Multifd.Engine.Core;
using Multifd.Engine.Destination;
using Multifd.Engine.Ports;
using Multifd.Engine.Source;
using Multifd.Simulation;
using Multifd.Specifications;

namespace Multifd.Checker.Harness;

/// <summary>How one migration (one schedule) ended.</summary>
/// <param name="Completed">The destination started the VM.</param>
/// <param name="FailureKind">For a failed migration: what failed it (the destination's first error, else the source's).</param>
public sealed record RunOutcome(bool Completed, ErrorKind? FailureKind, string? FailureMessage)
{
    /// <summary>"success", or "failed:queue-limit" and the like.</summary>
    public string Label => Completed ? "success" : $"failed:{Variants.Kebab(FailureKind?.ToString() ?? "Other")}";
}

/// <summary>
/// One migration of a scenario: builds the world and both QEMUs, runs them to the end, joins everything and
/// checks every property. The same code runs under Coyote (one schedule) and on real threads.
/// </summary>
public sealed class MigrationRun
{
    private readonly Scenario scenario;
    private readonly ProtocolVariant variant;
    private readonly IChoices choices;
    private readonly bool realThreads;
    private volatile bool runOver; // the source's migration thread ended: a cancel landing after an event comes too late

    // The engine's wrappers make a scheduling decision only where another thread could see a difference (SchedulerHints).
    static MigrationRun() => CoyoteHints.Install();

    public MigrationRun(Scenario scenario, ProtocolVariant variant, IChoices choices, Action<PropertyViolation> onViolation,
        bool realThreads = false)
    {
        this.scenario = scenario;
        this.variant = variant;
        this.choices = choices;
        this.realThreads = realThreads;
        Bridge = new ObservationBridge(realThreads);
        Properties = new PropertySet(PropertySet.CreateAll(new MemoryBounds(scenario.Memory.BudgetBytes, scenario.Memory.AllowanceBytes)),
            onViolation);
        Bridge.Subscribe(Properties);
        Situations = new SituationTracker(
            scenario.Devices.ToDictionary(d => d.Name,
                d => (d.Destination.MaxQueuedBuffers ?? ulong.MaxValue, d.Destination.MaxQueuedBuffersSizeBytes ?? ulong.MaxValue)),
            scenario.Devices.ToDictionary(d => d.Name, d => d.DataBufferSizeBytes));
        Bridge.Subscribe(Situations);
        Bridge.Subscribe(Peaks);
        if (!realThreads)
        {
            // P8's liveness half: a Coyote monitor, registered in the test body of every schedule.
            Bridge.Subscribe(EveryThreadTerminatesFeed.ForCoyote());
        }
    }

    public SituationTracker Situations { get; }

    public QueuePeaks Peaks { get; } = new();

    public ObservationBridge Bridge { get; }

    public PropertySet Properties { get; }

    public RunOutcome? Outcome { get; private set; }

    /// <summary>The faults that fired in this run (empty before it ran).</summary>
    public IReadOnlyList<InjectedFault> FaultsInjected => lastWorld?.Faults.Injected ?? [];

    /// <summary>The error-path sites (<see cref="ErrorPathSites"/>) either QEMU took in this run.</summary>
    public IReadOnlyCollection<string> SitesReached { get; private set; } = [];

    private SimulatedWorld? lastWorld;
    private QemuProcess? srcProcess;
    private QemuProcess? dstProcess;

    /// <summary>The world of the running migration (null before <see cref="Execute"/> built it).</summary>
    private SimulatedWorld? world;

    /// <summary>
    /// Shuts every simulated channel down, as a cable pulled out: blocked and later reads and writes fail. For a run on
    /// real threads that hangs, so that the threads waiting on the network see errors and end; threads waiting on a
    /// lock, a cond or a join stay where they are.
    /// </summary>
    public void ShutdownChannels()
    {
        if (Volatile.Read(ref world) is not { } w)
        {
            return;
        }

        w.Main.Shutdown();
        foreach (var channel in w.Multifd)
        {
            channel.Shutdown();
        }

        w.ReturnPath?.Shutdown();
    }

    /// <summary>Runs the migration to its end. Property violations go to the callback given at construction.</summary>
    public RunOutcome Execute()
    {
        QemuThread.Adopt("harness");
        var world = SimulatedWorld.Build(scenario, choices, Bridge);
        lastWorld = world;
        if (realThreads)
        {
            Volatile.Write(ref this.world, world);
        }

        var srcParams = Parameters(scenario.Source);
        var dstParams = Parameters(scenario.Destination);
        var assumptions = new ModelAssumptions(scenario.Assumptions.SendThreadsDrainBeforeShutdown, scenario.Assumptions.SpuriousWakeups);
        Func<bool>? spurious = assumptions.SpuriousWakeups ? choices.NextBool : null;

        var srcQemu = new QemuProcess(Side.Source, srcParams.Platform, Bridge, variant, spurious);
        var dstQemu = new QemuProcess(Side.Destination, dstParams.Platform, Bridge, variant, spurious);
        srcProcess = srcQemu;
        dstProcess = dstQemu;
        var destination = new DestinationMigration(dstQemu, dstParams, world.DestinationWorld(scenario));
        // The harness's own thread runs the destination's main thread (after starting the others): a thread of the
        // harness that only waits would cost every schedule a thread to create and join.
        if (world.Hostile is { } hostile)
        {
            var hostileThread = hostile.Start();
            destination.RunHere();
            hostileThread.Join();
            return Finish(destination, dstQemu, null, world);
        }

        var source = new SourceMigration(srcQemu, srcParams, assumptions, world.SourceWorld(scenario));
        var srcThread = source.Start();
        QemuThread? qmp = null;
        var cancel = world.Faults.IsEnabled(Fault.SourceCancel) ? Fault.SourceCancel
            : world.Faults.IsEnabled(Fault.SourceCancelAfterSetup) ? Fault.SourceCancelAfterSetup : (Fault?)null;
        if (cancel is { } fault)
        {
            // The QMP monitor: migrate_cancel needs the BQL, so it lands before or after completion.
            qmp = srcQemu.StartThread("qmp", () =>
            {
                if (fault == Fault.SourceCancelAfterSetup)
                {
                    world.SourceSetupComplete.Wait();
                }

                var afterEvent = world.Faults.LandsAfterEvent(fault);
                if (afterEvent)
                {
                    // Anywhere: the cancel comes when its event has passed (or never, once the run is over).
                    world.CancelGate.Wait();
                }

                srcQemu.Bql.Lock();
                if (afterEvent ? !runOver : world.Faults.Fires(fault, Side.Source, "migrate_cancel"))
                {
                    if (afterEvent)
                    {
                        world.Faults.CancelLanded(fault);
                    }

                    source.Cancel();
                }

                srcQemu.Bql.Unlock();
            });
        }

        destination.RunHere();
        srcThread.Join();
        if (qmp is not null && world.Faults.LandsAfterEvent(cancel!.Value))
        {
            runOver = true;
            world.CancelGate.Release();
        }

        qmp?.Join();
        return Finish(destination, dstQemu, srcQemu, world);
    }

    /// <summary>Gathers the sites either process took so far (also after a schedule Coyote cut short).</summary>
    public void CollectSites()
    {
        SitesReached = [.. (srcProcess?.SitesReached ?? []).Concat(dstProcess?.SitesReached ?? []).Distinct()];
    }

    private RunOutcome Finish(DestinationMigration destination, QemuProcess dstQemu, QemuProcess? srcQemu, SimulatedWorld world)
    {
        var end = new RunEnd(
            SourceCompleted: srcQemu is { State: MigrationStatus.Completed },
            DestinationCompleted: destination.VmRunning,
            Devices: world.DeviceEnds(),
            ThreadsNotEnded: [.. Properties.Get<EveryThreadTerminates>().Running],
            SourceIsHostile: srcQemu is null);
        Properties.AtEnd(end);

        Outcome = destination.VmRunning
            ? new RunOutcome(true, null, null)
            : new RunOutcome(false, world.FirstErrorKind ?? ErrorKind.Other, dstQemu.Error ?? srcQemu?.Error);
        return Outcome;
    }

    private static MigrationParameters Parameters(SideSpec side) => new(
        Platform: side.Platform,
        Multifd: side.Multifd,
        MultifdChannels: side.MultifdChannels,
        SendSwitchoverStart: HwCompat.Migration(side.MachineType, "send-switchover-start", side.SendSwitchoverStart, classDefault: true),
        ZeroCopySend: side.ZeroCopySend,
        MultifdFlushAfterEachSection: side.MultifdFlushAfterEachSection);
}

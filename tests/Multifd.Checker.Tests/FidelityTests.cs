using Multifd.Checker.Exploration;
using Multifd.Checker.Harness;
using Multifd.Checker.Scenarios;
using Multifd.Engine;
using Multifd.Engine.Ports;
using Multifd.Simulation;
using Xunit.Abstractions;

namespace Multifd.Checker.Tests;

/// <summary>
/// The model follows QEMU as merged (issue 12): the completion phase's RAM flush-and-sync among the device-state
/// packets, RAM jobs on the channels, send threads that leave on exiting before looking at their job, and
/// migrate_cancel's CANCELLING.
/// </summary>
public class FidelityTests(ITestOutputHelper output)
{
    /// <summary>
    /// ram_save_complete's last scan runs multifd_ram_flush_and_sync after the save threads were spawned: its SYNC
    /// packets sit between device-state packets on a channel, and the destination runs multifd_recv_sync_main after
    /// SWITCHOVER_START, while the load threads run.
    /// </summary>
    [Fact]
    public void CompletionSyncPacketsInterleaveWithDeviceStatePackets()
    {
        var r = Explorer.Run(CheckOptions.For(ModelsFolder.LoadScenario("default")) with { Iterations = 100 });
        output.WriteLine(string.Join(", ", r.Situations.Select(kv => $"{kv.Key}={kv.Value}")));
        Assert.Null(r.Violation?.Message);
        Assert.Equal(100, r.Situations.GetValueOrDefault("recv-sync-after-switchover"));
        Assert.True(r.Situations.GetValueOrDefault("sync-among-device-state") > 0, "no schedule put a SYNC between device-state packets");
    }

    /// <summary>
    /// One migration of the default scenario on real threads: the packets and the order of each thread's own events
    /// are the same in every run, whatever the interleaving.
    /// </summary>
    [Fact]
    public async Task RealThreadRunCarriesRamJobsAndSyncsAsQemuDoes()
    {
        var scenario = ModelsFolder.LoadScenario("default");
        var run = new MigrationRun(scenario, ProtocolVariant.Correct, new SeededChoices(1), v => Assert.Fail(v.Message), realThreads: true);
        var task = Task.Factory.StartNew(() => run.Execute(), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        Assert.True(await Task.WhenAny(task, Task.Delay(TimeSpan.FromMinutes(2))) == task, "the migration did not end (safety net)");
        Assert.True((await task).Completed);
        var timeline = run.Bridge.Timeline.Select(t => t.Observation).ToList();

        // Setup, one precopy round and the completion: a SYNC on each channel each time; one RAM job at completion.
        var channels = scenario.Source.MultifdChannels;
        var filled = timeline.Select(o => o.Event).OfType<MultifdSendFill>().ToList();
        Assert.Equal(3 * channels, filled.Count(e => e.IsSync));
        Assert.Equal(scenario.Ram.JobsAtCompletion + scenario.Ram.PrecopyRounds * scenario.Ram.JobsPerRound, filled.Count(e => !e.IsSync));
        var unfilled = timeline.Select(o => o.Event).OfType<MultifdRecvUnfill>().ToList();
        Assert.Equal(filled.Select(e => (e.Id, e.PacketNum, e.Flags)).Order(), unfilled.Select(e => (e.Id, e.PacketNum, e.Flags)).Order());

        // The migration thread hands its completion RAM job to multifd_send holding the BQL, after SWITCHOVER_START
        // (the save threads are spawned), and syncs before it joins the save threads.
        var mig = Names(timeline, "mig");
        var switchover = mig.IndexOf("savevm_send_switchover_start");
        Assert.Contains(mig.Skip(switchover), e => e == "model_mutex_locked multifd_send_mutex holding BQL");
        var lastSync = mig.FindLastIndex(e => e.StartsWith("multifd_send_sync_main", StringComparison.Ordinal));
        Assert.True(lastSync > switchover);
        Assert.True(mig.IndexOf("model_multifd_join_device_state_save_threads ok") > lastSync);

        // The destination's main thread syncs with the recv threads (BQL held) after starting the load threads.
        var main = Names(timeline, "main");
        var started = main.FindLastIndex(e => e.StartsWith("qemu_loadvm_start_load_thread", StringComparison.Ordinal));
        Assert.True(main.FindLastIndex(e => e.StartsWith("multifd_recv_sync_main", StringComparison.Ordinal)) > started);
        Assert.True(main.FindIndex(e => e.StartsWith("qemu_loadvm_state_post_main", StringComparison.Ordinal)) > started);
    }

    private static List<string> Names(IEnumerable<Observation> timeline, string thread) =>
        timeline.Where(o => o.Thread == thread).Select(o => $"{o.Event.TraceName} {o.Event.Args}".Trim()).ToList();

    /// <summary>
    /// Finding F3 in the engine: without the return path, multifd_send_shutdown's exiting reaches a send thread that
    /// holds a device-state job, which leaves without writing it; the destination's load thread starves. The model
    /// assumption SendThreadsDrainBeforeShutdown (off by default) hides exactly this.
    /// </summary>
    [Fact]
    public void SendThreadLeavingOnExitingDropsItsJobWithoutTheReturnPath()
    {
        var scenario = ModelsFolder.LoadScenario("gap-shutdown-without-drain");
        var r = Explorer.Run(CheckOptions.For(scenario) with { Iterations = 500 });
        output.WriteLine($"schedule {r.FirstBugIteration}: {r.Violation?.Property} {r.Violation?.Message}");
        Assert.Equal("P10", r.Violation?.Property);
        var events = r.Timeline!.Select(t => t.Observation).ToList();
        var queued = events.Select(o => o.Event).OfType<DeviceStateQueued>().Select(e => (e.Device, e.Idx)).ToHashSet();
        var sent = events.Select(o => o.Event).OfType<PacketSent>().Select(e => (e.Device!, e.Idx)).ToHashSet();
        Assert.NotEmpty(queued.Except(sent));
        var terminate = events.FindIndex(o => o.Event is MultifdSendTerminateThreads);
        Assert.True(terminate >= 0);
        Assert.Contains(events.Skip(terminate), o => o.Event is ThreadEnded { Name: "send[ch0]" or "send[ch1]" });

        var drained = Explorer.Run(CheckOptions.For(scenario with { Assumptions = new AssumptionSpec { SendThreadsDrainBeforeShutdown = true } }) with
        {
            Iterations = 500,
        });
        Assert.Null(drained.Violation?.Message);
        Assert.Equal(500, drained.Outcomes.GetValueOrDefault("success"));
    }

    /// <summary>
    /// migrate_cancel records no migration error: a cancelled migration is attributed to the cancel (CANCELLING), and
    /// the source ends CANCELLED, never FAILED.
    /// </summary>
    [Fact]
    public async Task CancelRecordsNoErrorAndEndsCancelled()
    {
        var scenario = ModelsFolder.LoadScenario("fault-source-cancel-after-setup") with { Exploration = new ExplorationSpec() };
        var sawCancel = 0;
        for (var seed = 1; seed <= 30; seed++)
        {
            var run = new MigrationRun(scenario, ProtocolVariant.Correct, new SeededChoices(seed), _ => { }, realThreads: true);
            var task = Task.Factory.StartNew(() => run.Execute(), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            if (await Task.WhenAny(task, Task.Delay(TimeSpan.FromSeconds(30))) != task)
            {
                run.ShutdownChannels(); // a hang is another test's business (the manifest); here only the cancel counts
                continue;
            }

            var source = run.Bridge.Timeline.Select(t => t.Observation).Where(o => o.Side == Side.Source).ToList();
            var cancelling = source.FindIndex(o => o.Event is MigrateSetState { NewState: Engine.Core.MigrationStatus.Cancelling });
            if (cancelling < 0)
            {
                continue;
            }

            sawCancel++;
            Assert.DoesNotContain(source, o => o.Thread == "qmp" && o.Event is MigrationErrorSet);
            Assert.DoesNotContain(source, o => o.Event is MigrateSetState { NewState: Engine.Core.MigrationStatus.Failed });
            Assert.Contains(source.Skip(cancelling), o => o.Event is MigrateSetState { NewState: Engine.Core.MigrationStatus.Cancelled });
            var outcome = await task;
            if (!outcome.Completed)
            {
                Assert.Equal(ErrorKind.Cancelled, outcome.FailureKind);
            }
        }

        output.WriteLine($"{sawCancel} of 30 runs were cancelled while running");
        Assert.True(sawCancel > 0, "no run was cancelled while the migration ran");
    }
}

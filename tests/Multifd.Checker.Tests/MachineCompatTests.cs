using Microsoft.Coyote.Logging;
using Microsoft.Coyote.SystematicTesting;
using Multifd.Checker.Exploration;
using Multifd.Checker.Harness;
using Multifd.Checker.Scenarios;
using Multifd.Engine;
using Multifd.Engine.Ports;
using Multifd.Simulation;
using Multifd.Specifications;
using Xunit.Abstractions;

namespace Multifd.Checker.Tests;

/// <summary>
/// A scenario's machine type applies QEMU's compat properties per side, under the properties the scenario sets:
/// hw_compat_10_0 (after-iter off) and hw_compat_9_2 (send-switchover-start and multifd transfer off).
/// </summary>
public class MachineCompatTests(ITestOutputHelper output)
{
    /// <summary>
    /// One schedule under Coyote's scheduler (seed 1), for what its timeline shows. Violations are collected, not
    /// raised, so that the schedule runs to its end; a hang fails the test with Coyote's report.
    /// </summary>
    private static (RunOutcome Outcome, IReadOnlyList<Observation> Events, List<PropertyViolation> Violations) RunOnce(Scenario scenario)
    {
        var violations = new List<PropertyViolation>();
        MigrationRun? run = null;
        var configuration = Explorer.Configure(CheckOptions.For(scenario) with { Iterations = 1 });
        using (var engine = TestingEngine.Create(configuration, () =>
        {
            run = new MigrationRun(scenario, ProtocolVariant.Correct, new CoyoteChoices(), violations.Add);
            run.Execute();
        }))
        {
            engine.SetLogger(new MemoryLogger(VerbosityLevel.Error));
            engine.Run();
            Assert.True(engine.TestReport.NumOfFoundBugs == 0, string.Join("; ", engine.TestReport.BugReports));
        }

        return (run!.Outcome!, run.Bridge.Timeline.Select(t => t.Observation).ToList(), violations);
    }

    [Fact]
    public void Virt10_0OnAarch64TurnsTheInterlockOffAndTheConfigCanPrecedeTheInterruptController()
    {
        var scenario = ModelsFolder.LoadScenario("compat-virt-10.0-arm64");
        var (_, events, _) = RunOnce(scenario);
        Assert.All(events.Select(o => o.Event).OfType<LoadSetup>(), e => Assert.False(e.ConfigAfterIter));
        Assert.All(events.Select(o => o.Event).OfType<SaveSetup>(), e => Assert.False(e.ConfigAfterIter));

        var r = Explorer.Run(CheckOptions.For(scenario) with { Iterations = 200 });
        output.WriteLine($"schedule {r.FirstBugIteration}: {r.Violation?.Property} {r.Violation?.Message}");
        Assert.Equal("P5b", r.Violation?.Property);
        Assert.Contains("on an aarch64 destination before the interrupt controller's section was loaded", r.Violation!.Message);
    }

    [Fact]
    public void AnAfterIterSetOnTheDeviceOverridesHwCompat10_0()
    {
        var (outcome, events, violations) = RunOnce(ModelsFolder.LoadScenario("compat-virt-10.0-arm64-after-iter-on"));
        Assert.Empty(violations);
        Assert.True(outcome.Completed, outcome.FailureMessage);
        Assert.All(events.Select(o => o.Event).OfType<LoadSetup>(), e => Assert.True(e.ConfigAfterIter));
        Assert.Equal(2, events.Select(o => o.Event).OfType<ConfigLoadReady>().Count());
    }

    [Fact]
    public void A9_2MachineSendsNoDeviceStateOverMultifdAndNoSwitchoverStart()
    {
        var (outcome, events, violations) = RunOnce(ModelsFolder.LoadScenario("compat-q35-9.2"));
        Assert.Empty(violations);
        Assert.True(outcome.Completed, outcome.FailureMessage);
        Assert.All(events.Select(o => o.Event).OfType<LoadSetup>(), e => Assert.False(e.MultifdTransfer));
        Assert.DoesNotContain(events, o => o.Event is SwitchoverStartSent or SwitchoverStartReceived);
        Assert.DoesNotContain(events, o => o.Event is PacketSent);
        Assert.Contains(events, o => o.Event is MultifdSendFill { IsSync: true }); // multifd still carries RAM's syncs
    }

    [Fact]
    public void On9_2AnExplicitMultifdTransferWinsButSwitchoverStartStaysOffSoSetupRefuses()
    {
        var (outcome, events, violations) = RunOnce(ModelsFolder.LoadScenario("compat-q35-9.2-multifd-transfer-on"));
        Assert.Empty(violations);
        Assert.False(outcome.Completed);
        Assert.Equal(ErrorKind.Setup, outcome.FailureKind);
        Assert.Contains(events, o => o.Event is MigrationErrorSet e && e.Message.Contains("Multifd device transfer requested but unsupported"));

        // With -global migration.send-switchover-start=on as well, the 9.2 machine transfers device state over multifd.
        var scenario = ModelsFolder.LoadScenario("compat-q35-9.2-multifd-transfer-on");
        scenario = scenario with
        {
            Source = scenario.Source with { SendSwitchoverStart = true },
            Destination = scenario.Destination with { SendSwitchoverStart = true },
        };
        var (on, onEvents, onViolations) = RunOnce(scenario);
        Assert.Empty(onViolations);
        Assert.True(on.Completed, on.FailureMessage);
        Assert.Contains(onEvents, o => o.Event is PacketSent);
    }

    [Fact]
    public void TheMachineTypeIsPerSide()
    {
        // A 10.1 source (after-iter AUTO = on for ARM) to a virt-10.0 destination (hw_compat_10_0: off): the
        // destination refuses the source's DEV_CONFIG_LOAD_READY.
        var scenario = ModelsFolder.LoadScenario("compat-virt-10.0-arm64");
        scenario = scenario with { Source = scenario.Source with { Machine = null } };
        var (outcome, events, violations) = RunOnce(scenario);
        // The destination's load thread may also load a config before the interrupt controller (F7) in this run.
        Assert.All(violations, v => Assert.Equal("P5b", v.PropertyId));
        Assert.False(outcome.Completed);
        Assert.All(events.Select(o => o.Event).OfType<SaveSetup>(), e => Assert.True(e.ConfigAfterIter));
        Assert.All(events.Select(o => o.Event).OfType<LoadSetup>(), e => Assert.False(e.ConfigAfterIter));
        Assert.Contains(events, o => o.Event is ErrorReported e && e.Message.Contains("got DEV_CONFIG_LOAD_READY but was disabled")
                                     || o.Event is MigrationErrorSet m && m.Message.Contains("got DEV_CONFIG_LOAD_READY but was disabled"));
    }

    [Fact]
    public void AnUnversionedMachineIsTheLatestWithNoCompat()
    {
        var scenario = ModelsFolder.LoadScenario("compat-virt-10.0-arm64");
        scenario = scenario with
        {
            Source = scenario.Source with { Machine = "virt" },
            Destination = scenario.Destination with { Machine = "virt-11.0" },
        };
        var (outcome, events, violations) = RunOnce(scenario);
        Assert.Empty(violations);
        Assert.True(outcome.Completed, outcome.FailureMessage);
        Assert.All(events.Select(o => o.Event).OfType<LoadSetup>(), e => Assert.True(e.ConfigAfterIter));
    }
}

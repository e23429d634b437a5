using Microsoft.Coyote.Runtime;
using Microsoft.Coyote.SystematicTesting;
using Multifd.Checker.Exploration;
using Multifd.Checker.Harness;
using Multifd.Checker.Scenarios;
using Multifd.Checker.Tests.Cli;
using Multifd.Cli.Bundles;
using Multifd.Simulation;
using Xunit.Abstractions;

namespace Multifd.Checker.Tests.QemuLog;

/// <summary>
/// `show --format qemu-log` then `observe` gives the model's verdict for every property a QEMU log can show, and
/// "not checkable" for the rest: on every curated bundle in traces/, on every bug entry of models/manifest.json (run with
/// its fixed seed, as ManifestTests does), and on whole passing schedules of every passing entry (observed with
/// --ended: no violation, no hang). Each schedule is written in every log form: 10.1 with and without timestamps,
/// 10.0's TID@ prefix, and per-thread files (-d tid) merged back by time.
/// </summary>
public class RoundTripTests(ITestOutputHelper output)
{
    private static string Models => ModelsFolder.Find() ?? throw new InvalidOperationException("models/ not found");

    public static TheoryData<string> Bundles()
    {
        var traces = Path.Combine(Path.GetDirectoryName(Models)!, "traces");
        var data = new TheoryData<string>();
        foreach (var dir in Directory.GetDirectories(traces).Where(d => File.Exists(Path.Combine(d, TraceBundle.TraceFile))).Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileName(dir));
        }

        return data;
    }

    public static TheoryData<string> BugEntries() => Entries(bug: true);

    public static TheoryData<string> PassEntries() => Entries(bug: false);

    [Theory]
    [MemberData(nameof(Bundles))]
    public void CuratedBundle(string name)
    {
        var bundle = TraceBundle.Load(Path.Combine(Path.GetDirectoryName(Models)!, "traces", name));
        var replay = Replayer.Replay(bundle);
        Assert.True(replay.Reproduced, $"{name} does not replay: {replay.Divergence}");
        Check(name, bundle.Events, replay.Result.Violation);
    }

    [Theory]
    [MemberData(nameof(BugEntries))]
    public void BugEntry(string label)
    {
        var entry = Manifest.Load(Models).Scenarios.Single(e => e.Label == label);
        var options = Expectations.OptionsFor(entry, ModelsFolder.LoadScenario(entry.Scenario)) with { Iterations = 1000 };
        var result = Explorer.Run(options);
        Assert.True(result.Violation is not null && result.Timeline is not null, $"{label}: no violation found");
        var v = result.Violation!;
        Check(label, EventLog.From(v.Property, v.Name, v.Message, result.Timeline!), v);
    }

    /// <summary>A whole schedule of a passing entry, read with --ended: every property holds, no thread is left running.</summary>
    [Theory]
    [MemberData(nameof(PassEntries))]
    public void PassingSchedules(string label)
    {
        var entry = Manifest.Load(Models).Scenarios.Single(e => e.Label == label);
        var options = Expectations.OptionsFor(entry, ModelsFolder.LoadScenario(entry.Scenario)) with { Iterations = 6 };
        var timelines = new List<IReadOnlyList<TimelineEntry>>();
        using (var engine = TestingEngine.Create(Explorer.Configure(options), (ICoyoteRuntime _) =>
               {
                   var run = new MigrationRun(options.Scenario, options.Variant, new CoyoteChoices(),
                       v => Microsoft.Coyote.Specifications.Specification.Assert(false, v.Message));
                   run.Execute();
                   timelines.Add(run.Bridge.Timeline.ToList());
               }))
        {
            engine.Run();
        }

        Assert.NotEmpty(timelines);
        using var folder = new TempFolder();
        foreach (var (timeline, i) in timelines.Select((t, i) => (t, i)))
        {
            var events = EventLog.From("none", "", "", timeline);
            var form = LogForm.All[i % LogForm.All.Count];
            var observed = RoundTrip.Observe(events, form, folder, ended: true);
            var problems = RoundTrip.Problems(null, observed);
            Assert.True(problems.Count == 0, $"{label}, schedule {i + 1}, {form}: {string.Join("; ", problems)}\n{observed.Logs}");
        }

        output.WriteLine($"{label}: {timelines.Count} whole schedules observed with --ended, no violation");
    }

    /// <summary>
    /// A scenario may name its devices as QEMU does (host device, guest path + /vfio): the engine uses both, the
    /// exported log carries them, and observe rebuilds each device with its idstr.
    /// </summary>
    [Fact]
    public void QemuDeviceNamesGoThroughTheEngineAndBack()
    {
        var scenario = ModelsFolder.LoadScenario("default") with
        {
            Name = "qemu-names",
            Devices =
            [
                new DeviceSpec { Name = "0000:65:00.0", Idstr = "0000:00:02.0/vfio", StateBytes = 192, PrecopyBytes = 64 },
                new DeviceSpec { Name = "0000:66:00.0", Idstr = "0000:00:03.0/vfio", StateBytes = 128 },
            ],
            MustReach = [],
        };
        var options = CheckOptions.For(scenario) with { Iterations = 2 };
        var timelines = new List<IReadOnlyList<TimelineEntry>>();
        using (var engine = TestingEngine.Create(Explorer.Configure(options), (ICoyoteRuntime _) =>
               {
                   var run = new MigrationRun(options.Scenario, options.Variant, new CoyoteChoices(),
                       v => Microsoft.Coyote.Specifications.Specification.Assert(false, v.Message));
                   run.Execute();
                   timelines.Add(run.Bridge.Timeline.ToList());
               }))
        {
            engine.Run();
        }

        using var folder = new TempFolder();
        var events = EventLog.From("none", "", "", timelines[0]);
        Assert.Contains(events.Events, e => e.Text == "vfio_save_complete_precopy_thread_start  (0000:65:00.0) idstr 0000:00:02.0/vfio instance 0");
        Assert.Contains(events.Events, e => e.Text == "qemu_loadvm_state_section_startfull 2(0000:00:03.0/vfio) 0 1");
        var observed = RoundTrip.Observe(events, LogForm.All[0], folder, ended: true);
        Assert.Empty(RoundTrip.Problems(null, observed));
        Assert.Equal(["0000:65:00.0 (idstr 0000:00:02.0/vfio, multifd)", "0000:66:00.0 (idstr 0000:00:03.0/vfio, multifd)"],
            observed.Result.Sides.Single(s => s.Side == Engine.Ports.Side.Destination).Devices);
    }

    private void Check(string name, EventLog events, Violation? model)
    {
        output.WriteLine($"{name}: the model found {model?.Property} {model?.Name} ({(model?.SeenInQemuTrace == true ? "a clause on QEMU's events" : "from the model's own evidence")})");
        using var folder = new TempFolder();
        foreach (var form in LogForm.All)
        {
            var observed = RoundTrip.Observe(events, form, folder, ended: false);
            var problems = RoundTrip.Problems(model, observed);
            var found = observed.Result.Properties.Where(p => p.Violated).Select(p => $"{p.Id} at {p.Violations[0].Where}");
            output.WriteLine($"  {form}: {observed.Files.Count} files; observe: {string.Join(", ", found.DefaultIfEmpty("no violation"))}");
            Assert.True(problems.Count == 0, $"{name}, {form}: {string.Join("; ", problems)}");
            if (model?.Property == "P10")
            {
                HangShowsWithEnded(name, events, form, folder);
            }
        }
    }

    /// <summary>
    /// A hang (P10) read as the log of a QEMU that then exited (--ended): P8 reports exactly when a thread QEMU traces
    /// (load, recv, send, save) started and never ended.
    /// </summary>
    private void HangShowsWithEnded(string name, EventLog events, LogForm form, TempFolder folder)
    {
        var stuck = TracedThreadsNotEnded(events);
        var observed = RoundTrip.Observe(events, form, folder, ended: true);
        var p8 = observed.Result.Properties.Single(p => p.Id == "P8");
        output.WriteLine($"  {form} --ended: threads traced and not ended: {string.Join(", ", stuck.DefaultIfEmpty("none"))}; " +
                         $"P8 {(p8.Violated ? p8.Violations[0].Message : "holds")}");
        Assert.True(p8.Violated == (stuck.Count > 0), $"{name}, {form} --ended: stuck {string.Join(", ", stuck)}, P8 violated {p8.Violated}");
        // One violation per side that left a thread running (a hung destination can keep its source waiting too).
        var messages = string.Join(" | ", p8.Violations.Select(v => v.Message));
        Assert.All(stuck, t => Assert.Contains(t, messages));
    }

    private static List<string> TracedThreadsNotEnded(EventLog events)
    {
        var pairs = new Dictionary<string, (string Thread, bool Start)>
        {
            ["vfio_load_bufs_thread_start"] = ("load[{0}]", true),
            ["vfio_load_bufs_thread_end"] = ("load[{0}]", false),
            ["multifd_recv_thread_start"] = ("recv[ch{0}]", true),
            ["multifd_recv_thread_end"] = ("recv[ch{0}]", false),
            ["multifd_send_thread_start"] = ("send[ch{0}]", true),
            ["multifd_send_thread_end"] = ("send[ch{0}]", false),
            ["vfio_save_complete_precopy_thread_start"] = ("save[{0}]", true),
            ["vfio_save_complete_precopy_thread_end"] = ("save[{0}]", false),
        };
        var running = new List<string>();
        foreach (var e in events.Events)
        {
            if (pairs.TryGetValue(e.Event, out var pair)
                && Engine.Tracing.QemuTraceEvents.Find(e.Event)!.Format.Parse(e.Args) is { } values)
            {
                var thread = string.Format(System.Globalization.CultureInfo.InvariantCulture, pair.Thread, values[0]);
                if (pair.Start)
                {
                    running.Add(thread);
                }
                else
                {
                    running.Remove(thread);
                }
            }
        }

        return running;
    }

    private static TheoryData<string> Entries(bool bug)
    {
        var data = new TheoryData<string>();
        foreach (var e in Manifest.Load(Models).Scenarios.Where(e => e.ExpectsPass != bug))
        {
            data.Add(e.Label);
        }

        return data;
    }
}

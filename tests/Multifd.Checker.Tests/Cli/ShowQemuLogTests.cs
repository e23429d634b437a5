using System.Text.RegularExpressions;
using Multifd.Cli.Bundles;
using Multifd.Engine.Tracing;

namespace Multifd.Checker.Tests.Cli;

/// <summary>`show --format qemu-log`: one QEMU's trace log of the schedule, as QEMU's log backend prints it.</summary>
[Collection(BugBundleCollection.Name)]
public partial class ShowQemuLogTests(BugBundleFixture fixture)
{
    [Fact]
    public void TenOneLinesAreNameAndArgumentsInQemusFormat()
    {
        var run = CliRunner.Run("show", fixture.Bundle, "--format", "qemu-log");
        Assert.True(run.ExitCode == 0, run.ToString());
        var events = TraceBundle.Load(fixture.Bundle).Events.Events
            .Where(e => e.Side == "destination" && QemuTraceEvents.IsQemuEvent(e.Event)).ToList();
        var lines = run.Out.Split('\n')[..^1];
        Assert.Equal(events.Count, lines.Length);
        foreach (var (line, e) in lines.Zip(events))
        {
            var name = line[..line.IndexOf(' ')];
            Assert.Equal(e.Event, name);
            Assert.NotNull(QemuTraceEvents.Find(name)!.Format.Parse(line[(name.Length + 1)..]));
        }

        Assert.DoesNotContain(lines, l => l.StartsWith("model_", StringComparison.Ordinal) || l.StartsWith("sim_", StringComparison.Ordinal));
        Assert.Contains("vfio_load_state_device_buffer_starved  (dev0) idx 0", lines);
        Assert.Contains("loadvm_process_command com=SWITCHOVER_START len=0", lines);
        Assert.Contains("loadvm_state_setup ", QemuTraceEvents.Find("loadvm_state_setup")!.Line());
    }

    [Fact]
    public void TimestampsAreGlibsIso8601Utc()
    {
        var run = CliRunner.Run("show", fixture.Bundle, "--format", "qemu-log", "--timestamps");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.All(run.OutLines, l => Assert.Matches(IsoLine(), l));
    }

    [Fact]
    public void TenZeroLinesCarryAStableThreadId()
    {
        var first = CliRunner.Run("show", fixture.Bundle, "--format", "qemu-log", "--qemu-version", "10.0");
        var again = CliRunner.Run("show", fixture.Bundle, "--format", "qemu-log", "--qemu-version", "10.0");
        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Equal(first.Out, again.Out);
        Assert.All(first.OutLines, l => Assert.Matches(TidLine(), l));
        // The destination's main thread has the process id; each other thread its own id, the same on every line.
        Assert.Contains(first.OutLines, l => l.StartsWith("4200@", StringComparison.Ordinal) && l.Contains(":loadvm_process_command "));
        var loadTids = first.OutLines.Where(l => l.Contains(":vfio_load_state_device_buffer_starved  (dev0)")).Select(l => l[..l.IndexOf('@')]).Distinct();
        Assert.Single(loadTids);
    }

    [Fact]
    public void TenTwoDropsThePostcopyState()
    {
        var log = EventLog.From("P3", "NoLossOnSuccess", "x",
        [
            new Simulation.TimelineEntry(1, new Engine.Ports.Observation(Engine.Ports.Side.Destination, "main", new Engine.Ports.LoadStatePostMain(0))),
            new Simulation.TimelineEntry(2, new Engine.Ports.Observation(Engine.Ports.Side.Destination, "main", new Engine.Ports.IncomingMigrationCoEnd(-22))),
            new Simulation.TimelineEntry(3, new Engine.Ports.Observation(Engine.Ports.Side.Destination, "main", new Engine.Ports.ThreadEnded("main", false))),
        ]);
        Assert.Equal("qemu_loadvm_state_post_main 0\nprocess_incoming_migration_co_end ret=-22\n",
            Multifd.Cli.Rendering.QemuLogExport.Render(log, "destination", QemuVersion.V10_2, false));
        Assert.Equal("qemu_loadvm_state_post_main 0\nprocess_incoming_migration_co_end ret=-22 postcopy-state=0\n",
            Multifd.Cli.Rendering.QemuLogExport.Render(log, "destination", QemuVersion.V10_1, false));
        Assert.Equal("4200@1735689600.001000:qemu_loadvm_state_post_main 0\n4200@1735689600.002000:process_incoming_migration_co_end ret=-22 postcopy-state=0\n",
            Multifd.Cli.Rendering.QemuLogExport.Render(log, "destination", QemuVersion.V10_0, true));
    }

    [Fact]
    public void TheSourceSideIsTheSourceQemusLog()
    {
        var run = CliRunner.Run("show", fixture.Bundle, "--format", "qemu-log", "--side", "source");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains(run.OutLines, l => l.StartsWith("vfio_save_setup  (dev0) data buffer size ", StringComparison.Ordinal));
        Assert.DoesNotContain(run.OutLines, l => l.StartsWith("vfio_load_", StringComparison.Ordinal));
    }

    [Fact]
    public void TheExportedLogIsObservedWithoutViolation()
    {
        using var folder = new TempFolder();
        var dst = folder.File("dst.log");
        var src = folder.File("src.log");
        File.WriteAllText(dst, CliRunner.Run("show", fixture.Bundle, "--format", "qemu-log").Out);
        File.WriteAllText(src, CliRunner.Run("show", fixture.Bundle, "--format", "qemu-log", "--side", "source").Out);
        // A hang (P10): the log of a QEMU still running shows no violation; it is not checkable.
        var run = CliRunner.Run("observe", dst, src);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Matches(@"(?m)^P10 +NoHang +not checkable", run.Out);
    }

    [Theory]
    [InlineData("--qemu-version", "9.2", "'9.2' is not one of 10.0, 10.1, 10.2")]
    [InlineData("--timestamps", null, "go with --format qemu-log")]
    public void BadOptionsAreOneLine(string option, string? value, string message)
    {
        string[] args = value is null ? ["show", fixture.Bundle, option] : ["show", fixture.Bundle, "--format", "qemu-log", option, value];
        var run = CliRunner.Run(args);
        Assert.Equal(1, run.ExitCode);
        Assert.Single(run.ErrLines);
        Assert.Contains(message, run.Err);
    }

    [GeneratedRegex(@"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{6})?Z [a-z_0-9]+ ")]
    private static partial Regex IsoLine();

    [GeneratedRegex(@"^[0-9]+@[0-9]+\.[0-9]{6}:[a-z_0-9]+ ")]
    private static partial Regex TidLine();
}

using System.Text.Json.Nodes;
using System.Xml.Linq;

namespace Multifd.Checker.Tests.Cli;

/// <summary>
/// SIGINT and SIGTERM sent to a real `multifd` process: the run stops after its current schedule, writes its report and
/// JUnit whole with the verdict "interrupted", prints its summary and exits 130 (SIGTERM: 143); a violation found
/// before the signal still exits 2 with its bundle; a second signal exits at once without a half-written file.
/// </summary>
public class InterruptTests
{
    private const int Sigint = 2;
    private const int Sigterm = 15;

    private static readonly TimeSpan Start = TimeSpan.FromSeconds(120);
    private static readonly TimeSpan End = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData(Sigint, 130, "SIGINT")]
    [InlineData(Sigterm, 143, "SIGTERM")]
    public void ASignalDuringCheckWritesAnInterruptedReport(int signal, int exitCode, string name)
    {
        using var folder = new TempFolder();
        using var child = CliProcess.Start("check", "--time-budget", "600", "--report", folder.File("report.json"),
            "--junit", folder.File("junit.xml"), "--out", folder.File("out"));
        Assert.True(child.WaitForOutput("check default:", Start), child.ToString());
        Thread.Sleep(TimeSpan.FromSeconds(4)); // some schedules explored
        child.Signal(signal);
        Assert.Equal(exitCode, child.WaitForExit(End));

        var report = JsonNode.Parse(File.ReadAllText(folder.File("report.json")))!;
        Assert.Equal("interrupted", report["verdict"]!.GetValue<string>());
        Assert.Equal(name, report["interruptedBy"]!.GetValue<string>());
        Assert.Equal(exitCode, report["exitCode"]!.GetValue<int>());
        Assert.True(report["iterations"]!.GetValue<int>() > 0, child.ToString());
        Assert.NotEmpty(report["situations"]!.AsObject());
        Assert.Empty(report["violations"]!.AsArray());

        var junit = XDocument.Load(folder.File("junit.xml"));
        var error = junit.Descendants("error").Single();
        Assert.Equal("interrupted", error.Attribute("type")!.Value);
        Assert.Contains($"interrupted by {name} after", error.Attribute("message")!.Value);

        Assert.Contains($"INTERRUPTED by {name}", child.Out);
        Assert.Contains($"interrupted: default by {name} after", child.Out);
        Assert.Contains($"multifd: {name}: stopping after the current schedule", child.Err);
        Assert.Empty(Directory.GetFiles(folder.Path, ".*tmp*"));
    }

    [Fact]
    public void AViolationFoundBeforeTheSignalStillExits2WithItsBundle()
    {
        using var folder = new TempFolder();
        using var child = CliProcess.Start("check", "--scenario", "variant-short-write-as-complete", "--scenario", "default",
            "--time-budget", "600", "--report", folder.File("report.json"), "--out", folder.File("out"));
        Assert.True(child.WaitForOutput("check default:", Start), child.ToString());
        Thread.Sleep(TimeSpan.FromSeconds(2));
        child.Signal(Sigint);
        Assert.Equal(2, child.WaitForExit(End));

        var report = JsonNode.Parse(File.ReadAllText(folder.File("report.json")))!;
        Assert.Equal("bug", report["verdict"]!.GetValue<string>());
        Assert.Equal(2, report["exitCode"]!.GetValue<int>());
        Assert.Equal("P1", report["violations"]![0]!["property"]!.GetValue<string>());
        Assert.Equal("interrupted", report["scenarios"]![1]!["verdict"]!.GetValue<string>());
        var bundle = Path.Combine(folder.File("out"), "variant-short-write-as-complete-short-write-as-complete-1");
        Assert.True(File.Exists(Path.Combine(bundle, "events.json")), child.ToString());
        Assert.Contains("bundle: ", child.Out);
    }

    [Fact]
    public void CtrlCWithWorkerProcessesStopsThemAllAndWritesTheReport()
    {
        // A terminal's Ctrl-C signals the whole foreground group: check and its worker processes. The workers leave it
        // to check, which stops them after their schedule, merges and writes the report; none is left running.
        using var folder = new TempFolder();
        using var child = CliProcess.Start("check", "--time-budget", "600", "--parallel", "2", "--report", folder.File("report.json"),
            "--out", folder.File("out"));
        Assert.True(child.WaitForOutput("check default:", Start), child.ToString());
        Thread.Sleep(TimeSpan.FromSeconds(4));
        var workers = CliProcess.ChildrenOf(child.Id).Where(pid => CliProcess.CommandLine(pid).Contains("worker")).ToList();
        Assert.Equal(2, workers.Count);
        foreach (var worker in workers)
        {
            Assert.Equal(0, CliProcess.Kill(worker, Sigint));
        }

        child.Signal(Sigint);
        Assert.Equal(130, child.WaitForExit(End));
        var report = JsonNode.Parse(File.ReadAllText(folder.File("report.json")))!;
        Assert.Equal("interrupted", report["verdict"]!.GetValue<string>());
        Assert.True(report["iterations"]!.GetValue<int>() > 0, child.ToString());
        Assert.Equal("processes", report["scenarios"]![0]!["spread"]!["workers"]!.GetValue<string>());
        Assert.All(workers, pid => Assert.False(Directory.Exists($"/proc/{pid}"), $"worker {pid} still runs"));
    }

    [Fact]
    public void ASecondSignalExitsAtOnceWithoutAHalfWrittenFile()
    {
        using var folder = new TempFolder();
        using var child = CliProcess.Start("check", "--time-budget", "600", "--parallel", "2", "--report", folder.File("report.json"),
            "--out", folder.File("out"));
        Assert.True(child.WaitForOutput("check default:", Start), child.ToString());
        Thread.Sleep(TimeSpan.FromSeconds(3));
        child.Signal(Sigint);
        try
        {
            child.Signal(Sigint);
        }
        catch (Xunit.Sdk.XunitException)
        {
            // The first signal's orderly exit may already have ended the process.
        }

        Assert.Equal(130, child.WaitForExit(End));
        // Either the first signal's report was written whole, or the second signal came first and nothing was written.
        if (File.Exists(folder.File("report.json")))
        {
            Assert.Equal("interrupted", JsonNode.Parse(File.ReadAllText(folder.File("report.json")))!["verdict"]!.GetValue<string>());
        }
        else
        {
            Assert.Contains("interrupted again: exiting now", child.Err);
        }

        Assert.Empty(Directory.GetFiles(folder.Path, ".*tmp*"));
    }

    [Fact]
    public void ASignalDuringBenchWritesTheMeasurementsDone()
    {
        using var folder = new TempFolder();
        using var child = CliProcess.Start("bench", "--quick", "--section", "sizes", "--section", "variants",
            "--json", folder.File("bench.json"), "--markdown", folder.File("bench.md"));
        Assert.True(child.WaitForOutput("variants:", Start), child.ToString());
        child.Signal(Sigint);
        Assert.Equal(130, child.WaitForExit(End));
        var json = JsonNode.Parse(File.ReadAllText(folder.File("bench.json")))!;
        Assert.True(json["interrupted"]!.GetValue<bool>());
        Assert.Equal(3, json["sizes"]!.AsArray().Count);
        Assert.Contains("**Interrupted**", File.ReadAllText(folder.File("bench.md")));
    }
}

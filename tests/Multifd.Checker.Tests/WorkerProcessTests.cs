using Multifd.Checker.Exploration;
using Multifd.Checker.Scenarios;
using Multifd.Cli;
using Xunit.Abstractions;

namespace Multifd.Checker.Tests;

/// <summary>
/// `check --parallel N` (N >= 2) runs its workers in processes of their own (`multifd worker`): they explore exactly
/// what worker threads explore, the failure reported is the one a lone worker finds (with its timeline, replayed here), and
/// a worker process that dies or talks nonsense ends the run with a clear internal error, never a hang.
/// </summary>
public class WorkerProcessTests(ITestOutputHelper output)
{
    private static CheckOptions Default(int iterations, int perSeed) =>
        CheckOptions.For(ModelsFolder.LoadScenario("default")) with { Iterations = iterations, SchedulesPerSeed = perSeed };

    private static readonly WorkerLaunch Multifd = WorkerEntry.Launch();

    [Theory]
    [InlineData("default")]
    [InlineData("fault-anywhere-device-write")]
    public void WorkerProcessesExploreWhatAWorkerThreadExplores(string scenario)
    {
        var options = CheckOptions.For(ModelsFolder.LoadScenario(scenario)) with { Iterations = 40, SchedulesPerSeed = 10 };
        var one = Explorer.Run(options);
        var two = Explorer.Run(options with { Parallel = 2, WorkerProcess = Multifd, WorkerProcessMinSeconds = 0 });
        output.WriteLine($"launch: {Multifd.FileName} {string.Join(' ', Multifd.Arguments)}; one: {one.ElapsedSeconds:F2}s, "
            + $"two: {two.ElapsedSeconds:F2}s; faults {string.Join(", ", two.FaultsByKind)}");
        Assert.Null(two.InternalError);
        ExplorationAssert.SameSchedules(one, two);
        Assert.Equal(one.SeedBlocks, two.SeedBlocks);
        // and everything else a block result carries across the pipe
        Assert.Equal(one.PeakAllocated.OrderBy(kv => kv.Key), two.PeakAllocated.OrderBy(kv => kv.Key));
        Assert.Equal(one.Sites.OrderBy(kv => kv.Key), two.Sites.OrderBy(kv => kv.Key));
        Assert.Equal(one.FaultsByKind.OrderBy(kv => kv.Key), two.FaultsByKind.OrderBy(kv => kv.Key));
        Assert.Equal(one.FaultsByFunction.OrderBy(kv => kv.Key), two.FaultsByFunction.OrderBy(kv => kv.Key));
        Assert.Equal(one.Uncontrolled, two.Uncontrolled);
        Assert.NotEmpty(two.Sites);
        Assert.NotEmpty(two.PeakAllocated);
        Assert.Equal(scenario != "default", two.FaultsByKind.Count > 0);
    }

    [Fact]
    public void WorkerProcessesReportTheViolationAndTimelineOneWorkerFinds()
    {
        // One schedule per seed block: the first violation is in some block j, found by whichever worker ran it.
        var options = CheckOptions.For(ModelsFolder.LoadScenario("default"), "load-thread-at-setup") with
        {
            Iterations = 400,
            SchedulesPerSeed = 1,
        };
        var one = Explorer.Run(options);
        foreach (var workers in new[] { 2, 3 })
        {
            var many = Explorer.Run(options with { Parallel = workers, WorkerProcess = Multifd, WorkerProcessMinSeconds = 0 });
            output.WriteLine($"{workers} workers: {many.Violation?.Property} at {many.FirstBugIteration}, {many.SchedulesExplored} schedules, "
                + $"{many.Timeline?.Count} timeline entries");
            Assert.Null(many.InternalError);
            Assert.Equal("P2", one.Violation?.Property);
            Assert.Equal(one.Violation, many.Violation);
            Assert.Equal(one.FirstBugIteration, many.FirstBugIteration);
            Assert.Equal(one.FirstBugSeed, many.FirstBugSeed);
            Assert.Equal(one.Trace, many.Trace);
            Assert.Equal(one.Timeline!.Select(e => e.ToString()), many.Timeline!.Select(e => e.ToString()));
            Assert.InRange(many.SchedulesExplored, one.SchedulesExplored, options.Iterations);
        }
    }

    [Fact]
    public void AnInterruptStopsWorkerProcessesAfterTheirSchedule()
    {
        using var interrupt = new CancellationTokenSource();
        var progress = new Progress(p =>
        {
            if (p.Schedules >= 15)
            {
                interrupt.Cancel();
            }
        });
        var result = Explorer.Run(Default(400, 100) with { Parallel = 2, WorkerProcess = Multifd, WorkerProcessMinSeconds = 0 }, progress, interrupt.Token);
        output.WriteLine($"{result.SchedulesExplored} schedules, interrupted: {result.Interrupted}");
        Assert.True(result.Interrupted);
        Assert.Null(result.InternalError);
        // each worker stops after the schedule it was exploring when told (it does not wait for the parent between
        // schedules, so each may have begun one more)
        Assert.InRange(result.SchedulesExplored, 15, 19);
    }

    [Theory]
    [InlineData("exit 7", "ended (exit code 7)")]
    [InlineData("echo 'worker is sad' >&2; exit 9", "stderr: worker is sad")]
    [InlineData("echo hello; cat > /dev/null", "wrote an unexpected line: \"hello\"")]
    [InlineData("read setup; read block; echo 'result {\"schedules\": 1}'", "sent a malformed result")]
    [InlineData("read setup; read block; echo 'error no scenario'", "failed: no scenario")]
    public void ABrokenWorkerProcessIsAnInternalErrorNotAHang(string script, string expected)
    {
        var result = Explorer.Run(Default(40, 10) with { Parallel = 2, WorkerProcess = new WorkerLaunch("/bin/sh", ["-c", script]), WorkerProcessMinSeconds = 0 });
        output.WriteLine(result.InternalError);
        Assert.NotNull(result.InternalError);
        Assert.Matches(@"^worker process [12] of 2 ", result.InternalError);
        Assert.Contains(expected, result.InternalError);
        Assert.Null(result.Violation);
    }

    [Fact]
    public void AWorkerProgramThatCannotStartIsAnInternalError()
    {
        var result = Explorer.Run(Default(40, 10) with { Parallel = 2, WorkerProcess = new WorkerLaunch("/nonexistent/multifd", []), WorkerProcessMinSeconds = 0 });
        output.WriteLine(result.InternalError);
        Assert.Matches(@"^worker process [12] of 2 could not start \(/nonexistent/multifd\): ", result.InternalError);
    }

    [Theory]
    [InlineData("", 0, "")]
    [InlineData("hello\n", 3, "error expected a setup line, got \"hello\"")]
    [InlineData("setup {\"scenarioJson\": \"{}\"}\n", 3, "error ")]
    [InlineData("setup nonsense\n", 3, "error a malformed setup line")]
    public void TheWorkerHostRefusesWhatIsNotItsProtocol(string input, int exitCode, string expected)
    {
        var written = new StringWriter();
        Assert.Equal(exitCode, WorkerHost.Serve(new StringReader(input), written));
        Assert.StartsWith(expected, written.ToString());
        Assert.DoesNotContain('\n', written.ToString().TrimEnd('\n'));
    }

    [Fact]
    public void TheWorkerHostExploresABlockAndStopsWhenTold()
    {
        var options = Default(10, 10);
        var setup = WorkerWire.Line(WorkerWire.Setup, WorkerWire.SetupFor(options, cpu: null));
        var block = WorkerWire.Line(WorkerWire.Block, new SeedBlock(0, 1, 10, 0));
        var next = WorkerWire.Line(WorkerWire.Block, new SeedBlock(1, 7, 10, 10));

        // block 0 runs to its end (a stop of another block does not end it)
        var lines = Serve([setup, "stop 5", block], results: 1);
        Assert.Equal(Enumerable.Repeat("schedule 0", 10), lines[..10]);
        var result = WorkerWire.ParseResult(WorkerWire.Split(lines[10]).Body);
        Assert.Equal(10, result.Schedules);
        Assert.Equal(new SeedBlock(0, 1, 10, 0), result.Block);
        Assert.Equal(10, result.Outcomes.Values.Sum());

        // block 1 is told to stop before it begins: it ends after its first schedule
        lines = Serve([setup, "stop 1", next], results: 1);
        Assert.Equal(["schedule 0"], lines[..1]);
        Assert.Equal(1, WorkerWire.ParseResult(WorkerWire.Split(lines[1]).Body).Schedules);
    }

    [Fact]
    public void AWorkerWhoseParentIsGoneStopsAfterItsScheduleAndExits()
    {
        var setup = WorkerWire.Line(WorkerWire.Setup, WorkerWire.SetupFor(Default(10, 10), cpu: null));
        var block = WorkerWire.Line(WorkerWire.Block, new SeedBlock(0, 1, 10, 0));
        var written = new StringWriter();
        // the input ends right after the block line, as when the parent dies: no result is sent
        Assert.Equal(0, WorkerHost.Serve(new StringReader($"{setup}\n{block}\n"), written));
        var lines = written.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.All(lines, l => Assert.Equal("schedule 0", l));
        Assert.InRange(lines.Length, 1, 9);
    }

    /// <summary>Serves <paramref name="script"/> and ends the input once <paramref name="results"/> results were sent.</summary>
    private static string[] Serve(string[] script, int results)
    {
        var written = new Lines();
        Assert.Equal(0, WorkerHost.Serve(new ScriptedInput(script, () => written.Count(WorkerWire.Result) >= results), written));
        return written.All();
    }

    /// <summary>Lines of a script, then (as a parent that waits for its worker) nothing until a condition holds, then the end.</summary>
    private sealed class ScriptedInput(string[] script, Func<bool> endWhen) : TextReader
    {
        private int next;

        public override string? ReadLine()
        {
            if (next < script.Length)
            {
                return script[next++];
            }

            while (!endWhen())
            {
                Thread.Sleep(5);
            }

            return null;
        }
    }

    /// <summary>What the worker wrote, readable from another thread.</summary>
    private sealed class Lines : TextWriter
    {
        private readonly System.Text.StringBuilder text = new();

        public override System.Text.Encoding Encoding => System.Text.Encoding.UTF8;

        public override void Write(char value)
        {
            lock (text)
            {
                text.Append(value);
            }
        }

        public override void Write(string? value)
        {
            lock (text)
            {
                text.Append(value);
            }
        }

        public string[] All()
        {
            lock (text)
            {
                return text.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
            }
        }

        public int Count(string keyword) => All().Count(l => WorkerWire.Split(l).Keyword == keyword);
    }

    [Theory]
    [InlineData(2, 2000, null, 10.0, true)] // 1,000 schedules a worker: about 10 s
    [InlineData(2, 1999, null, 10.0, false)]
    [InlineData(2, 1_000_000_000, 10, 10.0, true)] // a time budget bounds the work
    [InlineData(2, 1_000_000_000, 9, 10.0, false)]
    [InlineData(1, 1_000_000_000, null, 10.0, false)] // a lone worker stays in the process
    [InlineData(2, 40, null, 0.0, true)]
    public void WorkerProcessesOnlyForRunsLongEnoughToPayForTheirStart(int parallel, int iterations, int? budget, double minSeconds, bool processes)
    {
        var options = Default(iterations, 100) with
        {
            Parallel = parallel,
            TimeBudgetSeconds = budget,
            WorkerProcess = Multifd,
            WorkerProcessMinSeconds = minSeconds,
        };
        Assert.Equal(processes, Explorer.UsesWorkerProcesses(options));
        Assert.False(Explorer.UsesWorkerProcesses(options with { WorkerProcess = null }));
    }

    [Fact]
    public void AShortRunWithAWorkerLaunchExploresInThreads()
    {
        // the launch would fail: a short run never starts it
        var result = Explorer.Run(Default(40, 10) with { Parallel = 2, WorkerProcess = new WorkerLaunch("/nonexistent/multifd", []) });
        Assert.Null(result.InternalError);
        Assert.Equal(40, result.SchedulesExplored);
    }

    private sealed class Progress(Action<ExplorationProgress> report) : IProgress<ExplorationProgress>
    {
        public void Report(ExplorationProgress value) => report(value);
    }
}

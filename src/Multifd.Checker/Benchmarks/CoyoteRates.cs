using System.Diagnostics;
using System.Text.Json;
using Microsoft.Coyote.Logging;
using Microsoft.Coyote.SystematicTesting;
using Multifd.Checker.Exploration;
using Multifd.Checker.Harness;
using Multifd.Checker.Scenarios;
using Multifd.Simulation;
using Spec = Microsoft.Coyote.Specifications;

namespace Multifd.Checker.Benchmarks;

/// <summary>
/// Coyote's bare cost: three threads doing rounds of what the engine does at its synchronization points (a lock, a
/// counting semaphore, an atomic increment) and nothing else, under the same configuration and strategy as a check.
/// </summary>
public static class BareWorkload
{
    /// <summary>The trivial test's threads ("a few controlled tasks").</summary>
    public const int FewThreads = 3;

    /// <summary>
    /// Rounds of the fixed reference workload (3 threads): the bare workload as it was tuned to the default scenario's
    /// 354 decisions per schedule when issue 16 set its schedules/s target. Unlike (a), it is not re-tuned to the
    /// scenario, so fewer decisions per schedule show in the ratio of schedules/s.
    /// </summary>
    public const int FixedRounds = 38;

    public static void Run(int threadCount, int rounds)
    {
        var gate = new object();
        var slots = new SemaphoreSlim(2);
        var counter = 0;
        var atomic = 0;
        var threads = new Task[threadCount];
        for (var t = 0; t < threadCount; t++)
        {
            threads[t] = Task.Factory.StartNew(() =>
            {
                CorePinning.PinCurrentThread(); // as a QEMU thread of the model does when it starts
                for (var r = 0; r < rounds; r++)
                {
                    lock (gate)
                    {
                        counter++;
                    }

                    slots.Wait();
                    Interlocked.Increment(ref atomic);
                    slots.Release();
                }
            }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }

        Task.WaitAll(threads);
    }
}

/// <summary>Times explorations of the bare workload and of scenarios, and breaks decisions down by type.</summary>
public static class CoyoteRates
{
    /// <summary>The bare workload: <paramref name="schedules"/> schedules of <paramref name="threads"/> threads x <paramref name="rounds"/> rounds.</summary>
    /// <remarks>Its threads are pinned to one CPU as a check's are, unless <paramref name="like"/> turns pinning off.</remarks>
    public static RateSample Bare(CheckOptions like, int threads, int rounds, int schedules)
    {
        var configuration = Explorer.Configure(like with { Iterations = schedules });
        using var pinned = CorePinning.Enter(CorePinning.CpuFor(0, 1, like.PinWorkers)); // as the model's explorations
        var stopwatch = Stopwatch.StartNew();
        var threadsOfSchedules = new ScheduleThreads.Tracker();
        using var engine = TestingEngine.Create(configuration, threadsOfSchedules.Wrap(() =>
        {
            CorePinning.PinCurrentThread();
            BareWorkload.Run(threads, rounds);
        }));
        engine.SetLogger(new MemoryLogger(VerbosityLevel.Error));
        threadsOfSchedules.Attach(engine);
        engine.Run();
        stopwatch.Stop();
        var report = engine.TestReport;
        if (report.NumOfFoundBugs > 0)
        {
            throw new InvalidOperationException($"the bare workload failed: {report.BugReports.First()}");
        }

        return new RateSample($"bare Coyote ({threads} threads x {rounds} rounds{(like.PinWorkers ? ", pinned" : ", free")})", schedules, stopwatch.Elapsed.TotalSeconds,
            Explorer.DecisionsOf(report).Avg);
    }

    /// <summary>A scenario's exploration of <paramref name="schedules"/> schedules (it must pass).</summary>
    public static RateSample Scenario(CheckOptions options, int schedules, string label, int parallel = 1)
    {
        var result = Explorer.Run(options with { Iterations = schedules, Parallel = parallel });
        if (result.Violation is { } v || result.InternalError is not null)
        {
            throw new InvalidOperationException($"{label}: expected a pass: {result.Violation?.Message ?? result.InternalError}");
        }

        return new RateSample(label, result.SchedulesExplored, result.ElapsedSeconds, result.Decisions.Avg);
    }

    /// <summary>Rounds of the bare workload with <paramref name="threads"/> threads that give about <paramref name="decisions"/> decisions per schedule.</summary>
    public static int CalibrateRounds(CheckOptions like, int threads, double decisions)
    {
        const int probe = 10;
        var low = Bare(like, threads, probe, 20).DecisionsPerSchedule;
        var high = Bare(like, threads, probe * 2, 20).DecisionsPerSchedule;
        var perRound = Math.Max(1, (high - low) / probe);
        return Math.Max(1, (int)Math.Round(probe + (decisions - low) / perRound));
    }

    /// <summary>
    /// (a) and (b), alternated so that both see the same machine load; medians by decisions/s. Also the bare workload
    /// with as many threads as a schedule of the scenario starts, which tells how much of the gap is Coyote's cost
    /// per thread rather than the model's work.
    /// </summary>
    public static CoyoteCost Compare(CheckOptions model, int schedules, int repeats)
    {
        var warm = Scenario(model, Math.Min(50, schedules), "default scenario"); // JIT and caches, not counted
        var rounds = CalibrateRounds(model, BareWorkload.FewThreads, warm.DecisionsPerSchedule);
        var threads = ThreadsPerSchedule(model);
        var manyRounds = CalibrateRounds(model, threads, warm.DecisionsPerSchedule);
        var bare = new List<RateSample>();
        var bareMany = new List<RateSample>();
        var bareFixed = new List<RateSample>();
        var bareFree = new List<RateSample>();
        var bareManyFree = new List<RateSample>();
        var bareFixedFree = new List<RateSample>();
        var scenario = new List<RateSample>();
        var free = model with { PinWorkers = false };
        for (var i = 0; i < repeats; i++)
        {
            bare.Add(Bare(model, BareWorkload.FewThreads, rounds, schedules));
            bareFree.Add(Bare(free, BareWorkload.FewThreads, rounds, schedules));
            scenario.Add(Scenario(model, schedules, "default scenario"));
            bareMany.Add(Bare(model, threads, manyRounds, schedules));
            bareManyFree.Add(Bare(free, threads, manyRounds, schedules));
            bareFixed.Add(Bare(model, BareWorkload.FewThreads, BareWorkload.FixedRounds, schedules));
            bareFixedFree.Add(Bare(free, BareWorkload.FewThreads, BareWorkload.FixedRounds, schedules));
        }

        return new CoyoteCost(rounds, MedianByRate(bare), MedianByRate(scenario), bare, scenario, MedianByRate(bareMany),
            MedianByRate(bareFixed), MedianByRate(bareFree), MedianByRate(bareManyFree), MedianByRate(bareFixedFree))
        {
            BareFreeSamples = bareFree,
            AsManyThreadsSamples = bareMany,
            AsManyThreadsFreeSamples = bareManyFree,
            FixedSamples = bareFixed,
            FixedFreeSamples = bareFixedFree,
        };
    }

    /// <summary>
    /// The threads one schedule of the scenario creates (its QEMU threads from the timeline, less the destination's main
    /// thread, which runs on the test's own thread): the bare workload with this many threads has as many operations.
    /// </summary>
    public static int ThreadsPerSchedule(CheckOptions options)
    {
        var configuration = Explorer.Configure(options with { Iterations = 1 });
        var started = 0;
        var threadsOfSchedules = new ScheduleThreads.Tracker();
        using var engine = TestingEngine.Create(configuration, threadsOfSchedules.Wrap(() =>
        {
            var run = new MigrationRun(options.Scenario, options.Variant, new CoyoteChoices(), v => Spec.Specification.Assert(false, v.Message));
            run.Execute();
            started = run.Bridge.Timeline.Count(t => t.Observation.Event is Engine.Ports.ThreadStarted);
        }));
        engine.SetLogger(new MemoryLogger(VerbosityLevel.Error));
        threadsOfSchedules.Attach(engine);
        engine.Run();
        return Math.Max(1, started - 1);
    }

    private static RateSample MedianByRate(List<RateSample> samples) =>
        samples.OrderBy(s => s.DecisionsPerSecond).ElementAt(samples.Count / 2);

    /// <summary>
    /// Decisions per schedule by scheduling-point type: each schedule is run by its own engine and failed on purpose at
    /// its very end, so that Coyote hands back its full trace (steps "op(..),sp(Acquire),.." and "bool(..)"/"int(..)").
    /// </summary>
    public static DecisionBreakdown Breakdown(CheckOptions options, int schedules)
    {
        const string end = "end of the schedule (benchmark)";
        var perType = new SortedDictionary<string, double>(StringComparer.Ordinal);
        var total = 0L;
        for (uint seed = 1; seed <= schedules; seed++)
        {
            var configuration = Explorer.Configure(options with { Seed = seed, Iterations = 1 });
            var threadsOfSchedules = new ScheduleThreads.Tracker();
            using var engine = TestingEngine.Create(configuration, threadsOfSchedules.Wrap(() =>
            {
                new MigrationRun(options.Scenario, options.Variant, new CoyoteChoices(),
                    v => Spec.Specification.Assert(false, v.Message)).Execute();
                Spec.Specification.Assert(false, end);
            }));
            engine.SetLogger(new MemoryLogger(VerbosityLevel.Error));
            threadsOfSchedules.Attach(engine);
            engine.Run();
            var bug = engine.TestReport.BugReports.FirstOrDefault();
            if (bug is null || !bug.Contains(end, StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"breakdown: schedule {seed} ended with {bug ?? "no report"}");
            }

            foreach (var step in JsonDocument.Parse(engine.ReproducibleTrace).RootElement.GetProperty("Steps").EnumerateArray())
            {
                var type = StepType(step.GetString() ?? "");
                perType[type] = perType.GetValueOrDefault(type) + 1;
                total++;
            }
        }

        return new DecisionBreakdown(schedules, (double)total / schedules,
            perType.ToDictionary(kv => kv.Key, kv => kv.Value / schedules));
    }

    /// <summary>"op(3:..),sp(Acquire),next(..)" is Acquire; "op(0:..),bool(True)" is bool.</summary>
    private static string StepType(string step)
    {
        var sp = step.IndexOf(",sp(", StringComparison.Ordinal);
        if (sp >= 0)
        {
            var close = step.IndexOf(')', sp);
            return step[(sp + 4)..close];
        }

        return step.Contains(",bool(", StringComparison.Ordinal) ? "bool" : step.Contains(",int(", StringComparison.Ordinal) ? "int" : "other";
    }

    /// <summary>A scenario of <paramref name="devices"/> devices with <paramref name="buffers"/> STOP_COPY buffers each, on <paramref name="channels"/> channels.</summary>
    public static Scenario Sized(int devices, int buffers, int channels) => new()
    {
        Name = $"size-{devices}x{buffers}x{channels}",
        Description = "benchmark size",
        Devices = Enumerable.Range(0, devices)
            .Select(i => new DeviceSpec { Name = $"dev{i}", InstanceId = (uint)i, StateBytes = buffers * 64, PrecopyBytes = 0, DataBufferSizeBytes = 64 })
            .ToList(),
        // The return path, as in the default scenario: without it QEMU's send threads can drop a trailing packet (F3).
        Source = new SideSpec { MultifdChannels = channels, ReturnPath = true },
        Destination = new SideSpec { MultifdChannels = channels, ReturnPath = true },
    };
}

using System.Diagnostics;

namespace Multifd.Checker.Exploration;

/// <summary>
/// Explores this shard's seed blocks with <see cref="CheckOptions.Parallel"/> workers, each running one block at a time
/// with its own Coyote testing engine (Coyote keeps its runtime state per engine). Blocks are handed out in index order.
/// The workers are threads of this process, or, with <see cref="CheckOptions.WorkerProcess"/>, more than one worker
/// and a long enough run (<see cref="Explorer.UsesWorkerProcesses"/>), each thread drives a worker process of its
/// own (<see cref="WorkerProcess"/>), which reports every schedule and is told when to stop: this process then only
/// hands out blocks and merges.
/// Once a block fails, no block with a higher index is started and running ones stop after their current schedule,
/// while lower blocks run to their end: the failure reported is the lowest block's, the one a run of one worker finds.
/// When <c>interrupt</c> is cancelled (SIGINT, SIGTERM), every worker stops after its current schedule and no block
/// is started: the result is marked <see cref="CheckResult.Interrupted"/> and holds what was explored until then.
/// </summary>
/// <remarks>
/// Runs outside any controlled test: its lock is a plain monitor (Coyote's interception passes it through when no test
/// iteration runs on the calling thread, as in the engine's iteration callbacks).
/// </remarks>
internal sealed class ParallelExploration(CheckOptions options, IProgress<ExplorationProgress>? progress, CancellationToken interrupt)
{
    private readonly SeedPlan plan = new(options);
    private readonly object gate = new();
    private readonly List<BlockResult> results = [];
    private readonly Stopwatch stopwatch = new();
    private long nextBlock; // protected by gate
    private long lowestFailed = long.MaxValue; // protected by gate
    private int schedules; // protected by gate
    private int bugs; // protected by gate
    private bool interrupted; // protected by gate: the interrupt stopped a block or kept one from starting

    public CheckResult Run()
    {
        stopwatch.Start();
        var workers = Math.Max(1, options.Parallel);
        if (workers == 1)
        {
            Work(0);
        }
        else
        {
            var tasks = Enumerable.Range(0, workers)
                .Select(i => Task.Factory.StartNew(() => Work(i), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default))
                .ToArray();
            Task.WaitAll(tasks);
        }

        stopwatch.Stop();
        lock (gate)
        {
            return BlockMerge.Merge(options, results, stopwatch.Elapsed.TotalSeconds) with { Interrupted = interrupted };
        }
    }

    private void Work(int worker)
    {
        var cpu = CorePinning.CpuFor(worker, Math.Max(1, options.Parallel), options.PinWorkers);
        if (UsesWorkerProcesses(options, plan) && options.WorkerProcess is { } launch)
        {
            // This thread only relays. The process pins itself to the worker's CPU: it is started from this unpinned
            // thread, so it inherits every CPU of this process and is free until it does.
            using var process = new WorkerProcess(launch, options, worker, cpu);
            Explore(block => process.Run(block, () => ShouldStop(block), OnSchedule));
        }
        else
        {
            using var pinned = CorePinning.Enter(cpu);
            Explore(block => Explorer.RunBlock(options, block, () => ShouldStop(block), OnSchedule));
        }
    }

    private void Explore(Func<SeedBlock, BlockResult> run)
    {
        while (Take() is { } block)
        {
            var result = run(block);
            lock (gate)
            {
                results.Add(result);
                if (result.Failed)
                {
                    lowestFailed = Math.Min(lowestFailed, block.Index);
                }
            }
        }
    }

    /// <summary>
    /// Whether the workers of <paramref name="options"/> run in processes of their own: a launch is given, there are
    /// two workers or more, and each has at least <see cref="CheckOptions.WorkerProcessMinSeconds"/> of work.
    /// </summary>
    internal static bool UsesWorkerProcesses(CheckOptions options, SeedPlan plan)
    {
        if (options.WorkerProcess is null || (options.Parallel < 2 && !options.LoneWorkerProcess))
        {
            return false;
        }

        var seconds = (double)plan.ShardSchedules / options.Parallel / CheckOptions.EstimatedSchedulesPerSecond;
        if (options.TimeBudgetSeconds is { } budget)
        {
            seconds = Math.Min(seconds, budget);
        }

        return seconds >= options.WorkerProcessMinSeconds;
    }

    /// <summary>The next block to explore, or null when the shard is done, out of time, or past a failure.</summary>
    private SeedBlock? Take()
    {
        lock (gate)
        {
            if (OutOfTime || plan.ShardBlock(nextBlock) is not { } block || block.Index > lowestFailed)
            {
                return null;
            }

            if (interrupt.IsCancellationRequested)
            {
                interrupted = true;
                return null;
            }

            nextBlock++;
            return block;
        }
    }

    private bool ShouldStop(SeedBlock block)
    {
        lock (gate)
        {
            if (interrupt.IsCancellationRequested)
            {
                interrupted = true;
                return true;
            }

            return block.Index > lowestFailed || OutOfTime;
        }
    }

    private void OnSchedule(bool foundBug)
    {
        ExplorationProgress report;
        lock (gate)
        {
            schedules++;
            bugs += foundBug ? 1 : 0;
            report = new ExplorationProgress(schedules, (int)Math.Min(int.MaxValue, plan.ShardSchedules),
                stopwatch.Elapsed.TotalSeconds, bugs);
            // Reported under the gate: the progress display sees one report at a time, in order.
            progress?.Report(report);
        }
    }

    /// <summary>Called with gate held or from one thread.</summary>
    private bool OutOfTime => options.TimeBudgetSeconds is { } budget && stopwatch.Elapsed.TotalSeconds >= budget;
}

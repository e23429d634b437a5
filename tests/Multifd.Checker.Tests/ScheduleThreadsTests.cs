using System.Collections;
using System.Reflection;
using Microsoft.Coyote.SystematicTesting;
using Multifd.Checker.Exploration;
using Multifd.Checker.Scenarios;
using Multifd.Engine.Core;
using Multifd.Simulation;

namespace Multifd.Checker.Tests;

/// <summary>
/// <see cref="ScheduleThreads"/>: at the end of a schedule every thread Coyote ran it on has ended before the engine
/// disposes the runtime (docs/ci.md, "The cause of the runaway": a thread still running then can spin for ever).
/// </summary>
[Collection(AloneCollection.Name)] // swaps the process-wide thread launcher
public class ScheduleThreadsTests
{
    [Fact]
    public void CoyotesThreadMapIsFound()
    {
        Assert.True(ScheduleThreads.Supported, "Coyote's CoyoteRuntime.Current / ThreadPool not found: not Coyote 1.7.11?");
    }

    /// <summary>
    /// A schedule that fails while three threads are parked: Coyote interrupts them and ends the schedule at once, while
    /// they still take 300 ms to end; by the end of <see cref="ScheduleThreads.JoinAll"/> every thread of the schedule
    /// has ended (without it, the three are still running there). With the QEMU threads on pooled OS threads (the
    /// harness's launcher) the OS threads live on, and what must have ended is each QEMU thread's run on them.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void AfterJoinAllEveryThreadOfTheScheduleHasEnded(bool pooled)
    {
        var finished = 0;
        var configuration = Explorer.Configure(CheckOptions.For(ModelsFolder.LoadScenario("default")) with { Iterations = 3 });
        object? runtime = null;
        var seen = new List<(int Threads, int Alive, int Left, int OnPool, int Ended)>();
        using var engine = TestingEngine.Create(configuration, () =>
        {
            runtime = ScheduleThreads.CurrentRuntime();
            QemuThread.Adopt("main");
            for (var i = 0; i < 3; i++)
            {
                var never = new QemuSemaphore($"never{i}");
                QemuThread.Create($"parked{i}", _ =>
                {
                    try
                    {
                        never.Wait();
                    }
                    finally
                    {
                        // Slow to end once interrupted (as a thread starved on a loaded machine is): still running
                        // when Coyote's engine reaches the end of the schedule, unless JoinAll waits for it.
                        var slow = System.Diagnostics.Stopwatch.StartNew();
                        while (slow.ElapsedMilliseconds < 300)
                        {
                            Thread.SpinWait(100);
                        }

                        Interlocked.Increment(ref finished);
                    }
                });
            }

            var ready = new QemuSemaphore("ready");
            QemuThread.Create("last", _ => ready.Post()).Join();
            Microsoft.Coyote.Specifications.Specification.Assert(false, "ends the schedule with threads parked");
        });
        engine.RegisterEndIterationCallBack(_ =>
        {
            var left = ScheduleThreads.JoinAll(runtime);
            var threads = Threads(runtime).ToList();
            seen.Add((threads.Count, threads.Count(t => t.IsAlive && !CoyoteThreadLauncher.IsPooled(t)), left,
                threads.Count(CoyoteThreadLauncher.IsPooled), Volatile.Read(ref finished)));
        });
        using (Launcher(pooled))
        {
            engine.Run();
        }

        Assert.Equal(1, engine.TestReport.NumOfFoundBugs);
        var (count, alive, stragglers, onPool, ended) = Assert.Single(seen); // the failure stops the exploration
        Assert.Equal(5, count); // the test body's thread, three parked, one that ended
        Assert.Equal(0, alive);
        Assert.Equal(0, stragglers);
        Assert.Equal(pooled ? 4 : 0, onPool);
        Assert.Equal(3, ended); // every parked thread's slow end ran to its last line before the runtime went
    }

    /// <summary>The harness's hooks, with or without the pooled-thread launcher, until disposed (then the harness's).</summary>
    private static Scope Launcher(bool pooled)
    {
        CoyoteHints.Install();
        if (!pooled)
        {
            SchedulerHints.InstallThreadLauncher(_ => null);
        }

        return new Scope();
    }

    private readonly struct Scope : IDisposable
    {
        public void Dispose() => CoyoteHints.Install();
    }

    private static IEnumerable<Thread> Threads(object? runtime)
    {
        var map = runtime?.GetType().GetField("ThreadPool", BindingFlags.NonPublic | BindingFlags.Instance)?.GetValue(runtime) as IDictionary;
        return map?.Values.OfType<Thread>() ?? [];
    }
}

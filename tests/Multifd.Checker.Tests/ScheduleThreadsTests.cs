using System.Collections;
using System.Reflection;
using Microsoft.Coyote.SystematicTesting;
using Multifd.Checker.Exploration;
using Multifd.Checker.Scenarios;
using Multifd.Engine.Core;

namespace Multifd.Checker.Tests;

/// <summary>
/// <see cref="ScheduleThreads"/>: at the end of a schedule every thread Coyote ran it on has ended before the engine
/// disposes the runtime (docs/ci.md, "The cause of the runaway": a thread still running then can spin for ever).
/// </summary>
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
    /// has ended (without it, the three are still running there).
    /// </summary>
    [Fact]
    public void AfterJoinAllEveryThreadOfTheScheduleHasEnded()
    {
        var configuration = Explorer.Configure(CheckOptions.For(ModelsFolder.LoadScenario("default")) with { Iterations = 3 });
        object? runtime = null;
        var seen = new List<(int Threads, int Alive, int Left)>();
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
            seen.Add((threads.Count, threads.Count(t => t.IsAlive), left));
        });
        engine.Run();

        Assert.Equal(1, engine.TestReport.NumOfFoundBugs);
        var (count, alive, stragglers) = Assert.Single(seen); // the failure stops the exploration
        Assert.Equal(5, count); // the test body's thread, three parked, one that ended
        Assert.Equal(0, alive);
        Assert.Equal(0, stragglers);
    }

    private static IEnumerable<Thread> Threads(object? runtime)
    {
        var map = runtime?.GetType().GetField("ThreadPool", BindingFlags.NonPublic | BindingFlags.Instance)?.GetValue(runtime) as IDictionary;
        return map?.Values.OfType<Thread>() ?? [];
    }
}

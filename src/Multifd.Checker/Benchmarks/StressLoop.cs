using System.Diagnostics;
using Multifd.Checker.Harness;
using Multifd.Checker.Scenarios;
using Multifd.Engine;
using Multifd.Simulation;
using Multifd.Specifications;

namespace Multifd.Checker.Benchmarks;

/// <summary>
/// (e) What testing without Coyote would find: the same engine, world and properties on real threads (the OS
/// schedules them), run after run with seeded choices (run k uses seed k), until a property is violated, a run hangs,
/// or the bounds are reached.
/// </summary>
/// <remarks>
/// A run not done after the per-run timeout is suspected hung and declared hung if it is still not done after a grace
/// period (a slow run on a loaded machine is not a hang). The stress loop of a variant stops at its first hang, so at
/// most one hung run per variant is left behind: its channels are shut down, which ends the threads that wait on the
/// network; threads blocked on a lock, a cond or a join cannot be woken without changing the engine and stay blocked.
/// They are background threads, so the process still exits.
/// </remarks>
public static class StressLoop
{
    public static StressCost Run(string label, string property, IReadOnlyList<string> accepted, Scenario scenario, ProtocolVariant variant,
        BenchOptions options)
    {
        var total = Stopwatch.StartNew();
        var slow = 0;
        var runs = 0;
        while (runs < options.StressRuns && total.Elapsed.TotalSeconds < options.StressSeconds)
        {
            runs++;
            var gate = new object();
            string? violated = null;
            var violatedAt = 0.0;
            var run = new MigrationRun(scenario, variant, new SeededChoices(runs), v =>
            {
                lock (gate)
                {
                    if (violated is null)
                    {
                        violated = v.PropertyId;
                        violatedAt = total.Elapsed.TotalSeconds;
                    }
                }
            }, realThreads: true);
            var task = Task.Factory.StartNew(() => run.Execute(), CancellationToken.None, TaskCreationOptions.LongRunning,
                TaskScheduler.Default);
            var done = Wait(task, options.StressRunTimeout);
            if (!done)
            {
                done = Wait(task, options.StressGrace);
                slow += done ? 1 : 0;
            }

            string? found;
            double foundAt;
            lock (gate)
            {
                found = violated;
                foundAt = violatedAt;
            }

            if (found is null && done && task.IsFaulted)
            {
                found = $"error: {task.Exception?.InnerException?.Message ?? "unknown"}";
                foundAt = total.Elapsed.TotalSeconds;
            }

            if (found is null && !done)
            {
                // Declared hung now, after the timeout and the grace.
                found = "hang";
                foundAt = total.Elapsed.TotalSeconds;
            }

            if (found is not null)
            {
                // A violation counts from when it was raised, even if its run then hung.
                var seconds = foundAt;
                var leaked = 0;
                if (!done)
                {
                    run.ShutdownChannels();
                    Wait(task, options.StressGrace);
                    leaked = run.Properties.Get<EveryThreadTerminates>().Running.Count;
                }

                return new StressCost(label, property, accepted, runs, seconds, runs, seconds, found, slow, leaked);
            }
        }

        return new StressCost(label, property, accepted, runs, total.Elapsed.TotalSeconds, null, null, null, slow, 0);
    }

    private static bool Wait(Task task, TimeSpan timeout)
    {
        try
        {
            return task.Wait(timeout);
        }
        catch (AggregateException)
        {
            return true; // faulted: done
        }
    }
}

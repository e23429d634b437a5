using System.Collections;
using System.Diagnostics;
using System.Reflection;
using Microsoft.Coyote;
using Microsoft.Coyote.Logging;
using Microsoft.Coyote.Rewriting;
using Microsoft.Coyote.SystematicTesting;
using Multifd.Checker.Exploration;
using Multifd.Checker.Harness;
using Multifd.Simulation;

namespace Multifd.Checker.Benchmarks;

/// <summary>Decisions per schedule at one call site: the primitive that reached the scheduling point and the
/// model's method that called it.</summary>
public sealed record SiteDecisions(string Primitive, string Caller, double PerSchedule);

/// <summary>
/// Where each scheduling decision of a schedule comes from, by call site: the schedules are run under
/// <see cref="CoyoteStrategyHook"/> with a chooser that picks uniformly at random among the enabled operations (as
/// Coyote's random strategy does) and, at each decision, reads the deciding thread's stack. The first frame of the
/// model outside Coyote and the runtime is the primitive (QemuMutex.Lock, SimChannel.Read, an atomic in
/// MultifdSend...); the first frame outside the primitives is its caller.
/// </summary>
[SkipRewriting("runs inside Coyote's scheduler with its runtime lock held")]
public sealed class SiteProfiler : IScheduleChooser
{
    /// <summary>Types that only wrap a synchronization primitive: a decision in them is charged to their caller.</summary>
    private static readonly HashSet<string> Primitives =
    [
        "QemuMutex", "Guard", "QemuCond", "QemuSemaphore", "Bql", "QemuThread", "WaitQueue", "QemuThreadPool", "SchedulerHints",
    ];

    // Our stand-ins for Coyote's monitor and task wait: counted as Coyote's frames, so a decision is charged to the
    // primitive that locked or waited (QemuMutex, SimChannel, WaitQueue, ...) as it was with Coyote's own.
    private static readonly HashSet<Type> CoyoteStandIns =
        [typeof(CoyoteMutexGate), typeof(CoyoteWakeup), typeof(Engine.Core.HeldGate), typeof(Engine.Core.MutexGateExtensions)];

    private readonly Random random;
    private readonly int schedules;
    private readonly Dictionary<(string, string), long> counts = new();
    private int begun;

    private SiteProfiler(int seed, int schedules)
    {
        random = new Random(seed);
        this.schedules = schedules;
    }

    public bool BeginSchedule() => begun++ < schedules;

    public object? ChooseOperation(IEnumerable enabled, object current, bool isYielding)
    {
        Count(isYielding ? "yield" : null);
        var list = enabled.Cast<object>().ToList();
        return list[random.Next(list.Count)];
    }

    public bool TryChooseBoolean(out bool value)
    {
        Count("choice");
        value = random.Next(2) == 1;
        return true;
    }

    public bool TryChooseInteger(int maxValue, out int value)
    {
        Count("choice");
        value = random.Next(maxValue);
        return true;
    }

    private void Count(string? kind)
    {
        string? primitive = null, caller = null;
        foreach (var frame in new StackTrace(1, false).GetFrames())
        {
            var type = frame.GetMethod()?.DeclaringType;
            if (type?.Namespace is not { } ns || !ns.StartsWith("Multifd.", StringComparison.Ordinal) || type == typeof(SiteProfiler) || type.Assembly.IsDynamic
                || CoyoteStandIns.Contains(type))
            {
                continue;
            }

            var outer = type;
            while (outer.DeclaringType is not null && outer.Name.StartsWith('<'))
            {
                outer = outer.DeclaringType; // a lambda's or an iterator's class: its enclosing type
            }

            var name = $"{outer.Name}.{MethodName(frame.GetMethod()!)}";
            if (primitive is null)
            {
                primitive = name;
                if (!Primitives.Contains(outer.Name))
                {
                    caller = name;
                    break;
                }
            }
            else if (!Primitives.Contains(outer.Name))
            {
                caller = name;
                break;
            }
        }

        var key = (kind is null ? primitive ?? "(Coyote)" : $"{kind}: {primitive ?? "(Coyote)"}", caller ?? "");
        counts[key] = counts.GetValueOrDefault(key) + 1;
    }

    /// <summary>"&lt;Execute&gt;b__3_0" is "Execute".</summary>
    private static string MethodName(MethodBase method)
    {
        var name = method.Name;
        return name.StartsWith('<') && name.IndexOf('>') is > 1 and var close ? name[1..close] : name;
    }

    /// <summary>Runs <paramref name="schedules"/> schedules of <paramref name="options"/>'s scenario and returns the
    /// decisions per schedule at each site, most first.</summary>
    public static IReadOnlyList<SiteDecisions> Profile(CheckOptions options, int schedules, int seed = 1)
    {
        var profiler = new SiteProfiler(seed, schedules);
        var configuration = Explorer.Configure(options with { Iterations = schedules });
        var threadsOfSchedules = new ScheduleThreads.Tracker();
        using var engine = TestingEngine.Create(configuration, threadsOfSchedules.Wrap(() =>
            new MigrationRun(options.Scenario, options.Variant, new CoyoteChoices(),
                v => Microsoft.Coyote.Specifications.Specification.Assert(false, v.Message)).Execute()));
        engine.SetLogger(new MemoryLogger(VerbosityLevel.Error));
        threadsOfSchedules.Attach(engine);
        CoyoteStrategyHook.Install(engine, configuration, profiler);
        engine.Run();
        if (engine.TestReport.NumOfFoundBugs > 0)
        {
            throw new InvalidOperationException($"site profile: {engine.TestReport.BugReports.First()}");
        }

        var ran = Math.Max(1, Math.Min(profiler.begun, schedules));
        return profiler.counts
            .Select(kv => new SiteDecisions(kv.Key.Item1, kv.Key.Item2, (double)kv.Value / ran))
            .OrderByDescending(s => s.PerSchedule)
            .ToList();
    }
}

using System.Collections;
using System.Diagnostics;
using System.Globalization;
using Microsoft.Coyote.Rewriting;

namespace Multifd.Checker.Exploration;

/// <summary>Why an exhaustive search ended.</summary>
public enum SearchEnd
{
    /// <summary>Every schedule within the bound was run.</summary>
    Exhausted,

    /// <summary>A schedule violated a property (the engine stops at the first).</summary>
    Violation,

    /// <summary>The schedule limit (--max-schedules) was reached with schedules left.</summary>
    MaxSchedules,

    /// <summary>The time budget ran out with schedules left.</summary>
    TimeBudget,

    /// <summary>A replayed prefix did not behave as before: the scenario is not deterministic under Coyote.</summary>
    Nondeterminism,

    /// <summary>SIGINT or SIGTERM stopped the search with schedules left.</summary>
    Interrupted,

    /// <summary>The checker itself failed (e.g. Coyote's internals are not what the hook expects).</summary>
    Error,
}

/// <summary>
/// Depth-first search over every decision of a scenario's schedules: which enabled operation runs at each scheduling
/// point, and the value of each controlled random choice (faults, short reads and writes, hostile behaviour: everything
/// the world chooses through Coyote's <c>Generator</c>). Stateless, as in CHESS: each schedule is run from the start,
/// replaying the decisions of the previous one up to the deepest decision that still has an untried alternative,
/// taking that alternative, and then the first alternative of every new decision. Optionally bounded, per schedule, by
/// preemptions (a switch away from an operation that is still enabled and did not yield; CHESS's preemption bounding) and
/// by delays (skipping an operation that a deterministic round-robin scheduler would run next; Emmi, Qadeer and
/// Rakamarić's delay bounding). Random choices are never bounded: every value is enumerated. No partial-order reduction
/// and no state hashing: docs/exhaustive.md says why neither would be sound here.
/// In estimate mode it runs no search: each schedule descends the same tree at random and Knuth's estimator (the
/// product of the numbers of alternatives along the path) estimates how many schedules the bounded search would run.
/// </summary>
/// <remarks>
/// Runs inside Coyote's scheduler (see <see cref="IScheduleChooser"/>), so Coyote must not rewrite it; it holds no lambda
/// (a compiler-generated closure class would be rewritten) and uses arrays and plain lists created here.
/// </remarks>
[SkipRewriting("runs inside Coyote's scheduler with its runtime lock held")]
public sealed class ScheduleTree : IScheduleChooser
{
    private readonly int? preemptionBound;
    private readonly int? delayBound;
    private readonly long? maxSchedules;
    private readonly Random? probe;
    private double probeEstimate;
    private readonly double? timeBudgetSeconds;
    private readonly int maxSteps;
    private readonly Stopwatch clock = new();
    private readonly List<Node> path = new();
    private ulong[] scratch = new ulong[16];
    private int position;

    /// <param name="preemptionBound">At most this many preemptions per schedule; null: no bound.</param>
    /// <param name="delayBound">At most this many delays per schedule; null: no bound.</param>
    /// <param name="maxSchedules">Stop after this many schedules (in estimate mode: probes); null: no limit.</param>
    /// <param name="timeBudgetSeconds">Start no schedule after this long; null: no limit.</param>
    /// <param name="maxSteps">Coyote's step bound: a schedule that makes this many decisions was cut short.</param>
    /// <param name="estimateSeed">Estimate mode: random descents seeded with this; null: the depth-first search.</param>
    public ScheduleTree(int? preemptionBound, int? delayBound, long? maxSchedules, double? timeBudgetSeconds, int maxSteps,
        int? estimateSeed = null)
    {
        this.preemptionBound = preemptionBound;
        this.delayBound = delayBound;
        this.maxSchedules = maxSchedules;
        probe = estimateSeed is { } seed ? new Random(seed) : null;
        this.timeBudgetSeconds = timeBudgetSeconds;
        this.maxSteps = maxSteps;
    }

    /// <summary>Schedules started (each runs to its end unless a violation stops the engine).</summary>
    public long Schedules { get; private set; }

    /// <summary>How the search ended; null while it runs.</summary>
    public SearchEnd? End { get; private set; }

    /// <summary>What went wrong, for <see cref="SearchEnd.Nondeterminism"/>.</summary>
    public string? Error { get; private set; }

    /// <summary>Alternatives never taken because they would exceed the preemption bound (each heads a subtree of schedules).</summary>
    public long BeyondBound { get; private set; }

    /// <summary>Schedules that reached Coyote's step bound: cut short, their continuations unexplored.</summary>
    public long CutByStepBound { get; private set; }

    /// <summary>The most preemptions any explored schedule made.</summary>
    public int MaxPreemptions { get; private set; }

    /// <summary>Preemptions the current (or last) schedule made so far.</summary>
    public int Preemptions { get; private set; }

    /// <summary>Delays the current (or last) schedule made so far.</summary>
    public int Delays { get; private set; }

    /// <summary>The most delays any explored schedule made.</summary>
    public int MaxDelays { get; private set; }

    /// <summary>Estimate mode: Knuth's estimate of each probe (the product of the alternatives along its path).</summary>
    public List<double> ProbeEstimates { get; } = new();

    /// <summary>Decisions the current (or last) schedule made so far: scheduling steps and random choices, as Coyote counts steps.</summary>
    public int Decisions { get; private set; }

    public long DecisionsMin { get; private set; } = long.MaxValue;

    public long DecisionsMax { get; private set; }

    public long DecisionsTotal { get; private set; }

    /// <summary>Scheduling decisions with more than one enabled operation, summed over all schedules.</summary>
    public long Branchings { get; private set; }

    /// <summary>Of those, the ones where the current operation could go on: switching there is a preemption.</summary>
    public long PreemptionPoints { get; private set; }

    /// <summary>The search ran every schedule within its bound, and nothing makes that run less than a proof.</summary>
    public bool Exhausted => End == SearchEnd.Exhausted;

    public bool BeginSchedule()
    {
        if (End is not null)
        {
            return false;
        }

        if (Schedules == 0)
        {
            clock.Start();
        }
        else if (probe is not null)
        {
            path.Clear();
            if (maxSchedules is { } probes && Schedules >= probes)
            {
                End = SearchEnd.Exhausted;
                return false;
            }
        }
        else if (!Advance())
        {
            End = SearchEnd.Exhausted;
            return false;
        }
        else if (maxSchedules is { } max && Schedules >= max)
        {
            End = SearchEnd.MaxSchedules;
            return false;
        }
        else if (timeBudgetSeconds is { } budget && clock.Elapsed.TotalSeconds >= budget)
        {
            End = SearchEnd.TimeBudget;
            return false;
        }

        Schedules++;
        position = 0;
        Preemptions = 0;
        Delays = 0;
        Decisions = 0;
        probeEstimate = 1;
        return true;
    }

    /// <summary>Accounts the schedule that just ended (called once after each schedule, whatever way it ended).</summary>
    public void EndSchedule()
    {
        DecisionsMin = Math.Min(DecisionsMin, Decisions);
        DecisionsMax = Math.Max(DecisionsMax, Decisions);
        DecisionsTotal += Decisions;
        if (Decisions >= maxSteps)
        {
            CutByStepBound++;
        }

        if (probe is not null)
        {
            ProbeEstimates.Add(probeEstimate);
        }

        if (End is null && position < path.Count)
        {
            Fail($"schedule {Schedules} ended after {position} decisions, but the schedule it replays made at least {path.Count}");
        }
    }

    /// <summary>Marks the search as ended by a violation (the engine stops after the failing schedule).</summary>
    public void StopAtViolation() => End ??= SearchEnd.Violation;

    /// <summary>An interrupt: the search runs no schedule after the current one.</summary>
    public void StopAtInterrupt() => End ??= SearchEnd.Interrupted;

    /// <summary>Marks the search as ended by a failure of the checker.</summary>
    public void StopAtError(string error)
    {
        End ??= SearchEnd.Error;
        Error ??= error;
    }

    public object? ChooseOperation(IEnumerable enabled, object current, bool isYielding)
    {
        var count = 0;
        foreach (var op in enabled)
        {
            if (count == scratch.Length)
            {
                Array.Resize(ref scratch, count * 2);
            }

            scratch[count++] = CoyoteStrategyHook.OperationId(op);
        }

        var currentId = CoyoteStrategyHook.OperationId(current);
        var currentEnabled = Array.IndexOf(scratch, currentId, 0, count) >= 0;
        Node node;
        if (position < path.Count)
        {
            node = path[position];
            if (!node.Matches(currentId, currentEnabled, isYielding, scratch, count))
            {
                return Fail($"schedule {Schedules}, decision {position + 1}: replaying it found operation {currentId} with enabled "
                    + $"[{Ids(scratch, count)}], where the earlier schedule found {node.Describe()}");
            }
        }
        else
        {
            node = Node.Schedule(currentId, currentEnabled, isYielding, scratch, count, Preemptions, Delays);
            path.Add(node);
            Descend(node);
        }

        Branchings += count > 1 ? 1 : 0;
        PreemptionPoints += count > 1 && currentEnabled && !isYielding ? 1 : 0;
        position++;
        Decisions++;
        Preemptions += node.PreemptionCost(node.Chosen);
        Delays += node.Chosen;
        MaxPreemptions = Math.Max(MaxPreemptions, Preemptions);
        MaxDelays = Math.Max(MaxDelays, Delays);
        var chosen = node.Options![node.Chosen];
        foreach (var op in enabled)
        {
            if (CoyoteStrategyHook.OperationId(op) == chosen)
            {
                return op;
            }
        }

        return Fail($"schedule {Schedules}, decision {position}: operation {chosen} is not among the enabled ones");
    }

    public bool TryChooseBoolean(out bool value)
    {
        var index = ChooseValue(NodeKind.Boolean, 2);
        value = index == 1;
        return index >= 0;
    }

    public bool TryChooseInteger(int maxValue, out int value)
    {
        var index = ChooseValue(NodeKind.Integer, Math.Max(1, maxValue));
        value = Math.Max(0, index);
        return index >= 0;
    }

    /// <summary>The index of the value to take at a random choice of <paramref name="count"/> values, or -1 to stop.</summary>
    private int ChooseValue(NodeKind kind, int count)
    {
        Node node;
        if (position < path.Count)
        {
            node = path[position];
            if (node.Kind != kind || node.Count != count)
            {
                Fail($"schedule {Schedules}, decision {position + 1}: replaying it found a {Describe(kind, count)}, "
                    + $"where the earlier schedule found {node.Describe()}");
                return -1;
            }
        }
        else
        {
            node = Node.Value(kind, count, Preemptions, Delays);
            path.Add(node);
            Descend(node);
        }

        position++;
        Decisions++;
        return node.Chosen;
    }

    /// <summary>Whether the schedule may take alternative <paramref name="index"/> of <paramref name="node"/> within the bounds.</summary>
    private bool Allowed(Node node, int index) =>
        (preemptionBound is not { } pb || node.PreemptionsBefore + node.PreemptionCost(index) <= pb)
        && (delayBound is not { } db || node.Kind != NodeKind.Schedule || node.DelaysBefore + index <= db);

    /// <summary>In estimate mode, a new decision takes one of its allowed alternatives at random; otherwise its first.</summary>
    private void Descend(Node node)
    {
        if (probe is null)
        {
            return;
        }

        var allowed = 0;
        for (var i = 0; i < node.Count; i++)
        {
            allowed += Allowed(node, i) ? 1 : 0;
        }

        var pick = probe.Next(allowed);
        for (var i = 0; i < node.Count; i++)
        {
            if (Allowed(node, i) && pick-- == 0)
            {
                node.Chosen = i;
                break;
            }
        }

        probeEstimate *= allowed;
    }

    /// <summary>
    /// Moves to the next schedule in depth-first order: the deepest decision with an untried alternative within the
    /// bound takes it, and every decision after it is forgotten. False when none is left.
    /// </summary>
    private bool Advance()
    {
        for (var i = path.Count - 1; i >= 0; i--)
        {
            var node = path[i];
            for (var next = node.Chosen + 1; next < node.Count; next++)
            {
                if (!Allowed(node, next))
                {
                    BeyondBound++;
                    continue;
                }

                node.Chosen = next;
                path.RemoveRange(i + 1, path.Count - i - 1);
                return true;
            }
        }

        path.Clear();
        return false;
    }

    private object? Fail(string error)
    {
        if (End is null)
        {
            End = SearchEnd.Nondeterminism;
            Error = error;
        }

        return null;
    }

    private static string Ids(ulong[] ids, int count)
    {
        var text = new string[count];
        for (var i = 0; i < count; i++)
        {
            text[i] = ids[i].ToString(CultureInfo.InvariantCulture);
        }

        return string.Join(", ", text);
    }

    private static string Describe(NodeKind kind, int count) =>
        kind == NodeKind.Boolean ? "boolean choice" : kind == NodeKind.Integer ? $"integer choice of {count}" : "scheduling decision";

    private enum NodeKind
    {
        Schedule,
        Boolean,
        Integer,
    }

    /// <summary>One decision on the current path: what could be chosen, what is chosen, and the preemptions before it.</summary>
    private sealed class Node
    {
        public NodeKind Kind;
        public int Count;
        public int Chosen;
        public int PreemptionsBefore;
        public int DelaysBefore;

        /// <summary>For a scheduling decision: the enabled operations, in the order they are tried.</summary>
        public ulong[]? Options;
        public ulong Current;
        public bool CurrentEnabled;
        public bool Yielding;

        public static Node Value(NodeKind kind, int count, int preemptions, int delays) =>
            new() { Kind = kind, Count = count, PreemptionsBefore = preemptions, DelaysBefore = delays };

        /// <summary>
        /// The enabled operations in the order tried, which is a round-robin scheduler's order over Coyote's operation ids
        /// (ids follow creation order): from the current operation when it may go on (so the first choice is never a
        /// preemption), else from the first id after it, wrapping around; a yielding current operation comes last.
        /// Taking the alternative at index i skips the i operations before it: i delays.
        /// </summary>
        public static Node Schedule(ulong current, bool currentEnabled, bool yielding, ulong[] enabled, int count, int preemptions, int delays)
        {
            var sorted = new ulong[count];
            Array.Copy(enabled, sorted, count);
            Array.Sort(sorted);
            var first = 0;
            while (first < count && (sorted[first] < current || (sorted[first] == current && (!currentEnabled || yielding))))
            {
                first++;
            }

            var options = new ulong[count];
            for (var i = 0; i < count; i++)
            {
                options[i] = sorted[(first + i) % count];
            }

            return new Node
            {
                Kind = NodeKind.Schedule, Count = count, PreemptionsBefore = preemptions, DelaysBefore = delays, Options = options,
                Current = current, CurrentEnabled = currentEnabled, Yielding = yielding,
            };
        }

        /// <summary>
        /// 1 if taking option <paramref name="index"/> is a preemption: a switch away from a current operation that is
        /// still enabled and did not yield (CHESS's definition); 0 otherwise (a blocked, finished or yielding operation
        /// hands over for free, and random choices never preempt).
        /// </summary>
        public int PreemptionCost(int index) =>
            Kind == NodeKind.Schedule && CurrentEnabled && !Yielding && Options![index] != Current ? 1 : 0;

        /// <summary>Whether a replayed decision presents the same choice as when it was first made.</summary>
        public bool Matches(ulong current, bool currentEnabled, bool yielding, ulong[] enabled, int count)
        {
            if (Kind != NodeKind.Schedule || Current != current || CurrentEnabled != currentEnabled || Yielding != yielding || Count != count)
            {
                return false;
            }

            for (var i = 0; i < count; i++)
            {
                if (Array.IndexOf(Options!, enabled[i]) < 0)
                {
                    return false;
                }
            }

            return true;
        }

        public string Describe() => Kind == NodeKind.Schedule
            ? $"operation {Current}{(CurrentEnabled ? "" : " (blocked or done)")} with enabled [{Ids(Options!, Count)}]"
            : ScheduleTree.Describe(Kind, Count);
    }
}

using System.Linq.Expressions;
using System.Reflection;
using Microsoft.Coyote.Runtime;
using Multifd.Engine.Core;

namespace Multifd.Simulation;

/// <summary>
/// A <see cref="QemuMutex"/>'s lock under Coyote that makes exactly the scheduling decisions of Coyote's own controlled
/// monitor, at a fraction of its cost per acquisition.
/// </summary>
/// <remarks>
/// <para>Coyote 1.7.11 rewrites <c>Monitor.Enter</c> into a lookup of a <c>SynchronizedBlock</c> in a process-wide
/// <c>ConcurrentDictionary</c>; a free lock gets a new block on every acquisition (a closure, a <c>Lazy</c>, the block
/// with four collections, a <c>Guid.NewGuid</c>, which reads the kernel's random source, and a debug name formatted from
/// it), dropped again at the release. That was about 4 % of a schedule's CPU (docs/performance.md).</para>
/// <para>This gate keeps one resource per mutex and repeats the block's steps with Coyote's own internal calls: taking
/// a free lock is an <c>Acquire</c> scheduling decision (when lock races are explored, Coyote's default); a thread that
/// finds the lock held is paused on the mutex's resource (a <c>Pause</c> decision) and queued; the release hands the
/// lock to the first queued thread and enables it, without a decision. The decisions, their types and their order are
/// those of Coyote's monitor, so a schedule and its recorded trace are the same either way (every curated bundle
/// replays; ParallelExplorationTests and CoyoteMutexGateTests compare). Outside an interleaving test (real threads, or
/// Coyote not controlling the call) it is an ordinary monitor.</para>
/// <para>The internals are reached by reflection, compiled once, as <c>QuietHandOff</c> reaches the operation's event;
/// Coyote is pinned at 1.7.11, and when a member is not found <see cref="Supported"/> is false and mutexes fall back to
/// Coyote's monitor (a test fails then).</para>
/// </remarks>
[Microsoft.Coyote.Rewriting.SkipRewriting("the controlled lock of QemuMutex: calls Coyote's runtime itself")]
public sealed class CoyoteMutexGate : IMutexGate
{
    internal static readonly Internals? Coyote = Internals.Find();
    private static int nextResource;
    private static long acquisitions;

    private readonly Guid resource = NewResourceId();
    private readonly List<object> ready = []; // operations paused on this lock, in arrival order
    private object? owner; // the operation holding the lock (controlled mode)

    /// <summary>True when Coyote's internals were found (the Coyote version this was written for).</summary>
    public static bool Supported => Coyote is not null;

    /// <summary>Locks taken through a gate under Coyote, over the process's life (for tests and diagnostics).</summary>
    public static long ControlledAcquisitions => Interlocked.Read(ref acquisitions);

    /// <summary>A gate for a new mutex, or null (Coyote's monitor) when <see cref="Supported"/> is false.</summary>
    public static IMutexGate? Create() => Coyote is null ? null : new CoyoteMutexGate();

    public void Enter()
    {
        var c = Coyote!;
        var runtime = c.Current();
        if (!c.IsInterleaving(runtime))
        {
            Monitor.Enter(this);
            return;
        }

        if (owner is null && c.LockRacesExplored(runtime))
        {
            // A free lock: another operation may take it first.
            c.Schedule(runtime, null, c.Acquire);
        }

        Interlocked.Increment(ref acquisitions);
        var op = c.ExecutingOperation(runtime);
        if (owner is null)
        {
            owner = op;
            return;
        }

        // Held by another operation (QemuMutex refuses a recursive lock before it gets here): wait for the hand-over.
        ready.Add(op!);
        c.PauseOn(op!, resource);
        c.Schedule(runtime, op, c.Pause);
        if (!ReferenceEquals(owner, op))
        {
            // The schedule ended while this thread waited (Coyote detached) and nobody handed the lock over: end the
            // thread as Coyote's interrupt would, rather than run on as if it held the lock.
            throw new ThreadInterruptedException();
        }
    }

    public void Exit()
    {
        var c = Coyote!;
        if (!c.IsInterleaving(c.Current()))
        {
            Monitor.Exit(this);
            return;
        }

        owner = null;
        if (ready.Count > 0)
        {
            var next = ready[0];
            ready.RemoveAt(0);
            c.EnableOn(next, resource);
            owner = next;
        }
    }

    /// <summary>A resource id of our own: version nibble 0, so it never equals a random (version 4) Guid of Coyote's.</summary>
    private static Guid NewResourceId()
    {
        var n = Interlocked.Increment(ref nextResource);
        return new Guid(n, 0, 0, 0x4d, 0x46, 0x44, 0x47, 0x41, 0x54, 0x45, 0x00); // "MFDGATE"
    }

    /// <summary>Coyote's internal members this gate calls, compiled into delegates.</summary>
    internal sealed class Internals
    {
        public required Func<object> Current { get; init; }
        public required Func<object, bool> IsInterleaving { get; init; }
        public required Func<object, bool> LockRacesExplored { get; init; }
        public required Func<object, object?> ExecutingOperation { get; init; }
        public required Action<object, object?, int> Schedule { get; init; }
        public required Action<object, Guid> PauseOn { get; init; }
        public required Action<object, Guid> EnableOn { get; init; }
        public required Action<object, object, Func<bool>> PauseUntil { get; init; }
        public required int Acquire { get; init; }
        public required int Pause { get; init; }

        public static Internals? Find()
        {
            try
            {
                return Build();
            }
            catch (Exception e) when (e is AmbiguousMatchException or ArgumentException or InvalidOperationException
                or NotSupportedException or MemberAccessException)
            {
                return null;
            }
        }

        private static Internals? Build()
        {
            const BindingFlags Any = BindingFlags.Public | BindingFlags.NonPublic;
            var assembly = typeof(ICoyoteRuntime).Assembly;
            var runtimeType = assembly.GetType("Microsoft.Coyote.Runtime.CoyoteRuntime");
            var operationType = assembly.GetType("Microsoft.Coyote.Runtime.ControlledOperation");
            var pointType = assembly.GetType("Microsoft.Coyote.Runtime.SchedulingPointType");
            var policyType = assembly.GetType("Microsoft.Coyote.Runtime.SchedulingPolicy");
            var configurationType = typeof(Microsoft.Coyote.Configuration);
            if (runtimeType is null || operationType is null || pointType is null || policyType is null)
            {
                return null;
            }

            var current = runtimeType.GetProperty("Current", Any | BindingFlags.Static);
            var policy = runtimeType.GetProperty("SchedulingPolicy", Any | BindingFlags.Instance);
            var configuration = runtimeType.GetField("Configuration", Any | BindingFlags.Instance);
            var lockRaces = configurationType.GetField("IsLockAccessRaceCheckingEnabled", Any | BindingFlags.Instance);
            var executing = runtimeType.GetMethods(Any | BindingFlags.Instance).SingleOrDefault(m =>
                m.Name == "GetExecutingOperation" && !m.IsGenericMethodDefinition && m.GetParameters().Length == 0);
            var schedule = runtimeType.GetMethod("ScheduleNextOperation", Any | BindingFlags.Instance,
                [operationType, pointType, typeof(bool), typeof(bool)]);
            var pause = operationType.GetMethod("PauseWithResource", Any | BindingFlags.Instance, [typeof(Guid)]);
            var enable = operationType.GetMethod("TryEnable", Any | BindingFlags.Instance, [typeof(Guid)]);
            var pauseUntil = runtimeType.GetMethod("PauseOperationUntil", Any | BindingFlags.Instance,
                [operationType, typeof(Func<bool>), typeof(bool), typeof(string)]);
            if (current is null || policy is null || configuration is null || lockRaces?.FieldType != typeof(bool)
                || executing is null || schedule is null || pause is null || enable is null || pauseUntil is null
                || !Enum.TryParse(policyType, "Interleaving", out var interleaving)
                || !Enum.TryParse(pointType, "Acquire", out var acquire) || !Enum.TryParse(pointType, "Pause", out var pausePoint))
            {
                return null;
            }

            var rt = Expression.Parameter(typeof(object), "runtime");
            var op = Expression.Parameter(typeof(object), "op");
            var type = Expression.Parameter(typeof(int), "type");
            var id = Expression.Parameter(typeof(Guid), "resource");
            var condition = Expression.Parameter(typeof(Func<bool>), "condition");
            var typedRuntime = Expression.Convert(rt, runtimeType);
            var typedOp = Expression.Convert(op, operationType);
            return new Internals
            {
                Current = Expression.Lambda<Func<object>>(
                    Expression.Convert(Expression.Property(null, current), typeof(object))).Compile(),
                IsInterleaving = Expression.Lambda<Func<object, bool>>(
                    Expression.Equal(Expression.Convert(Expression.Property(typedRuntime, policy), typeof(int)),
                        Expression.Constant(Convert.ToInt32(interleaving, System.Globalization.CultureInfo.InvariantCulture))), rt).Compile(),
                LockRacesExplored = Expression.Lambda<Func<object, bool>>(
                    Expression.Field(Expression.Field(typedRuntime, configuration), lockRaces), rt).Compile(),
                ExecutingOperation = Expression.Lambda<Func<object, object?>>(
                    Expression.Convert(Expression.Call(typedRuntime, executing), typeof(object)), rt).Compile(),
                Schedule = Expression.Lambda<Action<object, object?, int>>(
                    Expression.Call(typedRuntime, schedule, typedOp, Expression.Convert(type, pointType),
                        Expression.Constant(true), Expression.Constant(false)), rt, op, type).Compile(),
                PauseOn = Expression.Lambda<Action<object, Guid>>(Expression.Call(typedOp, pause, id), op, id).Compile(),
                EnableOn = Expression.Lambda<Action<object, Guid>>(
                    Expression.Call(typedOp, enable, id), op, id).Compile(),
                PauseUntil = Expression.Lambda<Action<object, object, Func<bool>>>(
                    Expression.Call(typedRuntime, pauseUntil, typedOp, condition, Expression.Constant(true),
                        Expression.Constant("a wake-up", typeof(string))), rt, op, condition).Compile(),
                Acquire = Convert.ToInt32(acquire, System.Globalization.CultureInfo.InvariantCulture),
                Pause = Convert.ToInt32(pausePoint, System.Globalization.CultureInfo.InvariantCulture),
            };
        }
    }
}

using System.Linq.Expressions;
using System.Reflection;
using Microsoft.Coyote.Runtime;

namespace Multifd.Simulation;

/// <summary>
/// The internal members of Coyote 1.7.11 that <see cref="CoyoteMutexGate"/> and <see cref="CoyoteWakeup"/> call, found by
/// reflection and compiled into delegates once; <see cref="Instance"/> is null when one is missing (another Coyote).
/// </summary>
[Microsoft.Coyote.Rewriting.SkipRewriting("calls Coyote's runtime itself")]
internal sealed class CoyoteInternals
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

    public static readonly CoyoteInternals? Instance = Find();

    private static CoyoteInternals? Find()
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

    private static CoyoteInternals? Build()
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
        return new CoyoteInternals
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

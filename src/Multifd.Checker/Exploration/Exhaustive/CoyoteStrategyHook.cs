using System.Collections;
using System.Reflection;
using System.Reflection.Emit;
using Microsoft.Coyote;
using Microsoft.Coyote.SystematicTesting;

namespace Multifd.Checker.Exploration;

/// <summary>
/// What the exhaustive search answers at each decision Coyote's scheduler asks for. Called by the strategy that
/// <see cref="CoyoteStrategyHook"/> installs, on the thread of the operation that reached the decision, with Coyote's
/// runtime lock held: an implementation must not use anything Coyote controls (locks, tasks, Coyote's collection
/// wrappers), so it is excluded from Coyote's rewriting.
/// </summary>
public interface IScheduleChooser
{
    /// <summary>A new schedule is about to start; false ends the exploration (no schedule is run).</summary>
    bool BeginSchedule();

    /// <summary>
    /// The operation to run next among <paramref name="enabled"/> (Coyote's enabled operations; never empty), when
    /// <paramref name="current"/> reached a scheduling point. Null stops the schedule (Coyote ends it as if at its step bound).
    /// </summary>
    object? ChooseOperation(IEnumerable enabled, object current, bool isYielding);

    /// <summary>A controlled nondeterministic boolean (Coyote's Generator.NextBoolean); false stops the schedule.</summary>
    bool TryChooseBoolean(out bool value);

    /// <summary>A controlled nondeterministic integer in [0, maxValue); false stops the schedule.</summary>
    bool TryChooseInteger(int maxValue, out int value);
}

/// <summary>The Coyote in use lacks the internal API the exhaustive mode is built on.</summary>
public sealed class CoyoteInternalsException(string message) : Exception(message);

/// <summary>
/// Puts an exploration strategy of ours into a Coyote 1.7.11 <see cref="TestingEngine"/>. Coyote 1.7.11 has no public
/// way to choose each scheduling decision: its strategies derive from the internal class
/// <c>Microsoft.Coyote.Testing.Interleaving.InterleavingStrategy</c>, which the engine's internal
/// <c>OperationScheduler</c> keeps in a private portfolio and asks, at every scheduling point, for the next operation
/// among the enabled ones (<c>NextOperation</c>) and for every controlled random value (<c>NextBoolean</c>,
/// <c>NextInteger</c>). This class emits, at run time, one subclass of it that forwards those three calls to an
/// <see cref="IScheduleChooser"/> (the emitted assembly is marked to ignore access checks to Coyote's assembly), and
/// installs it as the engine's only strategy by reflection.
/// </summary>
/// <remarks>
/// Everything internal it relies on is looked up by name and signature when it is first used; anything missing fails
/// with a <see cref="CoyoteInternalsException"/> that names it, and <c>ExhaustiveTests</c> holds the whole mechanism
/// to an exact schedule count on a small model, so a Coyote upgrade that moves it fails CI loudly, never silently.
/// The recorded trace names the strategy "dfs" (Coyote's own name for depth-first search), so a trace of a failing
/// schedule replays with Coyote's ordinary replay: the whole schedule is in the trace.
/// </remarks>
public static class CoyoteStrategyHook
{
    /// <summary>The only Coyote version whose scheduler this hook was read against (its source, tag v1.7.11).</summary>
    public static readonly Version SupportedCoyote = new(1, 7, 11, 0);

    /// <summary>The strategy name in recorded traces: one <c>ExplorationStrategyExtensions.FromName</c> knows.</summary>
    public const string TraceStrategyName = "dfs";

    private const BindingFlags Instance = BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public;

    private static readonly Lazy<Emitted> Shim = new(Emit);

    /// <summary>Coyote's id of a controlled operation (the id in a trace's <c>op(id:..)</c> and <c>next(id:..)</c>).</summary>
    public static ulong OperationId(object operation) => Shim.Value.OperationId(operation);

    /// <summary>Checks that the internal API is there (building the strategy type); throws <see cref="CoyoteInternalsException"/> if not.</summary>
    public static void Verify() => _ = Shim.Value;

    /// <summary>
    /// Makes <paramref name="engine"/> (created, not yet run) explore with <paramref name="chooser"/>: every scheduling
    /// decision and every controlled random value of every schedule is the chooser's, and the engine runs schedules
    /// until <see cref="IScheduleChooser.BeginSchedule"/> says no (or its iteration count, or a bug, stops it).
    /// </summary>
    public static void Install(TestingEngine engine, Configuration configuration, IScheduleChooser chooser)
    {
        var shim = Shim.Value;
        var scheduler = Get(typeof(TestingEngine).GetProperty("Scheduler", Instance), "TestingEngine.Scheduler", engine);
        var schedulerType = scheduler.GetType();
        if (Get(schedulerType.GetProperty("IsReplaying", Instance), "OperationScheduler.IsReplaying", scheduler) is true)
        {
            throw new CoyoteInternalsException("the engine replays a trace; the exhaustive mode needs a fresh engine");
        }

        var policy = Get(schedulerType.GetProperty("SchedulingPolicy", Instance), "OperationScheduler.SchedulingPolicy", scheduler);
        if (policy.ToString() != "Interleaving")
        {
            throw new CoyoteInternalsException($"the engine's scheduling policy is {policy}, not Interleaving (systematic fuzzing is on)");
        }

        // A schedule reducer would shrink the set of enabled operations before the strategy sees it; the search must
        // see all of them to be complete, so none may be installed (Coyote adds them only when asked to).
        if (Get(schedulerType.GetField("Reducers", Instance), "OperationScheduler.Reducers", scheduler) is not ICollection { Count: 0 })
        {
            throw new CoyoteInternalsException("the engine has schedule reducers installed (partial-order sampling or trace-cycle reduction)");
        }

        var strategy = shim.Create(configuration, chooser);
        var strategyBase = shim.StrategyBase;
        var generator = Get(schedulerType.GetProperty("ValueGenerator", Instance), "OperationScheduler.ValueGenerator", scheduler);
        Set(strategyBase.GetProperty("RandomValueGenerator", Instance), "Strategy.RandomValueGenerator", strategy, generator);
        var prefix = Get(schedulerType.GetField("PrefixTrace", Instance), "OperationScheduler.PrefixTrace", scheduler);
        Set(shim.InterleavingBase.GetField("TracePrefix", Instance), "InterleavingStrategy.TracePrefix", strategy, prefix);

        var portfolio = Get(schedulerType.GetField("Portfolio", Instance), "OperationScheduler.Portfolio", scheduler);
        var clear = portfolio.GetType().GetMethod("Clear", Type.EmptyTypes)
            ?? throw new CoyoteInternalsException("OperationScheduler.Portfolio has no Clear()");
        var addLast = portfolio.GetType().GetMethod("AddLast", [strategyBase])
            ?? throw new CoyoteInternalsException("OperationScheduler.Portfolio has no AddLast(Strategy)");
        clear.Invoke(portfolio, null);
        addLast.Invoke(portfolio, [strategy]);

        var name = schedulerType.GetMethod("GetStrategyName", Instance)?.Invoke(scheduler, null) as string;
        if (name != TraceStrategyName)
        {
            throw new CoyoteInternalsException($"the engine did not take the strategy (it reports \"{name}\")");
        }
    }

    private static object Get(MemberInfo? member, string what, object target)
    {
        var value = member switch
        {
            PropertyInfo p => p.GetValue(target),
            FieldInfo f => f.GetValue(target),
            _ => throw new CoyoteInternalsException($"{what} not found"),
        };
        return value ?? throw new CoyoteInternalsException($"{what} is null");
    }

    private static void Set(MemberInfo? member, string what, object target, object value)
    {
        switch (member)
        {
            case PropertyInfo p when p.SetMethod is not null:
                p.SetValue(target, value);
                break;
            case FieldInfo f:
                f.SetValue(target, value);
                break;
            default:
                throw new CoyoteInternalsException($"{what} not found or not settable");
        }
    }

    /// <summary>The emitted strategy type and what it needs.</summary>
    private sealed record Emitted(Type Strategy, Type InterleavingBase, Type StrategyBase, Func<object, ulong> OperationId)
    {
        public object Create(Configuration configuration, IScheduleChooser chooser) =>
            Activator.CreateInstance(Strategy, configuration, chooser)!;
    }

    private static Emitted Emit()
    {
        var coyote = typeof(Configuration).Assembly;
        var version = coyote.GetName().Version;
        if (version != SupportedCoyote)
        {
            throw new CoyoteInternalsException($"the exhaustive mode is built on Coyote {SupportedCoyote}'s internals; this is Coyote {version}");
        }

        Type Find(string name) => coyote.GetType(name) ?? throw new CoyoteInternalsException($"type {name} not found");
        var interleaving = Find("Microsoft.Coyote.Testing.Interleaving.InterleavingStrategy");
        var strategyBase = Find("Microsoft.Coyote.Testing.Strategy");
        var operation = Find("Microsoft.Coyote.Runtime.ControlledOperation");
        var operations = typeof(IEnumerable<>).MakeGenericType(operation);

        var assembly = AssemblyBuilder.DefineDynamicAssembly(new AssemblyName("Multifd.Checker.ExhaustiveStrategy"), AssemblyBuilderAccess.Run);
        var module = assembly.DefineDynamicModule("Multifd.Checker.ExhaustiveStrategy");
        IgnoreAccessChecksTo(assembly, module, coyote);

        var type = module.DefineType("Multifd.Checker.ExhaustiveStrategy", TypeAttributes.Public | TypeAttributes.Sealed | TypeAttributes.Class, interleaving);
        var chooser = type.DefineField("chooser", typeof(IScheduleChooser), FieldAttributes.Private | FieldAttributes.InitOnly);

        // ctor(Configuration, IScheduleChooser): base(configuration, isFair: false).
        var baseCtor = interleaving.GetConstructor(Instance, [typeof(Configuration), typeof(bool)])
            ?? throw new CoyoteInternalsException("InterleavingStrategy(Configuration, bool) not found");
        var il = type.DefineConstructor(MethodAttributes.Public, CallingConventions.Standard, [typeof(Configuration), typeof(IScheduleChooser)]).GetILGenerator();
        il.Emit(OpCodes.Ldarg_0);
        il.Emit(OpCodes.Ldarg_1);
        il.Emit(OpCodes.Ldc_I4_0);
        il.Emit(OpCodes.Call, baseCtor);
        il.Emit(OpCodes.Ldarg_0);
        il.Emit(OpCodes.Ldarg_2);
        il.Emit(OpCodes.Stfld, chooser);
        il.Emit(OpCodes.Ret);

        ILGenerator Override(string name, Type returns, Type[] parameters)
        {
            var overridden = interleaving.GetMethod(name, Instance, parameters);
            if (overridden is null || !overridden.IsVirtual || overridden.ReturnType != returns)
            {
                throw new CoyoteInternalsException($"InterleavingStrategy.{name}({string.Join(", ", parameters.Select(p => p.Name))}) not found");
            }

            var method = type.DefineMethod(name, MethodAttributes.Assembly | MethodAttributes.Virtual | MethodAttributes.HideBySig, returns, parameters);
            type.DefineMethodOverride(method, overridden);
            return method.GetILGenerator();
        }

        MethodInfo Chooser(string name) => typeof(IScheduleChooser).GetMethod(name)!;

        // bool InitializeNextIteration(uint iteration): base's (which zeroes the step count), then the chooser's answer.
        var baseInit = interleaving.GetMethod("InitializeNextIteration", Instance, [typeof(uint)])
            ?? throw new CoyoteInternalsException("InterleavingStrategy.InitializeNextIteration(uint) not found");
        il = Override("InitializeNextIteration", typeof(bool), [typeof(uint)]);
        il.Emit(OpCodes.Ldarg_0);
        il.Emit(OpCodes.Ldarg_1);
        il.Emit(OpCodes.Call, baseInit);
        il.Emit(OpCodes.Pop);
        il.Emit(OpCodes.Ldarg_0);
        il.Emit(OpCodes.Ldfld, chooser);
        il.Emit(OpCodes.Callvirt, Chooser(nameof(IScheduleChooser.BeginSchedule)));
        il.Emit(OpCodes.Ret);

        // bool NextOperation(IEnumerable<ControlledOperation> ops, ControlledOperation current, bool isYielding, out ControlledOperation next).
        il = Override("NextOperation", typeof(bool), [operations, operation, typeof(bool), operation.MakeByRefType()]);
        var chosen = il.DeclareLocal(typeof(object));
        il.Emit(OpCodes.Ldarg_0);
        il.Emit(OpCodes.Ldfld, chooser);
        il.Emit(OpCodes.Ldarg_1);
        il.Emit(OpCodes.Ldarg_2);
        il.Emit(OpCodes.Ldarg_3);
        il.Emit(OpCodes.Callvirt, Chooser(nameof(IScheduleChooser.ChooseOperation)));
        il.Emit(OpCodes.Stloc, chosen);
        il.Emit(OpCodes.Ldarg_S, (byte)4);
        il.Emit(OpCodes.Ldloc, chosen);
        il.Emit(OpCodes.Castclass, operation);
        il.Emit(OpCodes.Stind_Ref);
        il.Emit(OpCodes.Ldloc, chosen);
        il.Emit(OpCodes.Ldnull);
        il.Emit(OpCodes.Cgt_Un);
        il.Emit(OpCodes.Ret);

        // bool NextBoolean(ControlledOperation current, out bool next) => chooser.TryChooseBoolean(out next).
        il = Override("NextBoolean", typeof(bool), [operation, typeof(bool).MakeByRefType()]);
        il.Emit(OpCodes.Ldarg_0);
        il.Emit(OpCodes.Ldfld, chooser);
        il.Emit(OpCodes.Ldarg_2);
        il.Emit(OpCodes.Callvirt, Chooser(nameof(IScheduleChooser.TryChooseBoolean)));
        il.Emit(OpCodes.Ret);

        // bool NextInteger(ControlledOperation current, int maxValue, out int next) => chooser.TryChooseInteger(maxValue, out next).
        il = Override("NextInteger", typeof(bool), [operation, typeof(int), typeof(int).MakeByRefType()]);
        il.Emit(OpCodes.Ldarg_0);
        il.Emit(OpCodes.Ldfld, chooser);
        il.Emit(OpCodes.Ldarg_2);
        il.Emit(OpCodes.Ldarg_3);
        il.Emit(OpCodes.Callvirt, Chooser(nameof(IScheduleChooser.TryChooseInteger)));
        il.Emit(OpCodes.Ret);

        foreach (var name in new[] { "GetName", "GetDescription" })
        {
            il = Override(name, typeof(string), Type.EmptyTypes);
            il.Emit(OpCodes.Ldstr, TraceStrategyName);
            il.Emit(OpCodes.Ret);
        }

        // static ulong OperationId(object op) => ((ControlledOperation)op).Id.
        var getId = operation.GetProperty("Id", Instance)?.GetMethod
            ?? throw new CoyoteInternalsException("ControlledOperation.Id not found");
        var idMethod = type.DefineMethod("OperationId", MethodAttributes.Public | MethodAttributes.Static, typeof(ulong), [typeof(object)]);
        il = idMethod.GetILGenerator();
        il.Emit(OpCodes.Ldarg_0);
        il.Emit(OpCodes.Castclass, operation);
        il.Emit(OpCodes.Callvirt, getId);
        il.Emit(OpCodes.Ret);

        Type created;
        try
        {
            created = type.CreateType();
        }
        catch (TypeLoadException e)
        {
            throw new CoyoteInternalsException($"the strategy type could not be built on this Coyote: {e.Message}");
        }

        var id = created.GetMethod("OperationId")!.CreateDelegate<Func<object, ulong>>();
        return new Emitted(created, interleaving, strategyBase, id);
    }

    /// <summary>
    /// Marks the emitted assembly with <c>System.Runtime.CompilerServices.IgnoresAccessChecksToAttribute</c> (which the
    /// runtime recognises by name, wherever it is defined) so that its type may derive from Coyote's internal classes.
    /// </summary>
    private static void IgnoreAccessChecksTo(AssemblyBuilder assembly, ModuleBuilder module, Assembly target)
    {
        var attribute = module.DefineType("System.Runtime.CompilerServices.IgnoresAccessChecksToAttribute",
            TypeAttributes.Public | TypeAttributes.Sealed | TypeAttributes.Class, typeof(Attribute));
        var ctor = attribute.DefineConstructor(MethodAttributes.Public, CallingConventions.Standard, [typeof(string)]);
        var il = ctor.GetILGenerator();
        il.Emit(OpCodes.Ldarg_0);
        il.Emit(OpCodes.Call, typeof(Attribute).GetConstructor(BindingFlags.Instance | BindingFlags.NonPublic, Type.EmptyTypes)!);
        il.Emit(OpCodes.Ret);
        var created = attribute.CreateType();
        assembly.SetCustomAttribute(new CustomAttributeBuilder(created.GetConstructor([typeof(string)])!, [target.GetName().Name!]));
    }
}

using System.Collections.Concurrent;
using System.Linq.Expressions;
using System.Reflection;
using System.Runtime.CompilerServices;
using Microsoft.Coyote.Runtime;
using Multifd.Engine.Core;

// The pool's own threads and their wake-up events are the harness's, outside every schedule, not primitives of the model.
#pragma warning disable RS0030

namespace Multifd.Simulation;

/// <summary>
/// Starts a QEMU thread under Coyote as a controlled operation on an OS thread kept from an earlier schedule, instead of
/// a new OS thread per thread per schedule, with exactly the scheduling decisions of Coyote's own start of a task.
/// </summary>
/// <remarks>
/// <para>Why: Coyote 1.7.11 starts every controlled task on a new OS thread (its own comment there: "optimize by reusing
/// threads"). A schedule of the default scenario starts nine QEMU threads, and on this project's 2-core VM creating,
/// starting and ending a thread costs about 150 microseconds pinned (some 30 system calls: clone, stack, signal stack,
/// affinity, name), against about 2.5 for a hand-off between two parked threads (docs/performance.md).</para>
/// <para>How: it does what Coyote's <c>CoyoteRuntime.Schedule(Task)</c> and the thread it creates do, by calling the
/// same internal methods: a new controlled operation; the OS thread registered as that operation's (so that Coyote
/// finds the operation from the thread, and interrupts the thread when the schedule ends); the operation started; a
/// <c>Create</c> decision of the caller. On the pooled thread: <c>OnStarted</c> (which waits for the operation's first
/// turn), the body, <c>OnCompleted</c>, and the operation's <c>Complete</c> decision. An exception of the body is kept,
/// as a task keeps it, and given to the thread that joins. The join is the decision of Coyote's wait on a task
/// (<c>PauseOperationUntil</c>, a <c>Pause</c>). The body runs in the execution context of the thread that started it,
/// as a task's body does. So the decisions, their types and the trace are those of a task: CoyoteThreadLauncherTests
/// compares whole explorations and their traces with and without the launcher.</para>
/// <para>Made only inside an interleaving test; elsewhere the engine starts a task. The pool grows to the most threads
/// any schedule has running at once (a thread of an ended schedule returns to it after its operation is interrupted)
/// and its threads are background threads.</para>
/// </remarks>
[Microsoft.Coyote.Rewriting.SkipRewriting("starts controlled operations on pooled threads: calls Coyote's runtime itself")]
public sealed class CoyoteThreadLauncher : IThreadRun
{
    private static readonly Internals? Coyote = Internals.Find();
    /// <summary>Idle pooled threads by the CPU of the thread that last started an operation on them.</summary>
    private static readonly ConcurrentDictionary<int, ConcurrentBag<PooledThread>> Idle = new();
    private static readonly ConcurrentDictionary<Thread, bool> Pooled = new();
    private static readonly ConditionalWeakTable<object, List<CoyoteThreadLauncher>> RunsOf = [];
    private static long started;
    private static long threadsCreated;

    private readonly object runtime;
    private readonly Func<bool> isDone;
    private readonly ManualResetEventSlim ended = new(false, spinCount: 0);
    private volatile bool done;
    private Exception? failure;

    private CoyoteThreadLauncher(object runtime)
    {
        this.runtime = runtime;
        isDone = () => done;
    }

    /// <summary>True when Coyote's internal members this needs were found (the Coyote version this was written for).</summary>
    public static bool Supported => Coyote is not null && CoyoteInternals.Instance is not null;

    /// <summary>QEMU threads started through the launcher, over the process's life (for tests and diagnostics).</summary>
    public static long Started => Interlocked.Read(ref started);

    /// <summary>OS threads the pool created, over the process's life (for tests and diagnostics).</summary>
    public static long ThreadsCreated => Interlocked.Read(ref threadsCreated);

    /// <summary>
    /// Starts <paramref name="body"/> as a controlled operation on a pooled thread, or returns null (the engine then starts
    /// a task) outside an interleaving test.
    /// </summary>
    public static IThreadRun? Start(Action body)
    {
        if (Coyote is not { } k || CoyoteInternals.Instance is not { } c)
        {
            return null;
        }

        var runtime = c.Current();
        if (!c.IsInterleaving(runtime))
        {
            return null;
        }

        if (!k.IsRunning(runtime))
        {
            throw new ThreadInterruptedException(); // as Coyote's thread creation in a schedule that has ended
        }

        var run = new CoyoteThreadLauncher(runtime);
        var runs = RunsOf.GetOrCreateValue(runtime);
        lock (runs)
        {
            runs.Add(run);
        }

        var op = k.CreateOperation(runtime);
        // A thread from the pool of the caller's CPU: with each worker's threads pinned to a CPU of its own
        // (CorePinning), that thread is already on this worker's CPU, and its operation does not start on another
        // worker's CPU, which would keep this one waiting until that CPU is free.
        var pool = Idle.GetOrAdd(Thread.GetCurrentProcessorId(), static _ => []);
        var thread = pool.TryTake(out var idle) ? idle : PooledThread.Create();
        k.Register(runtime, op, thread.Thread);
        var context = ExecutionContext.Capture();
        k.StartOperation(runtime, op);
        Interlocked.Increment(ref started);
        thread.Run(run, () => run.Execute(k, op, body), context, pool);
        c.Schedule(runtime, null, k.Create);
        return run;
    }

    /// <summary>Whether <paramref name="thread"/> is one of the pool's (it runs operation after operation and never ends).</summary>
    public static bool IsPooled(Thread thread) => Pooled.ContainsKey(thread);

    /// <summary>
    /// Waits until every operation <paramref name="runtime"/> started through the launcher has finished on its pooled
    /// thread, as <c>Thread.Join</c> waits for a thread Coyote created (call once the schedule is over, before the
    /// runtime is disposed). Returns how many had not finished within <paramref name="timeout"/>.
    /// </summary>
    public static int WaitForRuns(object runtime, TimeSpan timeout)
    {
        if (!RunsOf.TryGetValue(runtime, out var runs))
        {
            return 0;
        }

        CoyoteThreadLauncher[] all;
        lock (runs)
        {
            all = [.. runs];
        }

        return all.Count(run => !run.ended.Wait(timeout));
    }

    /// <summary>qemu_thread_join: the decision of a wait on the thread's task; rethrows what ended its body, as a task wait does.</summary>
    public void Join()
    {
        if (!done)
        {
            var c = CoyoteInternals.Instance!;
            var op = c.ExecutingOperation(runtime)
                ?? throw new InvalidOperationException("a QEMU thread joined by a thread Coyote does not control");
            c.PauseUntil(runtime, op, isDone);
            if (!done)
            {
                // The schedule ended while this thread waited (Coyote detached): a task wait would block here until
                // Coyote interrupts this thread; end it the same way now.
                throw new ThreadInterruptedException();
            }
        }

        if (failure is { } e)
        {
            throw new AggregateException(e);
        }
    }

    /// <summary>What Coyote's controlled thread runs for a task, with the task's body and its completion in between.</summary>
    private void Execute(Internals k, object op, Action body)
    {
        try
        {
            k.OnStarted(runtime, op);
            try
            {
                body();
            }
            catch (Exception e)
            {
                failure = e; // a task keeps its body's exception; the thread goes on to complete the operation
            }

            done = true;
            k.OnCompleted(runtime, op);
            CoyoteInternals.Instance!.Schedule(runtime, op, k.Complete);
        }
        catch (Exception e)
        {
            k.ProcessUnhandled(runtime, op, e);
        }
        finally
        {
            k.CleanContext();
        }
    }

    /// <summary>An OS thread that runs one operation after another, each handed to it by <see cref="Run"/>.</summary>
    [Microsoft.Coyote.Rewriting.SkipRewriting("the pool's own thread, outside every schedule")]
    private sealed class PooledThread
    {
        private readonly ManualResetEventSlim wake = new(false, spinCount: 0);
        private Action? work;
        private ExecutionContext? context;
        private CoyoteThreadLauncher? owner;
        private ConcurrentBag<PooledThread>? home;

        private PooledThread()
        {
            // Coyote finds an operation from its thread's name: unique for the process's life, as Coyote's own Guid names.
            Thread = new Thread(Loop) { IsBackground = true, Name = "multifd-pooled-" + Guid.NewGuid().ToString("N") };
        }

        public Thread Thread { get; }

        public static PooledThread Create()
        {
            var pooled = new PooledThread();
            Interlocked.Increment(ref threadsCreated);
            Pooled[pooled.Thread] = true;
            pooled.Thread.UnsafeStart();
            return pooled;
        }

        public void Run(CoyoteThreadLauncher run, Action action, ExecutionContext? executionContext, ConcurrentBag<PooledThread> pool)
        {
            home = pool;
            owner = run;
            context = executionContext;
            work = action;
            wake.Set();
        }

        private void Loop()
        {
            while (true)
            {
                try
                {
                    wake.Wait();
                }
                catch (ThreadInterruptedException)
                {
                    continue; // an interrupt meant for an operation that had already ended: nothing to do
                }

                wake.Reset();
                var action = work!;
                var executionContext = context;
                var run = owner!;
                var pool = home!;
                work = null;
                context = null;
                owner = null;
                if (executionContext is null)
                {
                    action();
                }
                else
                {
                    ExecutionContext.Run(executionContext, static a => ((Action)a!)(), action);
                }

                SynchronizationContext.SetSynchronizationContext(null);
                ClearPendingInterrupt();
                pool.Add(this);
                run.ended.Set();
            }
        }

        /// <summary>
        /// Consumes an interrupt Coyote sent this thread after its operation had stopped waiting (the schedule ended while
        /// the operation was finishing), so that it does not end the next operation's first wait.
        /// </summary>
        private static void ClearPendingInterrupt()
        {
            try
            {
                Thread.Sleep(0);
            }
            catch (ThreadInterruptedException)
            {
            }
        }
    }

    /// <summary>The internal members of Coyote 1.7.11 that starting an operation on a given thread needs.</summary>
    [Microsoft.Coyote.Rewriting.SkipRewriting("reflection over Coyote's runtime")]
    private sealed class Internals
    {
        public required Func<object, object> CreateOperation { get; init; }
        public required Func<object, bool> IsRunning { get; init; }
        public required Action<object, object, Thread> Register { get; init; }
        public required Action<object, object> StartOperation { get; init; }
        public required Action<object, object> OnStarted { get; init; }
        public required Action<object, object> OnCompleted { get; init; }
        public required Action<object, object, Exception> ProcessUnhandled { get; init; }
        public required Action CleanContext { get; init; }
        public required int Create { get; init; }
        public required int Complete { get; init; }

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
            var groupType = assembly.GetType("Microsoft.Coyote.Runtime.OperationGroup");
            var pointType = assembly.GetType("Microsoft.Coyote.Runtime.SchedulingPointType");
            var statusType = assembly.GetType("Microsoft.Coyote.Runtime.ExecutionStatus");
            if (runtimeType is null || operationType is null || groupType is null || pointType is null || statusType is null)
            {
                return null;
            }

            var instance = Any | BindingFlags.Instance;
            var create = runtimeType.GetMethod("CreateControlledOperation", instance, [groupType]);
            var status = runtimeType.GetProperty("ExecutionStatus", instance);
            var threadPool = runtimeType.GetField("ThreadPool", instance);
            var controlledThreads = runtimeType.GetField("ControlledThreads", instance);
            var id = operationType.GetProperty("Id", instance);
            var start = runtimeType.GetMethod("StartOperation", instance, [operationType]);
            var onStarted = runtimeType.GetMethod("OnStarted", instance, [operationType]);
            var onCompleted = runtimeType.GetMethod("OnCompleted", instance, [operationType]);
            var unhandled = runtimeType.GetMethod("ProcessUnhandledExceptionInOperation", instance, [operationType, typeof(Exception)]);
            var clean = runtimeType.GetMethod("CleanCurrentExecutionContext", Any | BindingFlags.Static, Type.EmptyTypes);
            if (create is null || status?.PropertyType != statusType || threadPool?.FieldType != typeof(ConcurrentDictionary<,>).MakeGenericType(typeof(ulong), typeof(Thread))
                || controlledThreads?.FieldType != typeof(ConcurrentDictionary<,>).MakeGenericType(typeof(string), operationType)
                || id?.PropertyType != typeof(ulong) || start is null || onStarted is null || onCompleted is null || unhandled is null
                || clean is null || !Enum.TryParse(statusType, "Running", out var running)
                || !Enum.TryParse(pointType, "Create", out var createPoint) || !Enum.TryParse(pointType, "Complete", out var completePoint))
            {
                return null;
            }

            var rt = Expression.Parameter(typeof(object), "runtime");
            var op = Expression.Parameter(typeof(object), "op");
            var thread = Expression.Parameter(typeof(Thread), "thread");
            var error = Expression.Parameter(typeof(Exception), "exception");
            var typedRuntime = Expression.Convert(rt, runtimeType);
            var typedOp = Expression.Convert(op, operationType);
            Action<object, object> OnOperation(MethodInfo method) =>
                Expression.Lambda<Action<object, object>>(Expression.Call(typedRuntime, method, typedOp), rt, op).Compile();

            return new Internals
            {
                CreateOperation = Expression.Lambda<Func<object, object>>(
                    Expression.Call(typedRuntime, create, Expression.Constant(null, groupType)), rt).Compile(),
                IsRunning = Expression.Lambda<Func<object, bool>>(
                    Expression.Equal(Expression.Property(typedRuntime, status), Expression.Constant(running, statusType)), rt).Compile(),
                Register = Expression.Lambda<Action<object, object, Thread>>(Expression.Block(
                    Expression.Assign(Expression.Property(Expression.Field(typedRuntime, threadPool), "Item",
                        Expression.Property(typedOp, id)), thread),
                    Expression.Assign(Expression.Property(Expression.Field(typedRuntime, controlledThreads), "Item",
                        Expression.Property(thread, nameof(Thread.Name))), typedOp)), rt, op, thread).Compile(),
                StartOperation = OnOperation(start),
                OnStarted = OnOperation(onStarted),
                OnCompleted = OnOperation(onCompleted),
                ProcessUnhandled = Expression.Lambda<Action<object, object, Exception>>(
                    Expression.Call(typedRuntime, unhandled, typedOp, error), rt, op, error).Compile(),
                CleanContext = Expression.Lambda<Action>(Expression.Call(clean)).Compile(),
                Create = Convert.ToInt32(createPoint, System.Globalization.CultureInfo.InvariantCulture),
                Complete = Convert.ToInt32(completePoint, System.Globalization.CultureInfo.InvariantCulture),
            };
        }
    }
}

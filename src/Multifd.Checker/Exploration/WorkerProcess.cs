using System.Diagnostics;
using System.Text;
using static Multifd.Checker.Exploration.WorkerWire;

namespace Multifd.Checker.Exploration;

/// <summary>How to start a worker process: a program and its arguments (the CLI: its own executable, `worker`).</summary>
public sealed record WorkerLaunch(string FileName, IReadOnlyList<string> Arguments);

/// <summary>
/// One worker of <see cref="ParallelExploration"/> in a process of its own (<see cref="WorkerHost"/> on the other end
/// of its pipes): explores the blocks handed to it exactly as a worker thread would, and reports every schedule, after
/// which the parent's <c>shouldStop</c> is asked and, once it says so, the worker is told to stop. So the first-bug
/// rule, the time budget and interrupts behave as with threads, except that the worker does not wait for the answer:
/// a block told to stop may run one more schedule (the one it began meanwhile) than it would in a thread.
/// </summary>
/// <remarks>
/// <para>Why processes: two explorations in one process share its garbage collector, and each collection stops both;
/// two processes do not (docs/performance.md, "--parallel: worker processes").</para>
/// <para>A failing block's timeline is not sent: the failing schedule is replayed here from its trace, and a replay
/// that ends otherwise than the worker's schedule is an internal error (the checker would be non-deterministic).</para>
/// <para>The process is started at the first block and ends when it is disposed (its input closed). If it dies, the
/// block it was exploring ends with an internal error naming its exit code and the last lines it wrote to stderr.
/// It ignores SIGINT and SIGTERM (<see cref="WorkerHost"/>): the parent stops it after the current schedule.</para>
/// </remarks>
[Microsoft.Coyote.Rewriting.SkipRewriting("harness: talks to a worker process over pipes, no part of the model")]
/// <param name="worker">The worker's number, 0-based (messages name it 1-based: "worker process 1 of 2").</param>
/// <param name="cpu">The CPU the worker pins itself to, or null to leave it free.</param>
public sealed class WorkerProcess(WorkerLaunch launch, CheckOptions options, int worker, int? cpu) : IDisposable
{
    private const int StderrLines = 8;
    private readonly Queue<string> stderrTail = new();
    private Process? process;
    private string? startError;

    /// <summary>The worker's process id once started (for messages and tests).</summary>
    public int? ProcessId => process is { } p ? p.Id : null;

    /// <summary>Explores <paramref name="block"/> in the worker process.</summary>
    public BlockResult Run(SeedBlock block, Func<bool> shouldStop, Action<bool> onSchedule)
    {
        var schedules = 0;
        try
        {
            var p = Started();
            if (p is null)
            {
                return Failed(block, 0, startError!);
            }

            Send(p, Line(WorkerWire.Block, block));
            var stopSent = false;
            while (p.StandardOutput.ReadLine() is { } line)
            {
                var (keyword, body) = Split(line);
                switch (keyword)
                {
                    case WorkerWire.Schedule when body is "0" or "1":
                        schedules++;
                        onSchedule(body == "1");
                        if (!stopSent && shouldStop())
                        {
                            Send(p, $"{WorkerWire.Stop} {block.Index.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
                            stopSent = true;
                        }

                        break;
                    case WorkerWire.Result:
                        var result = ParseResult(body);
                        return result.Block == block
                            ? WithTimeline(result)
                            : Failed(block, schedules, $"answered for seed block {result.Block.Index}, not {block.Index}");
                    case WorkerWire.Error:
                        return Failed(block, schedules, $"failed: {body}");
                    default:
                        return Failed(block, schedules, $"wrote an unexpected line: \"{WorkerHost.Clip(line)}\"");
                }
            }

            return Failed(block, schedules, Ended(p));
        }
        catch (FormatException e)
        {
            return Failed(block, schedules, $"sent a malformed result: {WorkerHost.OneLine(e.Message)}");
        }
        catch (IOException) when (process is { } p)
        {
            // its input pipe broke: it is gone
            return Failed(block, schedules, Ended(p));
        }
    }

    private Process? Started()
    {
        if (process is not null || startError is not null)
        {
            return process;
        }

        var info = new ProcessStartInfo(launch.FileName)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = new UTF8Encoding(false),
            StandardErrorEncoding = new UTF8Encoding(false),
            StandardInputEncoding = new UTF8Encoding(false),
        };
        foreach (var argument in launch.Arguments)
        {
            info.ArgumentList.Add(argument);
        }

        try
        {
            var p = new Process { StartInfo = info };
            p.ErrorDataReceived += (_, e) =>
            {
                if (e.Data is { } text)
                {
                    lock (stderrTail)
                    {
                        stderrTail.Enqueue(text);
                        while (stderrTail.Count > StderrLines)
                        {
                            stderrTail.Dequeue();
                        }
                    }
                }
            };
            p.Start();
            p.BeginErrorReadLine();
            process = p;
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or IOException or InvalidOperationException)
        {
            startError = $"could not start ({launch.FileName}): {WorkerHost.OneLine(e.Message)}";
            return null;
        }

        // (a process that ends at once breaks this pipe: Run reports how it ended)
        Send(process, Line(WorkerWire.Setup, SetupFor(options, cpu)));
        return process;
    }

    /// <summary>The failing schedule's timeline, by replaying its trace here (the worker does not send it).</summary>
    private BlockResult WithTimeline(BlockResult result)
    {
        if (!result.Failed || result.Trace is not { } trace)
        {
            return result;
        }

        var replay = Explorer.RunBlock(options with { ReplayTrace = trace }, new SeedBlock(0, result.Block.Seed, 1, 0), null, null);
        if (replay.Violation != result.Violation || replay.InternalError != result.InternalError)
        {
            return result with
            {
                Violation = null,
                InternalError = $"{Name}'s failing schedule (seed block {result.Block.Index}) ended otherwise when "
                    + $"replayed: {Describe(result)} there, {Describe(replay)} here",
            };
        }

        return result with { Timeline = replay.Timeline };
    }

    private string Name => $"worker process {worker + 1} of {Math.Max(options.Parallel, worker + 1)}";

    private static string Describe(BlockResult r) =>
        r.Violation is { } v ? $"{v.Property} {v.Name}" : r.InternalError is { } e ? $"internal error \"{WorkerHost.Clip(e)}\"" : "no violation";

    private BlockResult Failed(SeedBlock block, int schedules, string what) => new()
    {
        Block = block,
        Schedules = schedules,
        InternalError = $"{Name}{(ProcessId is { } id ? $" (pid {id})" : "")} {what} (seed block {block.Index})",
    };

    /// <summary>How the process ended, with the last lines it wrote to stderr.</summary>
    private string Ended(Process p)
    {
        if (!p.WaitForExit(10_000))
        {
            p.Kill(entireProcessTree: true); // its output closed but it lives on
        }

        p.WaitForExit(); // and its stderr is drained
        var code = $"exit code {p.ExitCode}";
        string tail;
        lock (stderrTail)
        {
            tail = string.Join(" | ", stderrTail);
        }

        return $"ended ({code}){(tail.Length > 0 ? $"; stderr: {WorkerHost.Clip(tail, 300)}" : "")}";
    }

    private static void Send(Process p, string line)
    {
        p.StandardInput.Write(line);
        p.StandardInput.Write('\n');
        p.StandardInput.Flush();
    }

    /// <summary>Closes the worker's input, so that it exits, and waits for it (kills it after 30 s).</summary>
    public void Dispose()
    {
        if (process is not { } p)
        {
            return;
        }

        try
        {
            p.StandardInput.Close();
        }
        catch (IOException)
        {
            // already gone
        }

        if (!p.WaitForExit(30_000))
        {
            p.Kill(entireProcessTree: true);
            p.WaitForExit();
        }

        p.Dispose();
    }
}

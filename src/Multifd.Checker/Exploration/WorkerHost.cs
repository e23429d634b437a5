using System.Collections.Concurrent;
using System.Globalization;
using Multifd.Checker.Scenarios;
using static Multifd.Checker.Exploration.WorkerWire;

namespace Multifd.Checker.Exploration;

/// <summary>
/// The worker process's side of <see cref="WorkerWire"/>: explores the seed blocks its parent hands it, one at a time,
/// each with its own Coyote testing engine as a worker thread would (<see cref="Explorer.RunBlock"/>), reports every
/// schedule and stops a block after the schedule during which the parent said so.
/// </summary>
[Microsoft.Coyote.Rewriting.SkipRewriting("harness: serves the parent process over pipes, no part of the model")]
public static class WorkerHost
{
    /// <summary>Serves until <paramref name="input"/> ends (exit code 0), or 3 when the parent spoke out of turn.</summary>
    /// <param name="output">Flushed after every line: the parent waits for each.</param>
    public static int Serve(TextReader input, TextWriter output)
    {
        if (input.ReadLine() is not { } first)
        {
            return 0;
        }

        CheckOptions options;
        WorkerSetup setup;
        try
        {
            var (keyword, body) = Split(first);
            if (keyword != WorkerWire.Setup)
            {
                throw new FormatException($"expected a setup line, got \"{Clip(first)}\"");
            }

            setup = Parse<WorkerSetup>(body, WorkerWire.Setup);
            options = OptionsOf(setup);
        }
        catch (Exception e) when (e is FormatException or ScenarioException or ArgumentException)
        {
            Send(output, $"{WorkerWire.Error} {OneLine(e.Message)}");
            return 3;
        }

        using var inbox = new Inbox(input);
        using var pinned = CorePinning.Enter(setup.Cpu);
        while (inbox.Next() is { } line)
        {
            var (keyword, body) = Split(line);
            SeedBlock block;
            try
            {
                block = keyword == WorkerWire.Block
                    ? Parse<SeedBlock>(body, WorkerWire.Block)
                    : throw new FormatException($"expected a block line, got \"{Clip(line)}\"");
            }
            catch (FormatException e)
            {
                Send(output, $"{WorkerWire.Error} {OneLine(e.Message)}");
                return 3;
            }

            BlockResult result;
            try
            {
                result = Explorer.RunBlock(options, block, () => inbox.Closed || inbox.StopRequested(block.Index),
                    foundBug => Send(output, $"{WorkerWire.Schedule} {(foundBug ? 1 : 0)}"));
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                Send(output, $"{WorkerWire.Error} {e.GetType().Name}: {OneLine(e.Message)}");
                continue;
            }

            if (inbox.Closed)
            {
                // the parent closes our input only between blocks: it is gone
                return 0;
            }

            Send(output, ResultLine(result));
        }

        return 0;
    }

    /// <summary>
    /// The parent's lines, read by a thread of their own so that a block never waits for the parent: <c>stop N</c>
    /// is taken as it comes (block N stops after its current schedule), every other line waits for <see cref="Next"/>.
    /// </summary>
    private sealed class Inbox : IDisposable
    {
        private readonly BlockingCollection<string> lines = [];
        private long stopBlock = -1;
        private volatile bool closed;

        public Inbox(TextReader input)
        {
            var reader = new Thread(() => Read(input)) { IsBackground = true, Name = "multifd worker input" };
            reader.Start();
        }

        /// <summary>The parent closed our input (it ended, or has no more blocks).</summary>
        public bool Closed => closed;

        public bool StopRequested(long block) => Interlocked.Read(ref stopBlock) == block;

        /// <summary>The next line that is not a stop, or null once the input ended.</summary>
        public string? Next() => lines.TryTake(out var line, Timeout.Infinite) ? line : null;

        private void Read(TextReader input)
        {
            try
            {
                while (input.ReadLine() is { } line)
                {
                    var (keyword, body) = Split(line);
                    if (keyword == WorkerWire.Stop && long.TryParse(body, NumberStyles.None, CultureInfo.InvariantCulture, out var block))
                    {
                        Interlocked.Exchange(ref stopBlock, block);
                    }
                    else
                    {
                        lines.Add(line);
                    }
                }
            }
            catch (IOException)
            {
                // the parent's end broke: as closed
            }
            finally
            {
                closed = true;
                lines.CompleteAdding();
            }
        }

        public void Dispose() => lines.Dispose();
    }

    private static void Send(TextWriter output, string line)
    {
        output.Write(line);
        output.Write('\n');
        output.Flush();
    }

    internal static string Clip(string text, int length = 60) => text.Length > length ? text[..length] + "..." : text;

    internal static string OneLine(string text) =>
        string.Join(' ', text.Split([' ', '\t', '\r', '\n'], StringSplitOptions.RemoveEmptyEntries));
}

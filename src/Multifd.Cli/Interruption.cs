using System.Runtime.InteropServices;

namespace Multifd.Cli;

/// <summary>
/// SIGINT (Ctrl-C) and SIGTERM for a long command. The first signal cancels <see cref="Token"/>: `check`, `bench` and
/// `minimize` stop after the schedule they are exploring, write their reports whole and exit 130 (SIGTERM: 143). A
/// second signal exits at once with the same code; files are only ever written to a temporary file and renamed
/// (<see cref="AtomicFile"/>), so even then no file is left half-written, and the temporary files being written are
/// deleted first.
/// </summary>
public sealed class Interruption : IDisposable
{
    private readonly CancellationTokenSource source = new();
    private readonly List<PosixSignalRegistration> registrations = [];
    private readonly TextWriter? error;
    private int signals;
    private int signal;

    private Interruption(TextWriter? error) => this.error = error;

    /// <summary>Never interrupted (in-process runs, tests).</summary>
    public static Interruption None() => new(null);

    /// <summary>Listens to this process's SIGINT and SIGTERM until disposed.</summary>
    public static Interruption ForProcess(TextWriter error)
    {
        var interruption = new Interruption(error);
        interruption.registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGINT, interruption.Handle));
        interruption.registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGTERM, interruption.Handle));
        return interruption;
    }

    public CancellationToken Token => source.Token;

    public bool Requested => source.IsCancellationRequested;

    /// <summary>"SIGINT" or "SIGTERM" once a signal came, else null.</summary>
    public string? SignalName => Volatile.Read(ref signal) switch
    {
        0 => null,
        (int)PosixSignal.SIGTERM => "SIGTERM",
        _ => "SIGINT",
    };

    /// <summary>The exit code of an interrupted command: 128 + the signal's number, as a shell reports it (130, 143).</summary>
    public int ExitCode => Volatile.Read(ref signal) == (int)PosixSignal.SIGTERM ? ExitCodes.Terminated : ExitCodes.Interrupted;

    /// <summary>Interrupts as a signal would (for in-process tests).</summary>
    public void Request(PosixSignal which)
    {
        Interlocked.CompareExchange(ref signal, (int)which, 0);
        source.Cancel();
    }

    private void Handle(PosixSignalContext context)
    {
        context.Cancel = true; // the command decides how to end
        if (Interlocked.Increment(ref signals) == 1)
        {
            var name = context.Signal == PosixSignal.SIGTERM ? "SIGTERM" : "SIGINT";
            error?.WriteLine($"multifd: {name}: stopping after the current schedule, then writing the report (again to exit at once)");
            error?.Flush();
            Request(context.Signal);
            return;
        }

        error?.WriteLine("multifd: interrupted again: exiting now (no report file is left half-written)");
        error?.Flush();
        AtomicFile.DeletePending();
        Environment.Exit(ExitCode);
    }

    public void Dispose()
    {
        foreach (var r in registrations)
        {
            r.Dispose();
        }

        source.Dispose();
    }
}

/// <summary>
/// Files written whole or not at all: to a hidden temporary file beside the target, then renamed over it. The temporary
/// files being written are remembered, so that an exit in the middle (a second Ctrl-C) can delete them.
/// </summary>
public static class AtomicFile
{
    private static readonly HashSet<string> Pending = [];

    public static void Write(string path, string text)
    {
        var full = Path.GetFullPath(path);
        var folder = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(folder);
        var temp = Path.Combine(folder, $".{Path.GetFileName(full)}.tmp-{Environment.ProcessId}-{Path.GetRandomFileName()}");
        Track(temp, add: true);
        try
        {
            File.WriteAllText(temp, text);
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            File.Delete(temp);
            Track(temp, add: false);
        }
    }

    /// <summary>Remembers (or forgets) a temporary file or folder being written.</summary>
    public static void Track(string temp, bool add)
    {
        lock (Pending)
        {
            if (add)
            {
                Pending.Add(temp);
            }
            else
            {
                Pending.Remove(temp);
            }
        }
    }

    /// <summary>Deletes every temporary file or folder still being written (best effort, before an immediate exit).</summary>
    public static void DeletePending()
    {
        lock (Pending)
        {
            foreach (var temp in Pending)
            {
                try
                {
                    if (Directory.Exists(temp))
                    {
                        Directory.Delete(temp, recursive: true);
                    }
                    else
                    {
                        File.Delete(temp);
                    }
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // Best effort: a hidden temporary is never taken for a report or a bundle.
                }
            }
        }
    }
}

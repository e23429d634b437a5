using System.Runtime.InteropServices;
using System.Text;
using Multifd.Checker.Exploration;

namespace Multifd.Cli;

/// <summary>
/// `multifd worker`, the hidden command a `check --parallel N` run (N >= 2) starts N times: it explores the seed blocks its
/// parent hands it over stdin and stdout (<see cref="WorkerHost"/>, <see cref="WorkerWire"/>). Not for users.
/// </summary>
public static class WorkerEntry
{
    public const string CommandName = "worker";

    /// <summary>The launch of a worker: this program's own executable (or `dotnet exec` of its assembly), `worker`.</summary>
    public static WorkerLaunch Launch()
    {
        var assembly = typeof(WorkerEntry).Assembly.Location;
        var apphost = Path.ChangeExtension(assembly, OperatingSystem.IsWindows() ? ".exe" : null);
        if (File.Exists(apphost))
        {
            return new WorkerLaunch(apphost, [CommandName]);
        }

        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (string.IsNullOrEmpty(host))
        {
            host = Environment.ProcessPath is { } p && Path.GetFileNameWithoutExtension(p) == "dotnet" ? p : "dotnet";
        }

        return new WorkerLaunch(host, ["exec", assembly, CommandName]);
    }

    /// <summary>
    /// Serves the parent until it closes stdin. SIGINT and SIGTERM are left to the parent, which gets them too (the
    /// terminal's group) and stops this worker after its schedule; a parent that is gone closes stdin, and the worker
    /// exits after its schedule. Anything written to stdout by mistake goes to stderr: stdout carries the protocol.
    /// </summary>
    public static int Run()
    {
        if (!Console.IsInputRedirected)
        {
            Console.Error.WriteLine("multifd: worker is started by check --parallel N, not by hand (see multifd check --help)");
            return ExitCodes.BadInput;
        }

        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => c.Cancel = true);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => c.Cancel = true);
        var utf8 = new UTF8Encoding(false);
        using var output = new StreamWriter(Console.OpenStandardOutput(), utf8) { AutoFlush = false };
        using var input = new StreamReader(Console.OpenStandardInput(), utf8);
        Console.SetOut(Console.Error);
        return WorkerHost.Serve(input, output);
    }
}

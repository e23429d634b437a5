using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using Multifd.Checker.Scenarios;

namespace Multifd.Checker.Tests.Cli;

/// <summary>
/// The `multifd` command as a child process (the build's multifd.dll beside the tests), for what only a real process
/// shows: POSIX signals and the exit code the shell sees.
/// </summary>
public sealed class CliProcess : IDisposable
{
    private readonly Process process;
    private readonly StringBuilder output = new();
    private readonly StringBuilder error = new();

    private CliProcess(Process process)
    {
        this.process = process;
    }

    public static string Repository => Path.GetDirectoryName(ModelsFolder.Find()!)!;

    public static CliProcess Start(params string[] args)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "multifd.dll");
        Assert.True(File.Exists(dll), $"{dll} not built");
        // A child inherits an ignored SIGINT (as a test run started in the background, `cmd &`, has it), and .NET then
        // never delivers SIGINT to the child's handler. Perl (essential on Debian) restores the default before exec, as
        // an interactive shell's child has it.
        const string perl = "/usr/bin/perl";
        var viaPerl = File.Exists(perl);
        var info = new ProcessStartInfo(viaPerl ? perl : "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Repository,
        };
        var prefix = viaPerl ? new[] { "-e", "$SIG{INT} = 'DEFAULT'; exec @ARGV or die \"exec: $!\\n\";", "dotnet" } : [];
        foreach (var a in prefix.Concat(new[] { "exec", dll }).Concat(args))
        {
            info.ArgumentList.Add(a);
        }

        info.Environment["CI"] = "1"; // plain output, no live progress
        var child = new CliProcess(Process.Start(info)!);
        child.process.OutputDataReceived += (_, e) => child.Append(child.output, e.Data);
        child.process.ErrorDataReceived += (_, e) => child.Append(child.error, e.Data);
        child.process.BeginOutputReadLine();
        child.process.BeginErrorReadLine();
        return child;
    }

    public string Out
    {
        get
        {
            lock (output)
            {
                return output.ToString();
            }
        }
    }

    public string Err
    {
        get
        {
            lock (error)
            {
                return error.ToString();
            }
        }
    }

    /// <summary>Waits until the output holds <paramref name="text"/> (false: the process ended or the time ran out first).</summary>
    public bool WaitForOutput(string text, TimeSpan timeout)
    {
        var stopwatch = Stopwatch.StartNew();
        while (stopwatch.Elapsed < timeout)
        {
            if (Out.Contains(text, StringComparison.Ordinal))
            {
                return true;
            }

            if (process.HasExited)
            {
                return false;
            }

            Thread.Sleep(50);
        }

        return false;
    }

    /// <summary>Sends a POSIX signal (SIGINT 2, SIGTERM 15) to the child.</summary>
    public void Signal(int signal)
    {
        Assert.False(process.HasExited, $"the child ended before the signal:\n{this}");
        Assert.True(Kill(process.Id, signal) == 0, $"kill({process.Id}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
    }

    /// <summary>Waits for the child to end and returns its exit code; kills it after <paramref name="timeout"/>.</summary>
    public int WaitForExit(TimeSpan timeout)
    {
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"the child did not end within {timeout.TotalSeconds} s:\n{this}");
        }

        process.WaitForExit(); // flushes the redirected output
        return process.ExitCode;
    }

    public override string ToString() => $"--- out\n{Out}\n--- err\n{Err}";

    public void Dispose()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
        }

        process.Dispose();
    }

    private void Append(StringBuilder buffer, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (buffer)
        {
            buffer.Append(line).Append('\n');
        }
    }

    /// <summary>The child's process id.</summary>
    public int Id => process.Id;

    /// <summary>The processes whose parent is <paramref name="pid"/> (Linux /proc).</summary>
    public static IReadOnlyList<int> ChildrenOf(int pid)
    {
        var children = new List<int>();
        foreach (var dir in Directory.GetDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), out var candidate) && ParentOf(candidate) == pid)
            {
                children.Add(candidate);
            }
        }

        return children;
    }

    /// <summary>A process's command line, its arguments joined by spaces ("" once it is gone).</summary>
    public static string CommandLine(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ').Trim();
        }
        catch (IOException)
        {
            return "";
        }
    }

    private static int? ParentOf(int pid)
    {
        try
        {
            // /proc/PID/stat: "pid (comm) state ppid ..."; comm may hold spaces and parentheses
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return int.Parse(fields[1], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or ArgumentException)
        {
            return null; // gone meanwhile
        }
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    internal static extern int Kill(int pid, int signal);
}

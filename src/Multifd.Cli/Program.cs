using System.CommandLine;
using Multifd.Checker.Scenarios;
using Multifd.Cli.Commands;

namespace Multifd.Cli;

/// <summary>
/// The `multifd` command: check scenarios, replay, show and minimize trace bundles, check real QEMU logs (observe),
/// list what the checker knows, check the engine map against a QEMU tree (drift).
/// Exit codes (docs/cli.md): 0 no violation (no drift), 2 a property violated (bug found or reproduced; drift found),
/// 1 bad input or usage, or an inconclusive check, 3 internal error.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args is [WorkerEntry.CommandName])
        {
            return WorkerEntry.Run();
        }

        using var interruption = Interruption.ForProcess(Console.Error);
        return Run(args, Console.Out, Console.Error, interruption);
    }

    /// <summary>Runs the command in-process; everything goes to <paramref name="output"/> and <paramref name="error"/>.</summary>
    /// <param name="interruption">Signals to stop on (default: none).</param>
    public static int Run(string[] args, TextWriter output, TextWriter error, Interruption? interruption = null)
    {
        var context = new CliContext(output, error, interruption);
        var root = BuildCommand(context);
        try
        {
            var parse = root.Parse(args);
            if (parse.Errors.Count > 0)
            {
                throw new UsageException($"{string.Join("; ", parse.Errors.Select(e => Readable(e.Message).TrimEnd('.')).Distinct())} (see multifd --help)");
            }

            return parse.Invoke(new InvocationConfiguration
            {
                Output = output,
                Error = error,
                EnableDefaultExceptionHandler = false,
            });
        }
        catch (UsageException e)
        {
            error.WriteLine($"multifd: {OneLine(e.Message)}");
            return ExitCodes.BadInput;
        }
        catch (ScenarioException e)
        {
            error.WriteLine($"multifd: {OneLine(e.Message)}");
            return ExitCodes.BadInput;
        }
        catch (Exception e)
        {
            error.WriteLine($"multifd: internal error: {e.GetType().Name}: {OneLine(e.Message)}");
            if (Environment.GetEnvironmentVariable("MULTIFD_DEBUG") == "1")
            {
                error.WriteLine(e.ToString());
            }
            else
            {
                error.WriteLine("multifd: set MULTIFD_DEBUG=1 for the stack trace");
            }

            return ExitCodes.Internal;
        }
    }

    public static RootCommand BuildCommand(CliContext context)
    {
        var root = new RootCommand("multifd: a deterministic model checker for QEMU's VFIO multifd device-state transfer");
        root.Subcommands.Add(CheckCommand.Create(context));
        root.Subcommands.Add(ReplayCommand.Create(context));
        root.Subcommands.Add(ShowCommand.Create(context));
        root.Subcommands.Add(ObserveCommand.Create(context));
        root.Subcommands.Add(MinimizeCommand.Create(context));
        root.Subcommands.Add(ListCommand.Create(context));
        root.Subcommands.Add(BenchCommand.Create(context));
        root.Subcommands.Add(DriftCommand.Create(context));
        root.Subcommands.Add(MergeCommand.Create(context));
        return root;
    }

    /// <summary>A parse error in the user's words: "--iterations: 'abc' is not a number" rather than .NET type names.</summary>
    private static string Readable(string message)
    {
        var m = System.Text.RegularExpressions.Regex.Match(message,
            @"^Cannot parse argument '(.*)' for option '(.*)' as expected type '(.*)'\.?$");
        if (m.Success)
        {
            var kind = m.Groups[3].Value.Contains("UInt", StringComparison.Ordinal) ? "a non-negative whole number" : "a whole number";
            return $"{m.Groups[2].Value}: '{m.Groups[1].Value}' is not {kind}";
        }

        return OneLine(message);
    }

    internal static string OneLine(string text)
    {
        var line = string.Join(' ', text.Split([' ', '\t', '\r', '\n'], StringSplitOptions.RemoveEmptyEntries));
        return line.Length > 400 ? line[..400] + "..." : line;
    }
}

namespace Multifd.Cli;

/// <summary>The exit codes of the user-facing contract (DESIGN.md).</summary>
public static class ExitCodes
{
    public const int Pass = 0;

    /// <summary>Bad input or usage; also a passing check that missed a must-reach situation (inconclusive).</summary>
    public const int BadInput = 1;

    /// <summary>A property was violated (bug found, or reproduced by replay).</summary>
    public const int Bug = 2;

    /// <summary>The checker's own failure.</summary>
    public const int Internal = 3;

    /// <summary>Interrupted by SIGINT (Ctrl-C): 128 + 2. The report written holds what was explored until then.</summary>
    public const int Interrupted = 130;

    /// <summary>Interrupted by SIGTERM: 128 + 15.</summary>
    public const int Terminated = 143;

    /// <summary>The worst of two exit codes: internal error, then bug, then interrupted, then bad input or inconclusive, then pass.</summary>
    public static int Worst(int a, int b) => Rank(a) >= Rank(b) ? a : b;

    private static int Rank(int code) => code switch
    {
        Internal => 4,
        Bug => 3,
        Interrupted or Terminated => 2,
        BadInput => 1,
        _ => 0,
    };
}

/// <summary>Bad input or usage: reported as one line, exit code 1.</summary>
public sealed class UsageException(string message) : Exception(message);

/// <summary>Where a command writes, and whether it may draw live progress.</summary>
public sealed class CliContext(TextWriter output, TextWriter error, Interruption? interruption = null)
{
    /// <summary>SIGINT and SIGTERM of the running process (never fires in-process unless a test requests it).</summary>
    public Interruption Interruption { get; } = interruption ?? Interruption.None();

    public TextWriter Out { get; } = output;

    public TextWriter Error { get; } = error;

    /// <summary>True when the output is an interactive terminal (live progress bar); false in CI or redirected.</summary>
    public bool IsTerminal =>
        ReferenceEquals(Out, Console.Out) && !Console.IsOutputRedirected
        && Environment.GetEnvironmentVariable("CI") is null && Environment.GetEnvironmentVariable("TERM") != "dumb";
}

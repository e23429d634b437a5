using Spectre.Console;

namespace Multifd.Cli.Ui;

/// <summary>A Spectre console over the command's output: colours and live rendering only on a terminal.</summary>
public static class Terminal
{
    public static IAnsiConsole Create(CliContext context)
    {
        var settings = new AnsiConsoleSettings { Out = new AnsiConsoleOutput(context.Out) };
        if (!context.IsTerminal)
        {
            settings.Ansi = AnsiSupport.No;
            settings.ColorSystem = ColorSystemSupport.NoColors;
            settings.Interactive = InteractionSupport.No;
        }

        var console = AnsiConsole.Create(settings);
        if (!context.IsTerminal)
        {
            // Plain text for logs and files: ASCII borders, a fixed width.
            console.Profile.Width = 120;
            console.Profile.Capabilities.Unicode = false;
        }

        return console;
    }
}

/// <summary>An IProgress that calls back on the reporting thread (no synchronization context hop).</summary>
public sealed class CallbackProgress<T>(Action<T> callback) : IProgress<T>
{
    public void Report(T value) => callback(value);
}

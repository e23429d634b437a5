using System.CommandLine;
using Multifd.Checker;
using Multifd.Cli.Bundles;

namespace Multifd.Cli.Commands;

/// <summary>
/// `multifd replay BUNDLE`: re-runs the bundle's schedule and checks it fails the same way. Exit 2 and
/// "reproduced" when the same property fails with the same message after the same events; exit 1 with the first
/// difference when it diverges or does not fail at all; exit 1 for a corrupt or incomplete bundle.
/// </summary>
public static class ReplayCommand
{
    public static Command Create(CliContext context)
    {
        var bundle = new Argument<string>("BUNDLE") { Description = "A trace bundle folder (written by check or minimize)" };
        var command = new Command("replay", "Re-run a bundle's failing schedule and check it fails the same way") { bundle };
        command.SetAction(parse => Execute(context, parse.GetValue(bundle)!));
        return command;
    }

    private static int Execute(CliContext context, string directory)
    {
        var bundle = TraceBundle.Load(directory);
        context.Out.WriteLine($"replay {TraceBundle.DisplayPath(directory)}: {bundle.Scenario.Name}, variant {bundle.Scenario.Variant}, "
            + $"{bundle.Events.Events.Count} events, expecting {bundle.Property}");
        var outcome = Replayer.Replay(bundle);
        if (!outcome.Reproduced)
        {
            context.Error.WriteLine($"multifd: not reproduced: {outcome.Divergence}");
            return ExitCodes.BadInput;
        }

        context.Out.WriteLine($"reproduced: {bundle.Events.Failure}");
        context.Out.WriteLine($"identical: {bundle.Events.Events.Count} events, the same property and message");
        return ExitCodes.Bug;
    }
}

using System.CommandLine;
using Multifd.Cli.Bundles;
using Multifd.Cli.Rendering;

namespace Multifd.Cli.Commands;

/// <summary>`multifd show BUNDLE`: the failing schedule as text (fixed columns), a Mermaid sequence diagram, or HTML.</summary>
public static class ShowCommand
{
    public static readonly IReadOnlyList<string> Formats = ["text", "mermaid", "html"];

    public static Command Create(CliContext context)
    {
        var bundle = new Argument<string>("BUNDLE") { Description = "A trace bundle folder" };
        var format = new Option<string>("--format") { Description = "text | mermaid | html", DefaultValueFactory = _ => "text" };
        format.AcceptOnlyFromAmong([.. Formats]);
        var verbose = new Option<bool>("--verbose") { Description = "Also show lock events (qemu_mutex_lock)" };
        var command = new Command("show", "Print a bundle's failing schedule in QEMU's trace vocabulary") { bundle, format, verbose };
        command.SetAction(parse => Execute(context, parse.GetValue(bundle)!, parse.GetValue(format)!, parse.GetValue(verbose)));
        return command;
    }

    private static int Execute(CliContext context, string directory, string format, bool verbose)
    {
        var bundle = TraceBundle.Load(directory);
        var devices = bundle.Scenario.Devices.Select(d => d.Name).ToList();
        var seed = bundle.Scenario.Exploration.Seed;
        var title = $"{bundle.Scenario.Name}, variant {bundle.Scenario.Variant}, seed {seed}: {bundle.Property} {bundle.Events.Name}";
        context.Out.Write(format switch
        {
            "mermaid" => MermaidDiagram.Render(bundle.Events, title),
            "html" => HtmlPage.Render(bundle.Events, Limits(bundle), title),
            _ => TimelineText.Render(bundle.Events, devices, title, verbose),
        });
        return ExitCodes.Pass;
    }

    /// <summary>Each destination device's queue limits as the scenario sets them.</summary>
    public static IReadOnlyList<DeviceLimits> Limits(LoadedBundle bundle) =>
        [.. bundle.Scenario.Devices.Select(d => new DeviceLimits(d.Name, d.Destination.MaxQueuedBuffers, d.Destination.MaxQueuedBuffersSizeBytes))];
}

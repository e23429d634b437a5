using System.CommandLine;
using Multifd.Cli.Bundles;
using Multifd.Cli.Rendering;

namespace Multifd.Cli.Commands;

/// <summary>
/// `multifd show BUNDLE`: the failing schedule as text (fixed columns), a Mermaid sequence diagram, HTML, or one QEMU's
/// trace log as QEMU's log backend prints it (qemu-log).
/// </summary>
public static class ShowCommand
{
    public static readonly IReadOnlyList<string> Formats = ["text", "mermaid", "html", "qemu-log"];

    public static Command Create(CliContext context)
    {
        var bundle = new Argument<string>("BUNDLE") { Description = "A trace bundle folder" };
        var format = new Option<string>("--format") { Description = "text | mermaid | html | qemu-log", DefaultValueFactory = _ => "text" };
        format.AcceptOnlyFromAmong([.. Formats]);
        var verbose = new Option<bool>("--verbose") { Description = "Also show lock events (model_mutex_locked)" };
        var version = new Option<string?>("--qemu-version") { Description = "qemu-log: the release whose log format to write: 10.0, 10.1 (default), 10.2" };
        var timestamps = new Option<bool>("--timestamps") { Description = "qemu-log: prefix each line with its (virtual) time, as -msg timestamp=on does" };
        var side = new Option<string?>("--side") { Description = "qemu-log: whose log: destination (default) or source" };
        side.AcceptOnlyFromAmong("destination", "source");
        var command = new Command("show", "Print a bundle's failing schedule in QEMU's trace vocabulary")
        {
            bundle, format, verbose, version, timestamps, side,
        };
        command.SetAction(parse => Execute(context, parse.GetValue(bundle)!, parse.GetValue(format)!, parse.GetValue(verbose),
            parse.GetValue(version), parse.GetValue(timestamps), parse.GetValue(side)));
        return command;
    }

    private static int Execute(CliContext context, string directory, string format, bool verbose, string? version, bool timestamps, string? side)
    {
        if (format != "qemu-log" && (version is not null || timestamps || side is not null))
        {
            throw new UsageException("--qemu-version, --timestamps and --side go with --format qemu-log");
        }

        var qemuVersion = version is null ? Engine.Tracing.QemuTraceEvents.Reference : QemuLogExport.ParseVersion(version);
        var bundle = TraceBundle.Load(directory);
        var devices = bundle.Scenario.Devices.Select(d => d.Name).ToList();
        var seed = bundle.Scenario.Exploration.Seed;
        var title = $"{bundle.Scenario.Name}, variant {bundle.Scenario.Variant}, seed {seed}: {bundle.Property} {bundle.Events.Name}";
        context.Out.Write(format switch
        {
            "mermaid" => MermaidDiagram.Render(bundle.Events, title),
            "html" => HtmlPage.Render(bundle.Events, Limits(bundle), title),
            "qemu-log" => QemuLogExport.Render(bundle.Events, side ?? "destination", qemuVersion, timestamps),
            _ => TimelineText.Render(bundle.Events, devices, title, verbose),
        });
        return ExitCodes.Pass;
    }

    /// <summary>Each destination device's queue limits as the scenario sets them.</summary>
    public static IReadOnlyList<DeviceLimits> Limits(LoadedBundle bundle) =>
        [.. bundle.Scenario.Devices.Select(d => new DeviceLimits(d.Name, d.Destination.MaxQueuedBuffers, d.Destination.MaxQueuedBuffersSizeBytes))];
}

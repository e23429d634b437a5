using System.Text;
using Multifd.Cli.Bundles;
using Multifd.Engine.Ports;

namespace Multifd.Cli.Rendering;

/// <summary>
/// The timeline as a Mermaid sequence diagram (GitHub renders it): participants are the threads, boxed as the
/// source and destination QEMU; a packet or marker sent is an arrow to the receiving thread, every other
/// protocol event a note over its thread. Lock, thread-start and per-write events are left out to stay readable.
/// </summary>
public static class MermaidDiagram
{
    public const int DefaultMaxEvents = 300;

    private static readonly HashSet<string> Hidden =
        [nameof(MutexLocked), nameof(ThreadStarted), nameof(DeviceWrite), nameof(BufferChunkWritten)];

    public static string Render(EventLog log, string? title, int maxEvents = DefaultMaxEvents)
    {
        var protocol = log.Events.Where(e => !Hidden.Contains(e.Type)).ToList();
        var omitted = Math.Max(0, protocol.Count - maxEvents);
        var shown = protocol.Skip(omitted).ToList();
        var participants = Participants(log.Events);

        var text = new StringBuilder();
        text.Append("sequenceDiagram\n");
        if (title is not null)
        {
            text.Append($"    %% {Escape(title)}\n");
        }

        foreach (var side in new[] { "source", "destination" })
        {
            var ofSide = participants.Where(p => p.Side == side).ToList();
            if (ofSide.Count == 0)
            {
                continue;
            }

            text.Append($"    box {(side == "source" ? "Source QEMU" : "Destination QEMU")}\n");
            foreach (var p in ofSide)
            {
                text.Append($"    participant {Id(p.Side, p.Thread)} as {Escape(p.Thread)}\n");
            }

            text.Append("    end\n");
        }

        if (participants.Count == 0)
        {
            return text.ToString();
        }

        var first = Id(participants[0].Side, participants[0].Thread);
        var last = Id(participants[^1].Side, participants[^1].Thread);
        if (omitted > 0)
        {
            text.Append($"    Note over {first},{last}: {omitted} earlier events omitted (see timeline.txt or show --format text)\n");
        }

        var known = participants.Select(p => Id(p.Side, p.Thread)).ToHashSet();
        foreach (var e in shown)
        {
            var from = Id(e.Side, e.Thread);
            var to = Receiver(e);
            var label = Escape($"{e.Step} {e.Text}");
            text.Append(to is not null && known.Contains(to)
                ? $"    {from}->>{to}: {label}\n"
                : $"    Note over {from}: {label}\n");
        }

        // The failure on several lines: one per thread for a hang.
        var failure = string.Join("<br/>", log.Failure.Split(["; ", " | "], StringSplitOptions.None).Select(Escape));
        text.Append($"    Note over {first},{last}: {failure}\n");
        return text.ToString();
    }

    /// <summary>The destination thread a source event sends to: recv[chN] for a multifd packet, main for the main channel.</summary>
    private static string? Receiver(EventRecord e) => e.Type switch
    {
        nameof(PacketSent) when e.Number("channel") is { } ch => Id("destination", $"recv[ch{ch}]"),
        nameof(MainMarkerSent) or nameof(SwitchoverStartSent) => Id("destination", "main"),
        _ => null,
    };

    private static List<(string Side, string Thread)> Participants(IEnumerable<EventRecord> events) =>
        events.Select(e => (e.Side, e.Thread)).Where(p => p.Thread != "harness").Distinct()
            .OrderBy(p => p.Side == "source" ? 0 : 1).ToList();

    private static string Id(string side, string thread)
    {
        var id = new StringBuilder(side == "source" ? "src_" : "dst_");
        foreach (var c in thread)
        {
            id.Append(char.IsAsciiLetterOrDigit(c) ? c : '_');
        }

        return id.ToString().TrimEnd('_');
    }

    private static string Escape(string text) => text
        .Replace("->", "\u2192", StringComparison.Ordinal)
        .Replace("#", "#35;", StringComparison.Ordinal)
        .Replace(";", "#59;", StringComparison.Ordinal)
        .Replace("<", "#60;", StringComparison.Ordinal)
        .Replace(">", "#62;", StringComparison.Ordinal)
        .ReplaceLineEndings(" ");
}

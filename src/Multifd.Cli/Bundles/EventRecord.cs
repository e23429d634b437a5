using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Multifd.Engine.Ports;
using Multifd.Simulation;

namespace Multifd.Cli.Bundles;

/// <summary>
/// One timeline entry in machine form (events.json): who did what, in QEMU's trace vocabulary, and the event's
/// fields (e.g. a buffer insert's LoadBufIdx and queued count) for renderers.
/// </summary>
/// <param name="Side">"source" or "destination".</param>
/// <param name="Type">The engine's event type, e.g. "BufferInserted".</param>
/// <param name="Event">The QEMU trace event name, e.g. "vfio_load_state_device_buffer_incoming" (model_... or sim_... for an event QEMU does not trace).</param>
/// <param name="Args">The arguments as the trace line prints them (QEMU's format for a QEMU event).</param>
public sealed record EventRecord(int Step, string Side, string Thread, string Type, string Event, string Args, JsonObject? Fields)
{
    /// <summary>The event as a QEMU trace line prints it, e.g. "vfio_load_state_device_buffer_incoming  (dev0) idx 3".</summary>
    [JsonIgnore]
    public string Text => Args.Length == 0 ? Event : $"{Event} {Args}";

    /// <summary>True for a mutex acquisition (hidden by default when shown).</summary>
    [JsonIgnore]
    public bool IsLock => Type == nameof(MutexLocked);

    /// <summary>What two runs must agree on for a replay to match (the step, thread and the visible event).</summary>
    [JsonIgnore]
    public string Identity => $"{Side} {Thread}: {Text}";

    public static EventRecord From(TimelineEntry entry)
    {
        var e = entry.Observation.Event;
        var fields = JsonSerializer.SerializeToNode(e, e.GetType(), FieldOptions) as JsonObject;
        fields?.Remove("traceName");
        fields?.Remove("args");
        fields?.Remove("isQemuEvent");
        return new EventRecord(entry.Step, SideName(entry.Observation.Side), entry.Observation.Thread, e.GetType().Name,
            e.TraceName, e.Args, fields);
    }

    public static string SideName(Side side) => side == Engine.Ports.Side.Source ? "source" : "destination";

    /// <summary>An integer field of the event, if it has one.</summary>
    public ulong? Number(string field) =>
        Fields?[field] is JsonValue v && v.TryGetValue<ulong>(out var n) ? n : null;

    /// <summary>A string field of the event, if it has one.</summary>
    public string? String(string field) =>
        Fields?[field] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    private static readonly JsonSerializerOptions FieldOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
    };
}

/// <summary>events.json: the failing schedule's events, and the failure they end in.</summary>
/// <param name="Property">The violated property's id, e.g. "P10".</param>
/// <param name="Name">The property's name, e.g. "NoHang".</param>
public sealed record EventLog(string Property, string Name, string Message, IReadOnlyList<EventRecord> Events)
{
    public static EventLog From(string property, string name, string message, IEnumerable<TimelineEntry> timeline) =>
        new(property, name, message, timeline.Select(EventRecord.From).ToList());

    /// <summary>"P10 NoHang: hang: ...".</summary>
    public string Failure => $"{Property} {Name}: {Message}";
}

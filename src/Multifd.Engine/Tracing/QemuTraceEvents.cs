namespace Multifd.Engine.Tracing;

/// <summary>A QEMU release whose trace output the tools speak (the log-line prefix and a few argument lists differ).</summary>
public enum QemuVersion
{
    /// <summary>10.0: with <c>-msg timestamp=on</c> every trace line starts with <c>TID@SEC.USEC:</c>.</summary>
    V10_0,
    /// <summary>10.1 (the model's reference): no thread id; <c>-msg timestamp=on</c> prefixes an ISO-8601 UTC time (012842c075).</summary>
    V10_1,
    /// <summary>10.2 and master: as 10.1; <c>process_incoming_migration_co_end</c> lost its postcopy-state argument.</summary>
    V10_2,
}

/// <summary>Which QEMU process emits an event.</summary>
public enum TraceSide
{
    Source,
    Destination,
    /// <summary>Both processes (migrate_error; vmstate_downtime_checkpoint, whose value says which).</summary>
    Either,
}

/// <summary>One argument of a trace event: its C type and name as the event's declaration gives them.</summary>
public sealed record QemuTraceArg(string Type, string Name);

/// <summary>
/// One of QEMU's trace events on the VFIO multifd migration path: its name, its arguments in order, and the printf
/// format the log backend prints them with (after the event name and one space).
/// </summary>
/// <param name="Group">The trace-events file that declares it: "hw/vfio" or "migration".</param>
/// <param name="Until">The last release with this argument list (null: still current).</param>
public sealed record QemuTraceEvent(string Name, string Group, TraceSide Side, IReadOnlyList<QemuTraceArg> Args, string Fmt,
    QemuVersion Since = QemuVersion.V10_0, QemuVersion? Until = null)
{
    private PrintfFormat? format;

    public PrintfFormat Format => format ??= new PrintfFormat(Fmt);

    public bool In(QemuVersion version) => version >= Since && (Until is null || version <= Until);

    /// <summary>The trace line without any prefix, exactly as the log backend prints it (no newline).</summary>
    public string Line(params object[] values) => $"{Name} {Format.Format(values)}";
}

/// <summary>
/// QEMU's trace events on this path (hw/vfio/trace-events, migration/trace-events; 10.0, 10.1 and master ece408818d
/// compared), as data: the names, argument lists and formats are QEMU's, written out here as printf formats with the
/// PRI macros expanded for a 64-bit Linux host. The engine prints its events with these formats; the log reader parses
/// QEMU's logs with them. Events the engine does not emit are listed too, so that the reader can check their lines.
/// </summary>
public static class QemuTraceEvents
{
    /// <summary>The release the engine's events follow (their <see cref="Ports.MigrationEvent.Args"/>).</summary>
    public const QemuVersion Reference = QemuVersion.V10_1;

    private const string Vfio = "hw/vfio";
    private const string Migration = "migration";

    public static readonly IReadOnlyList<QemuTraceEvent> All =
    [
        // ---- hw/vfio, source ----
        new("vfio_save_setup", Vfio, TraceSide.Source, [Str("name"), new("uint64_t", "data_buffer_size")], " (%s) data buffer size %lu"),
        new("vfio_save_block", Vfio, TraceSide.Source, [Str("name"), new("int", "data_size")], " (%s) data_size %d"),
        new("vfio_save_iterate_start", Vfio, TraceSide.Source, [Str("name")], " (%s)"),
        new("vfio_save_iterate", Vfio, TraceSide.Source, [Str("name"), new("uint64_t", "precopy_init_size"), new("uint64_t", "precopy_dirty_size")],
            " (%s) precopy initial size %lu precopy dirty size %lu"),
        new("vfio_save_complete_precopy_start", Vfio, TraceSide.Source, [Str("name")], " (%s)"),
        new("vfio_save_complete_precopy", Vfio, TraceSide.Source, [Str("name"), new("int", "ret")], " (%s) ret %d"),
        new("vfio_save_complete_precopy_thread_start", Vfio, TraceSide.Source,
            [Str("name"), Str("idstr"), new("uint32_t", "instance_id")], " (%s) idstr %s instance %u"),
        new("vfio_save_complete_precopy_thread_end", Vfio, TraceSide.Source, [Str("name"), new("int", "ret")], " (%s) ret %d"),
        new("vfio_save_device_config_state", Vfio, TraceSide.Source, [Str("name")], " (%s)"),
        new("vfio_save_cleanup", Vfio, TraceSide.Source, [Str("name")], " (%s)"),

        // ---- hw/vfio, destination ----
        new("vfio_load_state", Vfio, TraceSide.Destination, [Str("name"), new("uint64_t", "data")], " (%s) data 0x%lx"),
        new("vfio_load_state_device_data", Vfio, TraceSide.Destination, [Str("name"), new("uint64_t", "data_size"), new("int", "ret")],
            " (%s) size %lu ret %d"),
        new("vfio_load_state_device_buffer_incoming", Vfio, TraceSide.Destination, [Str("name"), new("uint32_t", "idx")], " (%s) idx %u"),
        new("vfio_load_state_device_buffer_start", Vfio, TraceSide.Destination, [Str("name")], " (%s)"),
        new("vfio_load_state_device_buffer_starved", Vfio, TraceSide.Destination, [Str("name"), new("uint32_t", "idx")], " (%s) idx %u"),
        new("vfio_load_state_device_buffer_load_start", Vfio, TraceSide.Destination, [Str("name"), new("uint32_t", "idx")], " (%s) idx %u"),
        new("vfio_load_state_device_buffer_load_end", Vfio, TraceSide.Destination, [Str("name"), new("uint32_t", "idx")], " (%s) idx %u"),
        new("vfio_load_state_device_buffer_end", Vfio, TraceSide.Destination, [Str("name")], " (%s)"),
        new("vfio_load_bufs_thread_start", Vfio, TraceSide.Destination, [Str("name")], " (%s)"),
        new("vfio_load_bufs_thread_end", Vfio, TraceSide.Destination, [Str("name")], " (%s)"),
        new("vfio_load_device_config_state_start", Vfio, TraceSide.Destination, [Str("name")], " (%s)"),
        new("vfio_load_device_config_state_end", Vfio, TraceSide.Destination, [Str("name")], " (%s)"),
        new("vfio_load_cleanup", Vfio, TraceSide.Destination, [Str("name")], " (%s)"),

        // ---- hw/vfio, either side ----
        new("vfio_migration_realize", Vfio, TraceSide.Either, [Str("name")], " (%s)"),
        new("vfio_migration_set_state", Vfio, TraceSide.Either, [Str("name"), Str("new_state"), Str("recover_state")],
            " (%s) new state %s, recover state %s"),
        new("vfio_migration_set_device_state", Vfio, TraceSide.Either, [Str("name"), Str("state")], " (%s) state %s"),

        // ---- migration, source ----
        new("migration_thread_setup_complete", Migration, TraceSide.Source, [], ""),
        new("savevm_send_switchover_start", Migration, TraceSide.Source, [], ""),
        new("savevm_command_send", Migration, TraceSide.Source, [new("uint16_t", "command"), new("uint16_t", "len")], "com=0x%x len=%d"),
        new("savevm_section_start", Migration, TraceSide.Source, [Str("id"), new("unsigned int", "section_id")], "%s, section_id %u"),
        new("savevm_section_end", Migration, TraceSide.Source, [Str("id"), new("unsigned int", "section_id"), new("int", "ret")],
            "%s, section_id %u -> %d"),
        new("multifd_send_thread_start", Migration, TraceSide.Source, [U8("id")], "%u"),
        new("multifd_send_thread_end", Migration, TraceSide.Source, [U8("id"), new("uint64_t", "packets")], "channel %u packets %lu"),
        new("multifd_send_error", Migration, TraceSide.Source, [U8("id")], "channel %u"),
        new("multifd_send_fill", Migration, TraceSide.Source,
            [U8("id"), new("uint64_t", "packet_num"), new("uint32_t", "flags"), new("uint32_t", "next_packet_size")],
            "channel %u packet_num %lu flags 0x%x next packet size %u"),
        new("multifd_send_sync_main", Migration, TraceSide.Source, [new("long", "packet_num")], "packet num %ld"),
        new("multifd_send_sync_main_signal", Migration, TraceSide.Source, [U8("id")], "channel %u"),
        new("multifd_send_sync_main_wait", Migration, TraceSide.Source, [U8("id")], "channel %u"),
        new("multifd_send_terminate_threads", Migration, TraceSide.Source, [], ""),
        new("migration_cancel", Migration, TraceSide.Source, [], ""),
        new("migration_cleanup", Migration, TraceSide.Source, [], ""),
        new("source_return_path_thread_shut", Migration, TraceSide.Source, [new("uint32_t", "val")], "0x%x"),

        // ---- migration, destination ----
        new("multifd_recv_new_channel", Migration, TraceSide.Destination, [U8("id")], "channel %u"),
        new("multifd_recv_thread_start", Migration, TraceSide.Destination, [U8("id")], "%u"),
        new("multifd_recv_thread_end", Migration, TraceSide.Destination, [U8("id"), new("uint64_t", "packets")], "channel %u packets %lu"),
        new("multifd_recv_unfill", Migration, TraceSide.Destination,
            [U8("id"), new("uint64_t", "packet_num"), new("uint32_t", "flags"), new("uint32_t", "next_packet_size")],
            "channel %u packet_num %lu flags 0x%x next packet size %u"),
        new("multifd_recv_sync_main", Migration, TraceSide.Destination, [new("long", "packet_num")], "packet num %ld"),
        new("multifd_recv_sync_main_wait", Migration, TraceSide.Destination, [U8("id")], "iter %u"),
        new("multifd_recv_sync_main_signal", Migration, TraceSide.Destination, [U8("id")], "channel %u"),
        new("multifd_recv_terminate_threads", Migration, TraceSide.Destination, [new("bool", "error")], "error %d"),
        new("loadvm_state_setup", Migration, TraceSide.Destination, [], ""),
        new("loadvm_state_cleanup", Migration, TraceSide.Destination, [], ""),
        new("loadvm_process_command", Migration, TraceSide.Destination, [Str("s"), new("uint16_t", "len")], "com=%s len=%d"),
        new("qemu_loadvm_state_section", Migration, TraceSide.Destination, [new("unsigned int", "section_type")], "%d"),
        new("qemu_loadvm_state_section_startfull", Migration, TraceSide.Destination,
            [new("uint32_t", "section_id"), Str("idstr"), new("uint32_t", "instance_id"), new("uint32_t", "version_id")], "%u(%s) %u %u"),
        new("qemu_loadvm_state_section_partend", Migration, TraceSide.Destination, [new("uint32_t", "section_id")], "%u"),
        new("qemu_loadvm_state_post_main", Migration, TraceSide.Destination, [new("int", "ret")], "%d"),
        new("vmstate_load", Migration, TraceSide.Destination, [Str("idstr"), Str("vmsd_name")], "%s, %s"),
        new("process_incoming_migration_co_end", Migration, TraceSide.Destination, [new("int", "ret"), new("int", "ps")],
            "ret=%d postcopy-state=%d", Until: QemuVersion.V10_1),
        new("process_incoming_migration_co_end", Migration, TraceSide.Destination, [new("int", "ret")], "ret=%d",
            Since: QemuVersion.V10_2),
        new("migrate_send_rp_message", Migration, TraceSide.Destination, [new("int", "msg_type"), new("uint16_t", "len")], "%d: len %d"),

        // ---- migration, either side ----
        new("migrate_error", Migration, TraceSide.Either, [Str("error_desc")], "error=%s"),
        new("migrate_set_state", Migration, TraceSide.Either, [Str("new_state")], "new state %s"),
        new("vmstate_downtime_checkpoint", Migration, TraceSide.Either, [Str("checkpoint")], "%s"),
    ];

    private static readonly Dictionary<string, QemuTraceEvent[]> ByName =
        All.GroupBy(e => e.Name).ToDictionary(g => g.Key, g => g.ToArray(), StringComparer.Ordinal);

    private static readonly Dictionary<string, QemuTraceEvent[]>.AlternateLookup<ReadOnlySpan<char>> BySpan =
        ByName.GetAlternateLookup<ReadOnlySpan<char>>();

    /// <summary>The event as <paramref name="version"/> declares it, or null if it is not one of QEMU's on this path.</summary>
    public static QemuTraceEvent? Find(string name, QemuVersion version = Reference) =>
        ByName.TryGetValue(name, out var forms) ? forms.FirstOrDefault(e => e.In(version)) : null;

    /// <summary>Every release's form of <paramref name="name"/> (empty if it is not an event of this path).</summary>
    public static IReadOnlyList<QemuTraceEvent> Forms(string name) => ByName.TryGetValue(name, out var forms) ? forms : [];

    /// <summary>Every release's form of the event named by <paramref name="name"/> (empty if it is not an event of this path).</summary>
    public static IReadOnlyList<QemuTraceEvent> Forms(ReadOnlySpan<char> name) => BySpan.TryGetValue(name, out var forms) ? forms : [];

    /// <summary>Whether <paramref name="name"/> is one of QEMU's trace events on this path (in any release).</summary>
    public static bool IsQemuEvent(string name) => ByName.ContainsKey(name);

    /// <summary>The arguments of <paramref name="name"/> printed with its format in the reference release.</summary>
    public static string Format(string name, params object[] values) =>
        (Find(name) ?? throw new ArgumentException($"{name} is not a QEMU trace event on this path", nameof(name))).Format.Format(values);

    /// <summary>
    /// The arguments of a line printed by the reference release, printed as <paramref name="version"/> prints them
    /// (arguments matched by name; an argument the other release does not have is dropped). Null if they do not parse.
    /// </summary>
    public static string? Reformat(string name, string args, QemuVersion version)
    {
        var from = Find(name) ?? throw new ArgumentException($"{name} is not a QEMU trace event on this path", nameof(name));
        var to = Find(name, version);
        if (to is null || ReferenceEquals(from, to))
        {
            return to is null ? null : args;
        }

        var values = from.Format.Parse(args);
        if (values is null)
        {
            return null;
        }

        var byName = from.Args.Select((a, i) => (a.Name, Value: values[i])).ToDictionary(p => p.Name, p => p.Value);
        return to.Format.Format([.. to.Args.Select(a => byName[a.Name])]);
    }

    private static QemuTraceArg Str(string name) => new("const char *", name);

    private static QemuTraceArg U8(string name) => new("uint8_t", name);
}

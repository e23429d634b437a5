using Multifd.Engine.Ports;
using Multifd.Engine.Tracing;

namespace Multifd.Checker.QemuLog;

/// <summary>A log that cannot be checked: unreadable, not a QEMU log, or logs that cannot be put together.</summary>
public sealed class QemuLogException(string message) : Exception(message);

/// <summary>A line of the path that does not parse.</summary>
public sealed record BrokenLine(string File, long Line, string Problem, bool LastLine);

/// <summary>
/// The first pass over one log file: what kind of lines it has and what it says about the run (its side, devices,
/// modes, which threads are which), read in constant memory. The second pass (<see cref="LogObserver"/>) feeds the
/// property monitors with what this pass learned.
/// </summary>
public sealed class LogScan
{
    /// <summary>At most this many broken lines are kept (all are counted).</summary>
    public const int BrokenKept = 20;

    private readonly Dictionary<string, string> pendingIdstr = [];
    private readonly Dictionary<string, HashSet<string>> roles = [];
    private readonly List<BrokenLine> broken = [];

    private LogScan(string path) => Path = path;

    public string Path { get; }

    public long Lines { get; private set; }

    public long PathEvents { get; private set; }

    public long OtherEvents { get; private set; }

    public long OtherLines { get; private set; }

    public long BrokenCount { get; private set; }

    public IReadOnlyList<BrokenLine> Broken => broken;

    public long SourceEvents { get; private set; }

    public long DestinationEvents { get; private set; }

    /// <summary>Prefixes seen on trace lines.</summary>
    public HashSet<LinePrefix> Prefixes { get; } = [];

    /// <summary>Every trace line (of the path or not) had a time prefix: the file can be merged with others by time.</summary>
    public bool AllTimed { get; private set; } = true;

    public HashSet<string> EventsSeen { get; } = [];

    /// <summary>Device name -> savevm idstr, from vfio_save_complete_precopy_thread_start or a section start followed by vfio_load_state.</summary>
    public Dictionary<string, string> Idstr { get; } = [];

    /// <summary>Device names of the VFIO events.</summary>
    public HashSet<string> Devices { get; } = [];

    public HashSet<string> LoadThreadDevices { get; } = [];

    public HashSet<string> LoadReadyDevices { get; } = [];

    public bool InterruptController { get; private set; }

    /// <summary>The file's side: which QEMU's events it holds (null if neither side's).</summary>
    public Side? Side => (SourceEvents, DestinationEvents) switch
    {
        (> 0, 0) => Engine.Ports.Side.Source,
        (0, > 0) => Engine.Ports.Side.Destination,
        _ => null,
    };

    /// <summary>A QEMU release the prefix shows (10.0: thread ids; 10.1 or later: ISO time), or null.</summary>
    public string Format => Prefixes.Contains(LinePrefix.ThreadTime) ? "QEMU 10.0 (TID@SEC.USEC: prefix)"
        : Prefixes.Contains(LinePrefix.IsoTime) ? "QEMU 10.1 or later (ISO-8601 time prefix)"
        : "no prefix (QEMU 10.1 or later, or 10.0 without -msg timestamp=on)";

    /// <summary>The thread a key (a thread id, or the file for a per-thread file) is, when its events say so.</summary>
    public string? RoleOf(string key) => roles.TryGetValue(key, out var r) && r.Count == 1 ? r.First() : null;

    /// <summary>The key of a line's thread: its thread id, or null.</summary>
    public static string? ThreadKey(TraceLine line) => line.Tid is { } tid ? tid.ToString(System.Globalization.CultureInfo.InvariantCulture) : null;

    public static LogScan Run(string path, Action<LineReader>? progress = null)
    {
        var scan = new LogScan(path);
        using var reader = Open(path);
        while (reader.TryRead(out var raw))
        {
            scan.Lines++;
            if (raw.Binary)
            {
                if (scan.PathEvents == 0 && scan.Lines <= 100)
                {
                    throw new QemuLogException($"{path}: not a QEMU log (binary data at line {raw.Number})");
                }

                scan.OtherLines++;
                continue;
            }

            scan.Add(raw, TraceLineParser.Parse(raw.Text));
            progress?.Invoke(reader);
        }

        if (scan.PathEvents == 0)
        {
            throw new QemuLogException(scan.Lines == 0
                ? $"{path}: empty file, not a QEMU log"
                : $"{path}: not a QEMU trace log of this path: none of its {scan.Lines} lines is a VFIO multifd migration trace event " +
                  "(run QEMU with -trace 'vfio_load_*' -trace 'vfio_save_*' -trace 'multifd_*' -trace 'loadvm_*' -trace migrate_error, see docs/cli.md)");
        }

        return scan;
    }

    /// <summary>Opens a log, with one line for each way it can fail.</summary>
    public static LineReader Open(string path)
    {
        if (Directory.Exists(path))
        {
            throw new QemuLogException($"{path}: a folder, not a log file");
        }

        try
        {
            return new LineReader(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            throw new QemuLogException($"{path}: cannot read it ({e.Message.TrimEnd('.')})");
        }
    }

    private void Add(RawLine raw, TraceLine line)
    {
        if (line.Kind is LineKind.PathEvent or LineKind.OtherEvent or LineKind.Broken)
        {
            Prefixes.Add(line.Prefix);
            AllTimed &= line.TimeMicros is not null;
        }

        switch (line.Kind)
        {
            case LineKind.Other or LineKind.Assertion:
                OtherLines++;
                return;
            case LineKind.OtherEvent when raw.TooLong:
            case LineKind.OtherEvent:
                OtherEvents++;
                return;
            case LineKind.Broken:
                BrokenCount++;
                if (broken.Count < BrokenKept)
                {
                    broken.Add(new BrokenLine(Path, raw.Number, line.Problem ?? "does not parse", raw.Unterminated));
                }

                return;
        }

        if (raw.TooLong)
        {
            BrokenCount++;
            if (broken.Count < BrokenKept)
            {
                broken.Add(new BrokenLine(Path, raw.Number, $"{line.Name}: longer than {LineReader.MaxLineBytes} bytes", raw.Unterminated));
            }

            return;
        }

        PathEvents++;
        var e = line.Event!;
        var values = line.Values!;
        EventsSeen.Add(e.Name);
        switch (QemuLogEvents.SideOf(e, values))
        {
            case TraceSide.Source:
                SourceEvents++;
                break;
            case TraceSide.Destination:
                DestinationEvents++;
                break;
        }

        var key = ThreadKey(line) ?? "";
        if (QemuLogEvents.RoleOf(e, values) is { } role)
        {
            (roles.TryGetValue(key, out var r) ? r : roles[key] = []).Add(role);
        }

        Learn(e.Name, values, key);
    }

    /// <summary>Devices, their idstr and modes.</summary>
    private void Learn(string name, object[] values, string thread)
    {
        if (name.StartsWith("vfio_", StringComparison.Ordinal) && values.Length > 0 && values[0] is string device)
        {
            Devices.Add(device);
        }

        switch (name)
        {
            case "vfio_save_complete_precopy_thread_start":
                Idstr[(string)values[0]] = (string)values[1];
                break;
            case "qemu_loadvm_state_section_startfull" when (string)values[1] != "ram":
                pendingIdstr[thread] = (string)values[1];
                break;
            case "qemu_loadvm_state_section_startfull" or "qemu_loadvm_state_section_partend":
                pendingIdstr.Remove(thread);
                break;
            case "vfio_load_state":
                if (pendingIdstr.Remove(thread, out var idstr))
                {
                    Idstr.TryAdd((string)values[0], idstr);
                }

                if ((ulong)values[1] == Engine.Wire.VfioMarkers.DevConfigLoadReady)
                {
                    LoadReadyDevices.Add((string)values[0]);
                }

                break;
            case "vfio_load_bufs_thread_start":
                LoadThreadDevices.Add((string)values[0]);
                break;
            case "vmstate_load" when QemuLogEvents.IsInterruptController((string)values[1]):
                InterruptController = true;
                pendingIdstr.Remove(thread);
                break;
        }
    }
}

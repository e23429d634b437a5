using Multifd.Engine.Ports;
using Multifd.Specifications;

namespace Multifd.Checker.QemuLog;

/// <summary>Which QEMU's log to check.</summary>
public enum ObserveSide
{
    Both,
    Destination,
    Source,
}

/// <param name="Ended">The QEMU processes exited: a thread that never ended is a hang.</param>
/// <param name="ProgressEveryBytes">A progress line every this many bytes read (per pass and file).</param>
public sealed record ObserveOptions(IReadOnlyList<string> Files, ObserveSide Side = ObserveSide.Both, bool Ended = false,
    long ProgressEveryBytes = 64L << 20, TextWriter? Progress = null)
{
    /// <summary>Called after each QEMU's last event while its monitors are still held (for memory measurements).</summary>
    public Action? AtEnd { get; init; }
}

/// <summary>A violation found in a log: where (file and line) and what.</summary>
/// <param name="Later">How many more times the property failed after this (after a first violation its view may be off).</param>
public sealed record LogViolation(Side Side, string Where, string Message, int Later);

/// <summary>One property over the logs checked: how much of it they show, and its first violation.</summary>
public sealed record PropertyOutcome(string Id, string Name, Coverage Coverage, IReadOnlyList<LogViolation> Violations)
{
    public bool Violated => Violations.Count > 0;
}

/// <summary>One QEMU's log (one file, or per-thread files merged by time).</summary>
public sealed record SideReport(Side Side, IReadOnlyList<LogScan> Files, bool ThreadIdentity, bool Merged, IReadOnlyList<string> Devices);

/// <summary>What observe found.</summary>
public sealed record ObserveResult(IReadOnlyList<SideReport> Sides, IReadOnlyList<PropertyOutcome> Properties,
    IReadOnlyList<BrokenLine> Broken, long BrokenCount, IReadOnlyList<LogScan> Skipped)
{
    public bool Violated => Properties.Any(p => p.Violated);

    /// <summary>Broken lines other than a last line cut short (a process killed while writing it).</summary>
    public long BrokenInside => BrokenCount - Broken.Count(b => b.LastLine);
}

/// <summary>
/// `multifd observe`: checks real QEMU trace logs with the model's property monitors (the same classes, fed from the
/// log instead of the engine). Two passes over each file, both in constant memory: <see cref="LogScan"/> learns the
/// side, devices, modes and thread roles; then the events are fed in order (per-thread files of one QEMU merged by their
/// time prefix) to one <see cref="PropertySet"/> per QEMU, with the <see cref="Evidence"/> a log gives.
/// </summary>
public static class LogObserver
{
    public static ObserveResult Run(ObserveOptions options)
    {
        if (options.Files.Count == 0)
        {
            throw new QemuLogException("no log file given");
        }

        var scans = options.Files.Select(f => LogScan.Run(f, Progress(options, "scanning", f))).ToList();
        var bySide = new Dictionary<Side, List<LogScan>>();
        var skipped = new List<LogScan>();
        // A file none of whose events says its side (a -d tid file of a thread that only reported an error) belongs to
        // the one QEMU whose logs are given, or to the side asked for, or to the side whose files' names it shares
        // (-D dst.log.%d and -D src.log.%d).
        var known = scans.Select(s => s.Side).OfType<Side>().Distinct().ToList();
        var only = known.Count == 1 ? known[0] : SideGiven(options.Side);
        foreach (var scan in scans)
        {
            if (scan.SourceEvents > 0 && scan.DestinationEvents > 0)
            {
                throw new QemuLogException($"{scan.Path}: holds events of both the source and the destination QEMU; give each QEMU's log as its own file");
            }

            var side = scan.Side ?? only ?? ByName(scan, scans) ?? throw new QemuLogException(
                $"{scan.Path}: none of its events says which QEMU wrote it, and logs of both are given; give --side destination or --side source");
            if (Wanted(options.Side, side))
            {
                (bySide.TryGetValue(side, out var list) ? list : bySide[side] = []).Add(scan);
            }
            else
            {
                skipped.Add(scan);
            }
        }

        if (bySide.Count == 0)
        {
            throw new QemuLogException($"no {options.Side.ToString().ToLowerInvariant()} log among {string.Join(", ", options.Files)}");
        }

        var sides = new List<SideReport>();
        var outcomes = new Dictionary<string, (Property Property, Coverage Coverage, List<LogViolation> Violations)>();
        foreach (var side in new[] { Side.Destination, Side.Source }.Where(bySide.ContainsKey))
        {
            sides.Add(CheckSide(side, bySide[side], options, outcomes));
        }

        var broken = scans.SelectMany(s => s.Broken).ToList();
        var properties = outcomes.Values
            .Select(o => new PropertyOutcome(o.Property.Id, o.Property.Name, o.Coverage, o.Violations))
            .ToList();
        return new ObserveResult(sides, properties, broken, scans.Sum(s => s.BrokenCount), skipped);
    }

    private static SideReport CheckSide(Side side, List<LogScan> files, ObserveOptions options,
        Dictionary<string, (Property Property, Coverage Coverage, List<LogViolation> Violations)> outcomes)
    {
        var merged = files.Count > 1;
        if (merged && files.FirstOrDefault(f => !f.AllTimed) is { } untimed)
        {
            throw new QemuLogException($"{untimed.Path}: {files.Count} {Name(side)} logs can be merged only by their time prefix, " +
                                       "and this one has lines without it (run QEMU with -msg timestamp=on, or give one file per QEMU)");
        }

        var threadIdentity = merged || files.All(f => f.Prefixes.Contains(LinePrefix.ThreadTime));
        var evidence = new Evidence
        {
            ModelEvents = false,
            ThreadIdentity = threadIdentity,
            EventsSeen = files.SelectMany(f => f.EventsSeen).ToHashSet(),
            Facts = new LogFacts(
                files.SelectMany(f => f.LoadThreadDevices).ToHashSet(),
                files.SelectMany(f => f.LoadReadyDevices).ToHashSet(),
                files.Any(f => f.InterruptController)),
        };

        var (atFile, atLine, atEnd) = ("", 0L, false);
        var namedFiles = merged || options.Files.Count > 1;
        string Position() => atEnd ? "the end of the log" : namedFiles ? $"{atFile}:{atLine}" : $"line {atLine}";
        var all = PropertySet.CreateAll();
        foreach (var p in all)
        {
            var coverage = p.CoverageOf(evidence);
            if (!outcomes.TryGetValue(p.Id, out var o) || coverage.Level < o.Coverage.Level)
            {
                outcomes[p.Id] = (p, coverage, o.Violations ?? []);
            }
        }

        var firstOf = new Dictionary<string, int>();
        var checking = all.Where(p => p.CoverageOf(evidence).Level != CoverageLevel.NotCheckable).ToList();
        var set = new PropertySet(checking, v =>
        {
            var list = outcomes[v.PropertyId].Violations;
            if (firstOf.TryGetValue(v.PropertyId, out var at))
            {
                list[at] = list[at] with { Later = list[at].Later + 1 };
                return;
            }

            firstOf[v.PropertyId] = list.Count;
            list.Add(new LogViolation(side, Position(), v.Detail, 0));
        }, evidence, Position);

        var loadThreads = new HashSet<string>();
        using var stream = new MergedLines(files, options, merged);
        while (stream.TryNext(out var file, out var raw, out var line))
        {
            (atFile, atLine) = (namedFiles ? System.IO.Path.GetFileName(file.Path) : "", raw.Number);
            var thread = ThreadOf(file, line, merged);
            if (line.Kind == LineKind.Assertion)
            {
                set.On(new Observation(side, thread ?? "?", new QemuAborted(line.Text ?? "")));
                continue;
            }

            if (line.Kind != LineKind.PathEvent || raw.TooLong || QemuLogEvents.ToEvent(line.Event!, line.Values!) is not { } e)
            {
                continue;
            }

            set.On(new Observation(side, thread ?? Inferred(line, loadThreads) ?? "?", e));
            switch (e)
            {
                case LoadBufsThreadStart s:
                    loadThreads.Add(s.Device);
                    break;
                case LoadBufsThreadEnd s:
                    loadThreads.Remove(s.Device);
                    break;
            }
        }

        atEnd = true;
        set.AtLogEnd(new LogEnd(options.Ended));
        options.AtEnd?.Invoke();
        GC.KeepAlive(set);
        var devices = files.SelectMany(f => f.Devices).Distinct().Order(StringComparer.Ordinal)
            .Select(d => files.Select(f => f.Idstr.GetValueOrDefault(d)).FirstOrDefault(i => i is not null) is { } idstr
                ? $"{d} (idstr {idstr}{(evidence.Facts.MultifdDevices.Contains(d) ? ", multifd" : "")})"
                : $"{d}{(evidence.Facts.MultifdDevices.Contains(d) ? " (multifd)" : "")}")
            .ToList();
        return new SideReport(side, files, threadIdentity, merged, devices);
    }

    /// <summary>
    /// The thread of a line without a thread id, from its event; a config load runs on the device's load thread while
    /// that runs (multifd), else on the main thread (DEV_CONFIG_STATE on the main channel).
    /// </summary>
    private static string? Inferred(TraceLine line, HashSet<string> loadThreads) => line.Name switch
    {
        "vfio_load_device_config_state_start" or "vfio_load_device_config_state_end" =>
            loadThreads.Contains((string)line.Values![0]) ? $"load[{line.Values[0]}]" : "main",
        _ => QemuLogEvents.RoleOf(line.Event!, line.Values!),
    };

    /// <summary>The thread of a line: by its thread id (10.0) or its per-thread file, named by its role if its events say it.</summary>
    private static string? ThreadOf(LogScan file, TraceLine line, bool perThreadFiles)
    {
        if (LogScan.ThreadKey(line) is { } tid)
        {
            return file.RoleOf(tid) ?? $"tid {tid}";
        }

        return perThreadFiles ? file.RoleOf("") ?? System.IO.Path.GetFileName(file.Path) : null;
    }

    /// <summary>The side of the files whose path shares the longest beginning with this one's, if one side's is longer.</summary>
    private static Side? ByName(LogScan file, List<LogScan> all)
    {
        int Shared(LogScan other) => file.Path.Zip(other.Path).TakeWhile(p => p.First == p.Second).Count();
        int Best(Side side) => all.Where(s => s.Side == side).Select(Shared).DefaultIfEmpty(-1).Max();
        var (source, destination) = (Best(Side.Source), Best(Side.Destination));
        return source == destination ? null : source > destination ? Side.Source : Side.Destination;
    }

    private static Side? SideGiven(ObserveSide side) => side switch
    {
        ObserveSide.Destination => Side.Destination,
        ObserveSide.Source => Side.Source,
        _ => null,
    };

    private static bool Wanted(ObserveSide wanted, Side side) => wanted == ObserveSide.Both || SideGiven(wanted) == side;

    private static string Name(Side side) => side == Side.Source ? "source" : "destination";

    private static Action<LineReader>? Progress(ObserveOptions options, string pass, string file)
    {
        if (options.Progress is not { } writer)
        {
            return null;
        }

        var next = options.ProgressEveryBytes;
        return reader =>
        {
            if (reader.Position < next)
            {
                return;
            }

            next = (reader.Position / options.ProgressEveryBytes + 1) * options.ProgressEveryBytes;
            var percent = reader.Length > 0 ? 100.0 * reader.Position / reader.Length : 100;
            writer.WriteLine($"observe: {pass} {file}: {Mib(reader.Position)} of {Mib(reader.Length)} ({percent:F0}%)");
        };
    }

    private static string Mib(long bytes) => $"{bytes / (1024.0 * 1024.0):F0} MiB";

    /// <summary>The lines of one QEMU's files in order: one file as it is, per-thread files merged by time.</summary>
    private sealed class MergedLines : IDisposable
    {
        private readonly List<(LogScan File, LineReader Reader, Action<LineReader>? Progress)> readers = [];
        private readonly PriorityQueue<int, (long Time, int File, long Line)> heads = new();
        private readonly (RawLine Raw, TraceLine Line)?[] pending;
        private readonly bool byTime;

        public MergedLines(List<LogScan> files, ObserveOptions options, bool byTime)
        {
            this.byTime = byTime;
            foreach (var f in files)
            {
                readers.Add((f, LogScan.Open(f.Path), Progress(options, "checking", f.Path)));
            }

            pending = new (RawLine, TraceLine)?[readers.Count];
            for (var i = 0; i < readers.Count; i++)
            {
                Advance(i);
            }
        }

        public bool TryNext(out LogScan file, out RawLine raw, out TraceLine line)
        {
            if (!heads.TryDequeue(out var i, out _))
            {
                file = null!;
                raw = default;
                line = null!;
                return false;
            }

            (raw, line) = pending[i]!.Value;
            file = readers[i].File;
            Advance(i);
            return true;
        }

        public void Dispose()
        {
            foreach (var r in readers)
            {
                r.Reader.Dispose();
            }
        }

        /// <summary>Reads file i's next trace line (other lines carry no time and are skipped here).</summary>
        private void Advance(int i)
        {
            var (_, reader, progress) = readers[i];
            while (reader.TryRead(out var raw))
            {
                progress?.Invoke(reader);
                if (raw.Binary)
                {
                    continue;
                }

                var line = TraceLineParser.Parse(raw.Text);
                if (line.Kind is LineKind.Other || (byTime && line.TimeMicros is null && line.Kind != LineKind.Assertion))
                {
                    continue;
                }

                pending[i] = (raw, line);
                // An assertion line has no time of its own: it goes with the time of the file's previous line.
                var time = line.TimeMicros ?? lastTime.GetValueOrDefault(i);
                lastTime[i] = time;
                heads.Enqueue(i, (byTime ? time : 0, i, raw.Number));
                return;
            }

            pending[i] = null;
        }

        private readonly Dictionary<int, long> lastTime = [];
    }
}

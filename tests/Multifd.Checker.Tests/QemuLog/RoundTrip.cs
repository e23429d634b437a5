using Multifd.Checker.Exploration;
using Multifd.Checker.QemuLog;
using Multifd.Checker.Tests.Cli;
using Multifd.Cli.Bundles;
using Multifd.Cli.Rendering;
using Multifd.Engine.Tracing;
using Multifd.Specifications;

namespace Multifd.Checker.Tests.QemuLog;

/// <summary>One way QEMU writes its log: the release, time prefix, and whether -d tid split it per thread.</summary>
public sealed record LogForm(string Name, QemuVersion Version, bool Timestamps, bool SplitPerThread)
{
    public static readonly IReadOnlyList<LogForm> All =
    [
        new("10.1", QemuVersion.V10_1, false, false),
        new("10.1 timestamps", QemuVersion.V10_1, true, false),
        new("10.0 TID@", QemuVersion.V10_0, true, false),
        new("10.0 -d tid", QemuVersion.V10_0, true, true),
        new("10.1 -d tid", QemuVersion.V10_1, true, true),
    ];

    public override string ToString() => Name;
}

/// <summary>A schedule exported as QEMU logs (one per QEMU, or per thread) and observed.</summary>
/// <param name="LastEvent">Where the schedule's last event is in the logs ("line N" or "FILE:N"), if QEMU traces it.</param>
public sealed record ObservedSchedule(ObserveResult Result, string? LastEvent, IReadOnlyList<string> Files, string Logs);

/// <summary>
/// The round trip: a schedule of the model, written as QEMU's log backend would (`show --format qemu-log`), read back by
/// `observe`. Used by the round-trip tests on the curated bundles, the manifest's bug entries and passing schedules.
/// </summary>
public static class RoundTrip
{
    public static ObservedSchedule Observe(EventLog events, LogForm form, TempFolder folder, bool ended)
    {
        var files = new List<string>();
        string? lastEvent = null;
        var last = events.Events.Count > 0 ? events.Events[^1] : null;
        foreach (var side in new[] { "destination", "source" })
        {
            var text = QemuLogExport.Render(events, side, form.Version, form.Timestamps);
            var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            if (lines.Length == 0)
            {
                continue;
            }

            var exported = events.Events.Where(e => e.Side == side && QemuTraceEvents.Find(e.Event, form.Version) is not null).ToList();
            Assert.Equal(exported.Count, lines.Length);
            if (form.Version == QemuTraceEvents.Reference && !form.Timestamps)
            {
                // Each line read back is the engine's event again: the reader's records print the same line.
                foreach (var line in lines)
                {
                    var parsed = TraceLineParser.Parse(line);
                    Assert.True(parsed.Kind == LineKind.PathEvent, $"{line}: {parsed.Kind} {parsed.Problem}");
                    if (QemuLogEvents.ToEvent(parsed.Event!, parsed.Values!) is { } e)
                    {
                        Assert.Equal(line, e.ToString() + (e.Args.Length == 0 ? " " : ""));
                    }
                }
            }

            if (!form.SplitPerThread)
            {
                var path = folder.File($"{form.Name.Replace(' ', '-')}-{side}.log");
                File.WriteAllText(path, text);
                files.Add(path);
                if (last is not null && exported.Count > 0 && ReferenceEquals(exported[^1], last))
                {
                    lastEvent = $"{Path.GetFileName(path)}:{lines.Length}";
                }

                continue;
            }

            // -d tid: one file per thread; here the model's thread names stand for the thread ids of the file names.
            var byThread = exported.Select((e, i) => (e, Line: lines[i])).GroupBy(p => p.e.Thread).ToList();
            foreach (var thread in byThread)
            {
                var path = folder.File($"{form.Name.Replace(' ', '-')}-{side}.{thread.Key.Replace('[', '-').Replace("]", "")}.log");
                File.WriteAllText(path, string.Concat(thread.Select(p => p.Line + "\n")));
                files.Add(path);
                var n = thread.ToList().FindIndex(p => ReferenceEquals(p.e, last));
                if (n >= 0)
                {
                    lastEvent = $"{Path.GetFileName(path)}:{n + 1}";
                }
            }
        }

        if (lastEvent is not null && files.Count == 1)
        {
            lastEvent = $"line {lastEvent[(lastEvent.LastIndexOf(':') + 1)..]}";
        }

        var result = LogObserver.Run(new ObserveOptions(files, ObserveSide.Both, ended));
        var logs = string.Join("\n", files.Select(f => $"--- {Path.GetFileName(f)}\n{File.ReadAllText(f)}"));
        return new ObservedSchedule(result, lastEvent, files, logs);
    }

    /// <summary>
    /// What observe must say of a schedule the model ended with <paramref name="model"/> (null: the schedule passed):
    /// no violation before the model's, the model's own if its clause reads only QEMU's events, "not checkable" for every
    /// property whose events QEMU does not trace; at the schedule's last event another property may fail too (the model
    /// stops at its first).
    /// </summary>
    public static IReadOnlyList<string> Problems(Violation? model, ObservedSchedule observed)
    {
        var problems = new List<string>();
        foreach (var p in observed.Result.Properties.Where(p => p.Violated))
        {
            var v = p.Violations[0];
            var isModels = model is not null && p.Id == model.Property;
            var atTheEnd = model is not null && v.Where == observed.LastEvent;
            if (!isModels && !atTheEnd)
            {
                problems.Add($"observe found {p.Id} {p.Name} at {v.Where} ({v.Message}), the model {(model is null ? "no violation" : $"{model.Property} {model.Name}")}");
            }

            if (p.Coverage.Level == CoverageLevel.NotCheckable)
            {
                problems.Add($"{p.Id} is not checkable from the log, yet observe reports it violated");
            }
        }

        if (model is { SeenInQemuTrace: true } && !observed.Result.Properties.Any(p => p.Id == model.Property && p.Violated))
        {
            problems.Add($"the model's {model.Property} {model.Name} reads only QEMU events ({model.Message}), but observe did not find it");
        }

        foreach (var id in new[] { "P6", "P7", "P11" })
        {
            if (observed.Result.Properties.FirstOrDefault(p => p.Id == id) is { } p && p.Coverage.Level != CoverageLevel.NotCheckable)
            {
                problems.Add($"{id} should be not checkable from a QEMU log, observe says {p.Coverage.Label}");
            }
        }

        return problems;
    }
}

using System.Text.Json;
using System.Text.Json.Nodes;
using Multifd.Checker.Scenarios;
using Multifd.Cli.Reports;

namespace Multifd.Cli.Bundles;

/// <summary>What a bundle holds, ready to be written.</summary>
/// <param name="Trace">Coyote's reproducible trace of the failing schedule.</param>
/// <param name="Scenario">The exact effective scenario (its variant and exploration bounds as run).</param>
public sealed record BundleContents(string Trace, Scenario Scenario, string ReportJson, string Timeline, EventLog Events);

/// <summary>A bundle read back and checked: every file present and well-formed.</summary>
public sealed record LoadedBundle(string Directory, string Trace, Scenario Scenario, JsonObject Report, EventLog Events)
{
    public string Property => Events.Property;

    public string Message => Events.Message;

    /// <summary>The liveness threshold the bundle was made with (it is not part of Coyote's trace settings).</summary>
    public uint LivenessTemperatureThreshold =>
        Report["bounds"]?["livenessTemperatureThreshold"] is JsonValue v && v.TryGetValue<uint>(out var t) ? t : 2000;
}

/// <summary>
/// A trace bundle: one folder per violation, <c>&lt;out&gt;/&lt;scenario&gt;-&lt;variant&gt;-&lt;seed&gt;/</c>, holding
/// everything needed to replay, read and minimize it (docs/cli.md, traces/README.md). Written atomically: built in
/// a hidden temporary folder beside it and renamed into place, so an interrupted run never leaves half a bundle.
/// </summary>
public static class TraceBundle
{
    public const string TraceFile = "trace.json";
    public const string ScenarioFile = "scenario.json";
    public const string ReportFile = "report.json";
    public const string TimelineFile = "timeline.txt";
    public const string EventsFile = "events.json";
    public const string ReplayFile = "REPLAY";

    public static readonly IReadOnlyList<string> Files = [TraceFile, ScenarioFile, ReportFile, TimelineFile, EventsFile, ReplayFile];

    public static readonly JsonSerializerOptions EventJson = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        RespectNullableAnnotations = true,
    };

    public static string Name(string scenario, string variant, uint seed) => $"{scenario}-{variant}-{seed}";

    /// <summary>The command that replays a bundle, run from the repository root.</summary>
    public static string ReplayCommand(string bundle) => $"dotnet run --project src/Multifd.Cli -- replay {Quote(DisplayPath(bundle))}";

    /// <summary>A bundle path as printed: relative to the repository root when inside it, else absolute.</summary>
    public static string DisplayPath(string path)
    {
        var full = Path.GetFullPath(path);
        var root = RepositoryRoot();
        if (root is not null)
        {
            var relative = Path.GetRelativePath(root, full);
            if (!relative.StartsWith("..", StringComparison.Ordinal) && !Path.IsPathRooted(relative))
            {
                return relative;
            }
        }

        return full;
    }

    /// <summary>The repository root (the folder holding models/), or null outside a checkout.</summary>
    public static string? RepositoryRoot() => ModelsFolder.Find() is { } models ? Path.GetDirectoryName(models) : null;

    /// <summary>Writes the bundle to <paramref name="directory"/> atomically, replacing an older one there.</summary>
    public static void Write(string directory, BundleContents contents)
    {
        var final = Path.GetFullPath(directory);
        var parent = Path.GetDirectoryName(final) ?? throw new UsageException($"{directory}: not a folder path");
        System.IO.Directory.CreateDirectory(parent);
        var name = Path.GetFileName(final);
        var temp = Path.Combine(parent, $".{name}.tmp-{Environment.ProcessId}-{Path.GetRandomFileName()}");
        AtomicFile.Track(temp, add: true);
        try
        {
            System.IO.Directory.CreateDirectory(temp);
            File.WriteAllText(Path.Combine(temp, TraceFile), contents.Trace);
            File.WriteAllText(Path.Combine(temp, ScenarioFile), ScenarioLoader.ToJson(contents.Scenario) + "\n");
            File.WriteAllText(Path.Combine(temp, ReportFile), contents.ReportJson);
            File.WriteAllText(Path.Combine(temp, TimelineFile), contents.Timeline);
            File.WriteAllText(Path.Combine(temp, EventsFile), JsonSerializer.Serialize(contents.Events, EventJson) + "\n");
            File.WriteAllText(Path.Combine(temp, ReplayFile),
                "# Replays this bundle's failing schedule; run from the repository root. Exit 2 = reproduced.\n"
                + ReplayCommand(final) + "\n");
            Replace(final, temp);
        }
        finally
        {
            if (System.IO.Directory.Exists(temp))
            {
                System.IO.Directory.Delete(temp, recursive: true);
            }

            AtomicFile.Track(temp, add: false);
        }
    }

    /// <summary>Reads a bundle and checks it is complete and well-formed; a bad one is a one-line UsageException.</summary>
    public static LoadedBundle Load(string directory)
    {
        if (!System.IO.Directory.Exists(directory))
        {
            throw new UsageException(File.Exists(directory)
                ? $"{directory}: a bundle is a folder (give the folder holding {TraceFile})"
                : $"{directory}: no such bundle folder");
        }

        foreach (var file in new[] { TraceFile, ScenarioFile, ReportFile, EventsFile })
        {
            if (!File.Exists(Path.Combine(directory, file)))
            {
                throw new UsageException($"{directory}: incomplete bundle: {file} is missing");
            }
        }

        var trace = File.ReadAllText(Path.Combine(directory, TraceFile));
        var traceJson = ParseObject(directory, TraceFile, trace);
        if (traceJson["Steps"] is not JsonArray { Count: > 0 } || traceJson["Settings"] is not JsonObject)
        {
            throw new UsageException($"{Path.Combine(directory, TraceFile)}: not a Coyote trace (no Settings or no Steps)");
        }

        var scenarioPath = Path.Combine(directory, ScenarioFile);
        var scenario = ScenarioLoader.Parse(File.ReadAllText(scenarioPath), scenarioPath);
        var report = ParseObject(directory, ReportFile, File.ReadAllText(Path.Combine(directory, ReportFile)));
        var events = ReadEvents(directory);
        return new LoadedBundle(directory, trace, scenario, report, events);
    }

    private static EventLog ReadEvents(string directory)
    {
        var path = Path.Combine(directory, EventsFile);
        EventLog? log;
        try
        {
            log = JsonSerializer.Deserialize<EventLog>(File.ReadAllText(path), EventJson);
        }
        catch (JsonException e)
        {
            throw new UsageException($"{path}: not a valid event log ({FirstSentence(e.Message)})");
        }

        if (log is null || log.Events is null || log.Events.Count == 0 || string.IsNullOrEmpty(log.Property))
        {
            throw new UsageException($"{path}: holds no events or no violated property");
        }

        for (var i = 0; i < log.Events.Count; i++)
        {
            if (log.Events[i].Step != i + 1)
            {
                throw new UsageException($"{path}: event {i + 1} has step {log.Events[i].Step} (the log is cut or edited)");
            }
        }

        return log;
    }

    private static JsonObject ParseObject(string directory, string file, string text)
    {
        try
        {
            return JsonNode.Parse(text) as JsonObject
                ?? throw new UsageException($"{Path.Combine(directory, file)}: not a JSON object");
        }
        catch (JsonException e)
        {
            throw new UsageException($"{Path.Combine(directory, file)}: not valid JSON ({FirstSentence(e.Message)})");
        }
    }

    private static string FirstSentence(string message)
    {
        var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        return (cut > 0 ? message[..cut] : message).ReplaceLineEndings(" ").TrimEnd('.', ' ');
    }

    private static void Replace(string final, string temp)
    {
        if (!System.IO.Directory.Exists(final))
        {
            System.IO.Directory.Move(temp, final);
            return;
        }

        var old = Path.Combine(Path.GetDirectoryName(final)!, $".{Path.GetFileName(final)}.old-{Environment.ProcessId}-{Path.GetRandomFileName()}");
        System.IO.Directory.Move(final, old);
        System.IO.Directory.Move(temp, final);
        System.IO.Directory.Delete(old, recursive: true);
    }

    private static string Quote(string path) => path.Contains(' ', StringComparison.Ordinal) ? $"\"{path}\"" : path;
}

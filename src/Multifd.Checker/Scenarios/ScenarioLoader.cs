using System.Text.Json;
using System.Text.Json.Serialization;
using Multifd.Engine;
using Multifd.Specifications;

namespace Multifd.Checker.Scenarios;

/// <summary>A scenario file that cannot be used: says the file, the field and what is wrong, in one line.</summary>
public sealed class ScenarioException(string file, string field, string problem)
    : Exception($"{file}: {(field.Length == 0 ? "" : field + ": ")}{problem}")
{
    public string File { get; } = file;

    public string Field { get; } = field;
}

/// <summary>Reads and validates scenario files strictly: unknown fields, wrong types and bad values are errors.</summary>
public static class ScenarioLoader
{
    public static readonly JsonSerializerOptions Json = CreateOptions();

    public static Scenario LoadFile(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ScenarioException(path, "", $"cannot read: {e.Message}");
        }

        var scenario = Parse(text, path);
        if (scenario.Name == "unnamed")
        {
            scenario = scenario with { Name = System.IO.Path.GetFileNameWithoutExtension(path) };
        }

        return scenario;
    }

    public static Scenario Parse(string json, string file)
    {
        Scenario? scenario;
        try
        {
            scenario = JsonSerializer.Deserialize<Scenario>(json, Json);
        }
        catch (JsonException e)
        {
            throw new ScenarioException(file, FieldOf(e.Path), Explain(e));
        }

        if (scenario is null)
        {
            throw new ScenarioException(file, "", "the file holds null, not a scenario object");
        }

        Validate(scenario, file);
        return scenario;
    }

    public static string ToJson(Scenario scenario) => JsonSerializer.Serialize(scenario, Json);

    private static void Validate(Scenario s, string file)
    {
        void Check(bool ok, string field, string problem)
        {
            if (!ok)
            {
                throw new ScenarioException(file, field, problem);
            }
        }

        Check(s.Devices.Count is >= 1 and <= 16, "devices", $"needs 1 to 16 devices (got {s.Devices.Count})");
        var names = new HashSet<string>();
        var idstrs = new HashSet<string>();
        for (var i = 0; i < s.Devices.Count; i++)
        {
            var d = s.Devices[i];
            var at = $"devices[{i}]";
            Check(!string.IsNullOrWhiteSpace(d.Name) && d.Name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ':'),
                $"{at}.name", $"must be a non-empty name of letters, digits, '-', '_', '.', ':' (got \"{d.Name}\")");
            Check(names.Add(d.Name), $"{at}.name", $"duplicate device name \"{d.Name}\"");
            Check(d.Idstr is null || (d.Idstr.Length > 0 && System.Text.Encoding.UTF8.GetByteCount(d.Idstr) <= 255 && !d.Idstr.Any(char.IsWhiteSpace)
                                      && !d.Idstr.Any(char.IsControl)),
                $"{at}.idstr", $"must be 1 to 255 bytes without spaces (got \"{d.Idstr}\")");
            Check(idstrs.Add(d.EffectiveIdstr), $"{at}.idstr", $"duplicate idstr \"{d.EffectiveIdstr}\"");
            Check(d.StateBytes >= 0, $"{at}.stateBytes", $"must not be negative (got {d.StateBytes})");
            Check(d.StateBytes <= 1 << 20, $"{at}.stateBytes", $"at most 1 MiB in a model (got {d.StateBytes})");
            Check(d.PrecopyBytes >= 0 && d.PrecopyBytes <= d.StateBytes, $"{at}.precopyBytes",
                $"must be between 0 and stateBytes {d.StateBytes} (got {d.PrecopyBytes})");
            Check(d.ConfigBytes >= 0 && d.ConfigBytes <= 4096, $"{at}.configBytes", $"must be between 0 and 4096 (got {d.ConfigBytes})");
            Check(d.DataBufferSizeBytes >= 1 && d.DataBufferSizeBytes <= 1 << 20, $"{at}.dataBufferSizeBytes",
                $"must be between 1 and 1 MiB (got {d.DataBufferSizeBytes})");
            var packets = (d.StateBytes - d.PrecopyBytes + d.DataBufferSizeBytes - 1) / d.DataBufferSizeBytes;
            Check(packets <= 256, $"{at}.dataBufferSizeBytes",
                $"gives {packets} packets; keep a model at 256 packets per device or fewer");
        }

        CheckSide(s.Source, "source", Check);
        CheckSide(s.Destination, "destination", Check);
        Check(s.Ram.PrecopyRounds is >= 0 and <= 16, "ram.precopyRounds", $"must be between 0 and 16 (got {s.Ram.PrecopyRounds})");
        Check(s.Ram.JobsPerRound is >= 0 and <= 64, "ram.jobsPerRound", $"must be between 0 and 64 (got {s.Ram.JobsPerRound})");
        Check(s.Ram.JobsAtCompletion is >= 0 and <= 64, "ram.jobsAtCompletion", $"must be between 0 and 64 (got {s.Ram.JobsAtCompletion})");
        Check(s.Channels.CapacityBytes >= 0, "channels.capacityBytes", $"must not be negative (got {s.Channels.CapacityBytes})");
        Check(s.Faults.Distinct().Count() == s.Faults.Count, "faults", "lists a fault twice");
        Check(s.MaxFaults is >= 1 and <= 8, "maxFaults", $"must be between 1 and 8 (got {s.MaxFaults})");
        Check(s.FaultPoints == Simulation.FaultPoints.Fixed || s.Faults.Count > 0, "faultPoints",
            $"\"{new KebabEnumNaming().ConvertName(s.FaultPoints.ToString())}\" needs at least one fault in \"faults\"");
        Check(Variants.TryParse(s.Variant, out _), "variant",
            $"unknown variant \"{s.Variant}\" (known: {string.Join(", ", Variants.All.Select(v => v.Name))})");
        Check(s.Memory.BudgetBytes >= 1, "memory.budgetBytes", $"must be at least 1 (got {s.Memory.BudgetBytes})");
        Check(s.Exploration.Iterations >= 1, "exploration.iterations", $"must be at least 1 (got {s.Exploration.Iterations})");
        Check(s.Exploration.MaxSteps >= 100, "exploration.maxSteps", $"must be at least 100 (got {s.Exploration.MaxSteps})");
        Check(Strategies.IsKnown(s.Exploration.Strategy), "exploration.strategy",
            $"unknown strategy \"{s.Exploration.Strategy}\" (known: {string.Join(", ", Strategies.Names)})");
        foreach (var situation in s.MustReach)
        {
            Check(Situations.IsKnown(situation), "mustReach",
                $"unknown situation \"{situation}\" (known: {string.Join(", ", Situations.Names)})");
        }

        if (s.Hostile is { } h)
        {
            Check(HostileKinds.IsKnown(h.Kind), "hostile.kind",
                $"unknown hostile behaviour \"{h.Kind}\" (known: {string.Join(", ", HostileKinds.Names)})");
        }
    }

    private static void CheckSide(SideSpec side, string at, Action<bool, string, string> check)
    {
        check(side.MultifdChannels is >= 1 and <= 16, $"{at}.multifdChannels", $"must be between 1 and 16 (got {side.MultifdChannels})");
        if (side.Machine is { } name)
        {
            var machine = MachineType.Parse(name, out var problem);
            check(machine is not null, $"{at}.machine", problem ?? "");
            check(machine!.RunsOn(side.Platform), $"{at}.machine",
                $"\"{name}\" is not a machine type of {ScenarioLoader.PlatformName(side.Platform)}");
        }
    }

    /// <summary>A platform as scenario files write it ("x86_64", "aarch64", "arm", ...).</summary>
    public static string PlatformName(Platform platform) => new KebabEnumNaming().ConvertName(platform.ToString());

    private static string FieldOf(string? jsonPath) =>
        string.IsNullOrEmpty(jsonPath) || jsonPath == "$" ? "" : jsonPath.TrimStart('$', '.');

    private static string Explain(JsonException e)
    {
        var message = e.Message;
        if (message.Contains("could not be mapped", StringComparison.Ordinal))
        {
            return "unknown field (not a scenario knob; see models/README.md)";
        }

        // "The JSON value could not be converted to X. Path: ... | LineNumber: ..." -> keep the first sentence.
        var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        message = cut > 0 ? message[..cut] : message;
        return $"{message.TrimEnd('.')} (line {e.LineNumber + 1})";
    }

    private static JsonSerializerOptions CreateOptions()
    {
        var options = new JsonSerializerOptions
        {
            PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
            UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
            ReadCommentHandling = JsonCommentHandling.Skip,
            AllowTrailingCommas = true,
            WriteIndented = true,
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
            RespectNullableAnnotations = true,
        };
        options.Converters.Add(new JsonStringEnumConverter(new KebabEnumNaming(), allowIntegerValues: false));
        return options;
    }

    /// <summary>Enum values as written in scenario files: kebab-case, and platforms as QEMU names them.</summary>
    private sealed class KebabEnumNaming : JsonNamingPolicy
    {
        public override string ConvertName(string name) => name switch
        {
            "X86_64" => "x86_64",
            _ => KebabCaseLower.ConvertName(name),
        };
    }
}

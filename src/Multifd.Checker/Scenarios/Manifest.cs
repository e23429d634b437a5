using System.Text.Json;
using System.Text.Json.Serialization;
using Multifd.Engine.Ports;
using Multifd.Specifications;

namespace Multifd.Checker.Scenarios;

/// <summary>Whether schedules of a passing scenario may end in a clean migration failure (no property violated).</summary>
public enum CleanFailures
{
    /// <summary>Every schedule must end with the VM running on the destination.</summary>
    Never,
    /// <summary>Schedules may end in success or in a clean failure.</summary>
    Allowed,
    /// <summary>At least one schedule must end in a clean failure (the scenario is about that failure).</summary>
    Required,
}

/// <summary>
/// One expected result (models/manifest.json): a scenario, optionally under another protocol variant, and what
/// exploring it must give — "pass" (no property violated, situations reached, clean failures as stated) or
/// "bug" (exactly this property violated).
/// </summary>
public sealed record ManifestEntry
{
    [JsonRequired]
    public string Scenario { get; init; } = "";

    /// <summary>The protocol variant to run; null: the scenario's own.</summary>
    public string? Variant { get; init; }

    /// <summary>"pass" or "bug".</summary>
    [JsonRequired]
    public string Verdict { get; init; } = "";

    /// <summary>For "bug": the property that must be violated ("P6", "P5b", "P10" for a hang).</summary>
    public string? Property { get; init; }

    /// <summary>
    /// For "bug": other properties the same bug may break first, depending on the schedule (a gap that shows as a hang,
    /// or as a VM start despite the error when the failure comes later); null: only <see cref="Property"/>.
    /// </summary>
    public IReadOnlyList<string>? AlsoProperties { get; init; }

    /// <summary>For "pass": whether clean migration failures may or must occur.</summary>
    public CleanFailures? CleanFailures { get; init; }

    /// <summary>For "pass" with clean failures: the only failure kinds allowed (kebab-case ErrorKind); null: any.</summary>
    public IReadOnlyList<string>? FailureKinds { get; init; }

    /// <summary>Why this is the expected result, where it is not obvious.</summary>
    public string? Note { get; init; }

    /// <summary>For "bug": a deep known bug (docs/deep-variants.md), with the depth the exhaustive mode measured; null: shallow.</summary>
    public DeepBug? Deep { get; init; }

    public bool ExpectsPass => Verdict == "pass";

    /// <summary>Whether a violation of <paramref name="property"/> is this bug entry's expected result.</summary>
    public bool Accepts(string property) => property == Property || (AlsoProperties?.Contains(property) ?? false);

    /// <summary>"P10", or "P10 (or P3)".</summary>
    public string ExpectedProperties() => AlsoProperties is { Count: > 0 } also ? $"{Property} (or {string.Join(", ", also)})" : Property ?? "";

    /// <summary>"tight-count-limit" or "tight-count-limit/queued-count-drift".</summary>
    public string Label => Variant is null ? Scenario : $"{Scenario}/{Variant}";

    public override string ToString() => Label;
}

/// <summary>
/// A deep known bug's measured depth: the fewest delays (check --exhaustive --delay-bound D) at which a complete search
/// finds it, the search with one delay fewer being complete without a violation; and the fault it needs, if any (the
/// fault's point is a random choice, enumerated in full at every bound).
/// </summary>
public sealed record DeepBug
{
    [JsonRequired]
    public int Delays { get; init; }

    /// <summary>The scenario's fault the bug needs (kebab-case), or null.</summary>
    public string? Fault { get; init; }
}

/// <summary>models/manifest.json: every scenario's expected verdict. Read strictly: anything unknown or missing is an error.</summary>
public sealed record Manifest
{
    public const string FileName = "manifest.json";

    [JsonRequired]
    public IReadOnlyList<ManifestEntry> Scenarios { get; init; } = [];

    /// <summary>Property ids a "bug" entry may name: every property of the set, and P10 (a hang found by Coyote).</summary>
    public static IReadOnlyList<string> KnownProperties { get; } =
        [.. PropertySet.CreateAll().Select(p => p.Id), "P10"];

    /// <summary>Reads models/manifest.json and checks that every scenario it names exists beside it.</summary>
    public static Manifest Load(string modelsFolder)
    {
        var path = Path.Combine(modelsFolder, FileName);
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ScenarioException(path, "", $"cannot read: {e.Message}");
        }

        var scenarios = Directory.GetFiles(modelsFolder, "*.json")
            .Select(Path.GetFileNameWithoutExtension)
            .OfType<string>()
            .Where(n => n != Path.GetFileNameWithoutExtension(FileName))
            .ToHashSet();
        return Parse(text, path, scenarios);
    }

    /// <param name="knownScenarios">Scenario names that exist; null: not checked.</param>
    public static Manifest Parse(string json, string file, IReadOnlySet<string>? knownScenarios = null)
    {
        Manifest? manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<Manifest>(json, ScenarioLoader.Json);
        }
        catch (JsonException e)
        {
            var field = string.IsNullOrEmpty(e.Path) || e.Path == "$" ? "" : e.Path.TrimStart('$', '.');
            var problem = e.Message.Contains("could not be mapped", StringComparison.Ordinal)
                ? "unknown field (a manifest entry has scenario, variant, verdict, property, alsoProperties, cleanFailures, failureKinds, note, deep)"
                : e.Message.Split(" Path:")[0].TrimEnd('.') + $" (line {e.LineNumber + 1})";
            throw new ScenarioException(file, field, problem);
        }

        if (manifest is null)
        {
            throw new ScenarioException(file, "", "the file holds null, not a manifest object");
        }

        Validate(manifest, file, knownScenarios);
        return manifest;
    }

    private static void Validate(Manifest m, string file, IReadOnlySet<string>? knownScenarios)
    {
        var seen = new HashSet<string>();
        for (var i = 0; i < m.Scenarios.Count; i++)
        {
            var e = m.Scenarios[i];
            var at = $"scenarios[{i}]";

            void Check(bool ok, string field, string problem)
            {
                if (!ok)
                {
                    throw new ScenarioException(file, $"{at}.{field}", problem);
                }
            }

            Check(e.Scenario.Length > 0, "scenario", "must name a scenario file in models/ (without .json)");
            Check(knownScenarios is null || knownScenarios.Contains(e.Scenario), "scenario",
                $"no such scenario \"{e.Scenario}\" (known: {string.Join(", ", (knownScenarios ?? new HashSet<string>()).Order())})");
            Check(e.Variant is null || Variants.TryParse(e.Variant, out _), "variant",
                $"unknown variant \"{e.Variant}\" (known: {string.Join(", ", Variants.All.Select(v => v.Name))})");
            Check(seen.Add(e.Label), "scenario", $"\"{e.Label}\" is listed twice");
            Check(e.Verdict is "pass" or "bug", "verdict", $"must be \"pass\" or \"bug\" (got \"{e.Verdict}\")");
            if (e.ExpectsPass)
            {
                Check(e.Property is null, "property", "only a \"bug\" entry names the property it violates");
                Check(e.AlsoProperties is null, "alsoProperties", "only a \"bug\" entry names properties it violates");
                Check(e.Deep is null, "deep", "only a \"bug\" entry is a deep known bug");
                Check(e.CleanFailures is not null, "cleanFailures", "a \"pass\" entry must say \"never\", \"allowed\" or \"required\"");
                Check(e.FailureKinds is null || e.CleanFailures != CleanFailures.Never, "failureKinds",
                    "lists failure kinds but cleanFailures is \"never\"");
            }
            else
            {
                Check(e.Property is not null && KnownProperties.Contains(e.Property), "property",
                    $"a \"bug\" entry must name the violated property, one of {string.Join(", ", KnownProperties)} (got \"{e.Property}\")");
                foreach (var also in e.AlsoProperties ?? [])
                {
                    Check(KnownProperties.Contains(also) && also != e.Property, "alsoProperties",
                        $"must name other known properties than \"property\" (got \"{also}\")");
                }

                Check(e.Deep is null || e.Deep.Delays >= 0, "deep.delays", "must be 0 or more");
                Check(e.Deep?.Fault is null || Enum.GetNames<Simulation.Fault>().Select(Variants.Kebab).Contains(e.Deep.Fault), "deep.fault",
                    $"unknown fault \"{e.Deep?.Fault}\" (known: {string.Join(", ", Enum.GetNames<Simulation.Fault>().Select(Variants.Kebab))})");
                Check(e.CleanFailures is null && e.FailureKinds is null, "cleanFailures",
                    "a \"bug\" entry stops at the first violation; it says nothing about clean failures");
            }

            foreach (var kind in e.FailureKinds ?? [])
            {
                Check(Enum.GetNames<ErrorKind>().Select(Variants.Kebab).Contains(kind), "failureKinds",
                    $"unknown failure kind \"{kind}\" (known: {string.Join(", ", Enum.GetNames<ErrorKind>().Select(Variants.Kebab))})");
            }
        }
    }
}

using System.Text.Json;
using System.Text.Json.Nodes;

namespace Multifd.Cli.Reports;

/// <summary>One expected result of models/manifest.json: a scenario (with a variant) passes, or fails a property.</summary>
public sealed record ManifestEntry(string Scenario, string? Variant, string Verdict, string? Property)
{
    public override string ToString() =>
        (Verdict == "bug" && Property is not null ? $"bug {Property}" : Verdict) + (Variant is null ? "" : $" with {Variant}");
}

/// <summary>Reads the expected verdicts of models/manifest.json, leniently (list only shows them).</summary>
public static class Manifest
{
    public static IReadOnlyList<ManifestEntry> Read(string modelsFolder)
    {
        var path = Path.Combine(modelsFolder, "manifest.json");
        try
        {
            if (JsonNode.Parse(File.ReadAllText(path), documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true })
                    ?["scenarios"] is not JsonArray entries)
            {
                return [];
            }

            return entries.OfType<JsonObject>()
                .Select(e => new ManifestEntry(
                    Text(e, "scenario") ?? "",
                    Text(e, "variant"),
                    Text(e, "verdict") ?? "?",
                    Text(e, "property")))
                .Where(e => e.Scenario.Length > 0)
                .ToList();
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException or InvalidOperationException)
        {
            return [];
        }
    }

    private static string? Text(JsonObject o, string field) =>
        o[field] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
}

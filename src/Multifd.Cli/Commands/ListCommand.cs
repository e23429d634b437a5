using System.CommandLine;
using Multifd.Checker;
using Multifd.Checker.Scenarios;
using Multifd.Cli.Reports;
using Multifd.Specifications;

namespace Multifd.Cli.Commands;

/// <summary>`multifd list`: scenarios, variants, properties, situations, hostile kinds and strategies, one line each.</summary>
public static class ListCommand
{
    public static Command Create(CliContext context)
    {
        var command = new Command("list", "List scenarios, variants, properties, situations, hostile kinds and strategies");
        command.SetAction(_ => Execute(context));
        return command;
    }

    public static IEnumerable<string> SituationNames() => Situations.Names;

    private static int Execute(CliContext context)
    {
        var o = context.Out;
        Scenarios(o);
        Section(o, "variants (--variant)", Variants.All.Select(v => (v.Name, $"{v.Description} [{v.Source}]")));
        var properties = PropertySet.CreateAll().Select(p => ($"{p.Id} {p.Name}", p.Statement)).ToList();
        if (!properties.Any(p => p.Item1.StartsWith("P10 ", StringComparison.Ordinal)))
        {
            properties.Add(("P10 NoHang", "No thread waits forever: a deadlock found by Coyote's scheduler is reported as P10."));
        }

        Section(o, "properties", properties.OrderBy(p => PropertyOrder(p.Item1)));
        Section(o, "situations (mustReach)", Situations.All);
        Section(o, "hostile kinds (hostile.kind)", HostileKinds.All);
        Section(o, "strategies (--strategy)", Strategies.Names.Select(s => (s, StrategyDescription(s))));
        return ExitCodes.Pass;
    }

    private static void Scenarios(TextWriter o)
    {
        var models = ModelsFolder.Find();
        if (models is null)
        {
            o.WriteLine("scenarios: models/ not found (run from the repository)");
            o.WriteLine();
            return;
        }

        IReadOnlyList<ManifestEntry> manifest;
        try
        {
            manifest = Manifest.Load(models).Scenarios;
        }
        catch (ScenarioException e)
        {
            o.WriteLine($"manifest: invalid ({e.Message})");
            manifest = [];
        }

        var rows = new List<(string, string)>();
        foreach (var file in Directory.GetFiles(models, "*.json").Where(f => Path.GetFileName(f) != "manifest.json").Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileNameWithoutExtension(file);
            string description;
            try
            {
                var scenario = ScenarioLoader.LoadFile(file);
                description = scenario.Description
                    + (UnmergedKnobs.Of(scenario).Count == 0 ? "" : $" [uses {UnmergedKnobs.Label}]");
            }
            catch (ScenarioException e)
            {
                description = $"(invalid: {e.Message})";
            }

            var expected = manifest.Where(m => m.Scenario == name).Select(Expected).ToList();
            var verdict = expected.Count == 0 ? "expected: not in manifest" : $"expected: {string.Join("; ", expected)}";
            rows.Add((name, $"{verdict}. {description}"));
        }

        Section(o, $"scenarios ({Path.GetRelativePath(Directory.GetCurrentDirectory(), models)})", rows);
    }

    private static string Expected(ManifestEntry m) =>
        (m.ExpectsPass ? "pass" : $"bug {m.Property}") + (m.Variant is null ? "" : $" with {m.Variant}");

    private static void Section(TextWriter o, string title, IEnumerable<(string Name, string Description)> rows)
    {
        var list = rows.ToList();
        o.WriteLine($"{title}:");
        var width = list.Count == 0 ? 0 : list.Max(r => r.Name.Length);
        foreach (var (name, description) in list)
        {
            o.WriteLine($"  {name.PadRight(width)}  {description}");
        }

        o.WriteLine();
    }

    private static int PropertyOrder(string idAndName) =>
        int.TryParse(idAndName.AsSpan(1, idAndName.IndexOf(' ', StringComparison.Ordinal) - 1), out var n) ? n : int.MaxValue;

    private static string StrategyDescription(string name) => name switch
    {
        "portfolio" => "Coyote's fair portfolio: rotates strategies across schedules (default)",
        "random" => "uniformly random scheduling decisions",
        "pct" => "priority-based (PCT): few priority changes, deep bugs cheaply",
        "fair-pct" => "PCT followed by fair scheduling (finds liveness bugs)",
        "probabilistic" => "random walk that mostly keeps the running operation",
        "q-learning" => "reinforcement learning over scheduling decisions",
        _ => "",
    };
}

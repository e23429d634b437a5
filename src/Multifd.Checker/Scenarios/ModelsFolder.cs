namespace Multifd.Checker.Scenarios;

/// <summary>Finds models/ (the scenario files) from the working directory or the assembly's folder upwards.</summary>
public static class ModelsFolder
{
    public static string? Find()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "models");
                if (File.Exists(Path.Combine(candidate, "manifest.json")))
                {
                    return candidate;
                }
            }
        }

        return null;
    }

    /// <summary>A scenario by name (models/NAME.json) or by path.</summary>
    public static Scenario LoadScenario(string nameOrPath)
    {
        if (nameOrPath.EndsWith(".json", StringComparison.OrdinalIgnoreCase) || nameOrPath.Contains('/') || File.Exists(nameOrPath))
        {
            return ScenarioLoader.LoadFile(nameOrPath);
        }

        var models = Find() ?? throw new ScenarioException(nameOrPath, "", "models/ not found (run from the repository, or give a path)");
        var path = Path.Combine(models, nameOrPath + ".json");
        if (!File.Exists(path))
        {
            var known = Directory.GetFiles(models, "*.json").Select(Path.GetFileNameWithoutExtension).Where(n => n != "manifest");
            throw new ScenarioException(nameOrPath, "", $"no such scenario in {models} (known: {string.Join(", ", known.Order())})");
        }

        return ScenarioLoader.LoadFile(path);
    }
}

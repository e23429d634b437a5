using Multifd.Checker.Harness;
using Multifd.Checker.Scenarios;
using Multifd.Simulation;

namespace Multifd.Checker.Entry;

/// <summary>
/// Entry points for `dotnet coyote test Multifd.Checker.dll -m NAME`: one per scenario family.
/// The scenario is read from models/ (found from the working directory upwards), or from the file named by
/// MULTIFD_SCENARIO; MULTIFD_VARIANT overrides its protocol variant.
/// </summary>
public static class ScenarioTests
{
    [Microsoft.Coyote.SystematicTesting.Test]
    public static void Default() => Run("default");

    private static void Run(string name)
    {
        var scenario = ModelsFolder.LoadScenario(Environment.GetEnvironmentVariable("MULTIFD_SCENARIO") ?? name);
        var variant = Variants.Parse(Environment.GetEnvironmentVariable("MULTIFD_VARIANT") ?? scenario.Variant);
        new MigrationRun(scenario, variant, new CoyoteChoices(),
            v => Microsoft.Coyote.Specifications.Specification.Assert(false, v.Message)).Execute();
    }
}

namespace Multifd.Checker;

/// <summary>
/// Error-path sites (<see cref="Engine.Core.ErrorPathSites"/>) that no pass-scenario of models/manifest.json reaches,
/// each with why. SiteCoverageTests asserts that the manifest's pass-scenarios together reach every other site, and
/// that none of these is reached (a listing that went stale fails it). docs/cli.md has the same table.
/// </summary>
public static class UnreachableSites
{
    public static readonly IReadOnlyDictionary<string, string> All = new Dictionary<string, string>
    {
    };
}

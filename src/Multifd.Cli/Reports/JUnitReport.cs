using System.Globalization;
using System.Xml.Linq;

namespace Multifd.Cli.Reports;

/// <summary>
/// JUnit XML for CI: one testcase per scenario; a violation is a failure (type = the property), a pass that
/// missed a must-reach situation is a failure of type "missed-situations", a checker error is an error.
/// </summary>
public static class JUnitReport
{
    public static XDocument Create(IReadOnlyList<ScenarioReport> reports)
    {
        var suite = new XElement("testsuite",
            new XAttribute("name", "multifd check"),
            new XAttribute("tests", reports.Count),
            new XAttribute("failures", reports.Count(r => r.Verdict == "bug" || (r.Verdict == "pass" && (r.MissedSituations.Count > 0 || r.MissedSites.Count > 0)))),
            new XAttribute("errors", reports.Count(r => r.Verdict is "error" or "interrupted")),
            new XAttribute("time", Seconds(reports.Sum(r => r.ElapsedSeconds))));
        foreach (var r in reports)
        {
            suite.Add(TestCase(r));
        }

        return new XDocument(new XDeclaration("1.0", "utf-8", null), new XElement("testsuites", suite));
    }

    private static XElement TestCase(ScenarioReport r)
    {
        var testCase = new XElement("testcase",
            new XAttribute("classname", $"multifd.{r.Variant}"),
            new XAttribute("name", r.Scenario),
            new XAttribute("time", Seconds(r.ElapsedSeconds)));
        if (r.Verdict == "error")
        {
            testCase.Add(new XElement("error",
                new XAttribute("type", "internal"),
                new XAttribute("message", r.InternalError ?? "internal error"),
                r.InternalError));
        }

        if (r.Verdict == "interrupted")
        {
            var message = $"interrupted by {r.InterruptedBy} after {r.Iterations} schedules (of {r.Bounds.Iterations?.ToString(CultureInfo.InvariantCulture) ?? "a time budget"}); no violation until then";
            testCase.Add(new XElement("error",
                new XAttribute("type", "interrupted"),
                new XAttribute("message", message),
                message));
        }

        foreach (var v in r.Violations)
        {
            var details = $"{v.Property} {v.Name}: {v.Message}\n"
                + $"schedule {r.FirstBugIteration} of {r.Iterations} ({r.Strategy}, seed {r.Seed})\n"
                + (r.Bundle is null ? "" : $"bundle: {r.Bundle}\nreplay: {Bundles.TraceBundle.ReplayCommand(r.Bundle)}\n");
            testCase.Add(new XElement("failure",
                new XAttribute("type", v.Property),
                new XAttribute("message", $"{v.Property} {v.Name}: {v.Message}"),
                details));
        }

        if (r.Verdict == "pass" && r.MissedSituations.Count > 0)
        {
            var message = $"passed {r.Iterations} schedules but never reached: {string.Join(", ", r.MissedSituations)}";
            testCase.Add(new XElement("failure",
                new XAttribute("type", "missed-situations"),
                new XAttribute("message", message),
                message));
        }

        if (r.Verdict == "pass" && r.MissedSites.Count > 0)
        {
            var message = $"passed {r.Iterations} schedules but never took error-path sites: {string.Join(", ", r.MissedSites)}";
            testCase.Add(new XElement("failure",
                new XAttribute("type", "missed-sites"),
                new XAttribute("message", message),
                message));
        }

        return testCase;
    }

    private static string Seconds(double seconds) => seconds.ToString("F3", CultureInfo.InvariantCulture);
}

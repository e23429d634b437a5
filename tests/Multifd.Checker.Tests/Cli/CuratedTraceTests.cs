using System.Text.Json;
using System.Text.RegularExpressions;
using Multifd.Checker.Scenarios;

namespace Multifd.Checker.Tests.Cli;

/// <summary>
/// The curated bundles in traces/ (QEMU findings) replay: `multifd replay` reproduces the same property, message
/// and events. A change to the scheduling points on a bundle's path breaks it: make it again with
/// `multifd check --scenario NAME --out traces` (see traces/README.md).
/// Each bundle also shows the finding traces/README.md lists it for: traces/findings.json pins the finding's
/// property, the hang explanation's threads and what they wait for, and the events that make it that finding.
/// </summary>
public class CuratedTraceTests
{
    private static string Traces => Path.Combine(Path.GetDirectoryName(ModelsFolder.Find()!)!, "traces");

    private static IEnumerable<string> BundleDirs() =>
        Directory.GetDirectories(Traces).Where(d => File.Exists(Path.Combine(d, "trace.json"))).Order(StringComparer.Ordinal);

    public static TheoryData<string> Bundles()
    {
        var data = new TheoryData<string>();
        foreach (var dir in BundleDirs())
        {
            data.Add(dir);
        }

        return data;
    }

    [Fact]
    public void TracesHoldTheFindingsBundles() => Assert.True(Bundles().Count >= 5, "traces/ lost its curated bundles");

    [Theory]
    [MemberData(nameof(Bundles))]
    public void BundleReplays(string bundle)
    {
        var run = CliRunner.Run("replay", bundle);
        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Contains("reproduced", run.Out);
    }

    /// <summary>The expectation traces/findings.json gives one bundle.</summary>
    public sealed record FindingExpectation(
        string Finding,
        string Property,
        string[] Message,
        string[] MessageAbsent,
        string[] Events,
        string[] AbsentEvents);

    /// <summary>What a bundle holds that a finding is checked against: its property, message and events.</summary>
    public sealed record BundleFacts(string Property, string Message, IReadOnlyList<(string Thread, string Event, string Args)> Events);

    public static IReadOnlyDictionary<string, FindingExpectation> Findings()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Traces, "findings.json")));
        static string[] Strings(JsonElement e, string name) =>
            e.TryGetProperty(name, out var a) ? a.EnumerateArray().Select(s => s.GetString()!).ToArray() : [];
        var result = new Dictionary<string, FindingExpectation>(StringComparer.Ordinal);
        foreach (var b in doc.RootElement.GetProperty("bundles").EnumerateObject())
        {
            result[b.Name] = new FindingExpectation(
                b.Value.GetProperty("finding").GetString()!,
                b.Value.GetProperty("property").GetString()!,
                Strings(b.Value, "message"),
                Strings(b.Value, "messageAbsent"),
                Strings(b.Value, "events"),
                Strings(b.Value, "absentEvents"));
        }

        return result;
    }

    public static BundleFacts Facts(string bundle)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(bundle, "events.json")));
        var root = doc.RootElement;
        var events = root.GetProperty("events").EnumerateArray()
            .Select(e => (e.GetProperty("thread").GetString()!, e.GetProperty("event").GetString()!, e.GetProperty("args").GetString() ?? ""))
            .ToList();
        return new BundleFacts(root.GetProperty("property").GetString()!, root.GetProperty("message").GetString()!, events);
    }

    /// <summary>Every way the bundle's facts miss the expectation; empty when the bundle shows the finding.</summary>
    public static List<string> Mismatches(BundleFacts facts, FindingExpectation expected)
    {
        var misses = new List<string>();
        if (facts.Property != expected.Property)
        {
            misses.Add($"property {facts.Property}, expected {expected.Property}");
        }

        misses.AddRange(expected.Message.Where(m => !facts.Message.Contains(m, StringComparison.Ordinal)).Select(m => $"message lacks \"{m}\""));
        misses.AddRange(expected.MessageAbsent.Where(m => facts.Message.Contains(m, StringComparison.Ordinal)).Select(m => $"message has \"{m}\""));

        var lines = facts.Events.Select(e => $"{e.Thread} {e.Event} {e.Args}".TrimEnd()).ToList();
        var at = 0;
        foreach (var pattern in expected.Events)
        {
            while (at < lines.Count && !lines[at].Contains(pattern, StringComparison.Ordinal))
            {
                at++;
            }

            if (at == lines.Count)
            {
                misses.Add($"no event \"{pattern}\" (in this order)");
                break;
            }

            at++;
        }

        foreach (var pattern in expected.AbsentEvents)
        {
            foreach (var e in facts.Events)
            {
                var text = $"{e.Event} {e.Args}".TrimEnd();
                if (text == pattern || text.StartsWith(pattern + " ", StringComparison.Ordinal))
                {
                    misses.Add($"has event \"{text}\"");
                }
            }
        }

        return misses;
    }

    [Fact]
    public void EveryBundleHasAFindingAndEveryFindingABundle()
    {
        var bundles = BundleDirs().Select(Path.GetFileName).Select(n => n!).ToHashSet(StringComparer.Ordinal);
        var pinned = Findings().Keys.ToHashSet(StringComparer.Ordinal);
        Assert.Empty(bundles.Except(pinned)); // a bundle in traces/ that findings.json does not pin
        Assert.Empty(pinned.Except(bundles)); // findings.json names a bundle that is gone
    }

    /// <summary>traces/README.md's findings table lists each bundle under the finding findings.json gives it.</summary>
    [Fact]
    public void ReadmeTableListsEachBundleUnderItsFinding()
    {
        var readme = File.ReadAllText(Path.Combine(Traces, "README.md"));
        var listed = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (Match row in Regex.Matches(readme, @"^\| (F\d+) \| ([^|]*) \|", RegexOptions.Multiline))
        {
            foreach (Match name in Regex.Matches(row.Groups[2].Value, @"`([^`]+)`"))
            {
                listed[name.Groups[1].Value] = row.Groups[1].Value;
            }
        }

        foreach (var (bundle, expected) in Findings())
        {
            Assert.True(listed.TryGetValue(bundle, out var finding), $"traces/README.md does not list {bundle}");
            Assert.Equal(expected.Finding, finding);
        }
    }

    /// <summary>The replayed violation is the finding the bundle is listed for.</summary>
    [Theory]
    [MemberData(nameof(Bundles))]
    public void BundleShowsItsFinding(string bundle)
    {
        var expected = Findings()[Path.GetFileName(bundle)];
        var run = CliRunner.Run("replay", bundle);
        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Contains("identical:", run.Out); // the replay's events are the bundle's events.json
        var reproduced = run.OutLines.Single(l => l.StartsWith("reproduced: ", StringComparison.Ordinal))["reproduced: ".Length..];
        var facts = Facts(bundle);
        Assert.StartsWith($"{expected.Property} ", reproduced);
        Assert.EndsWith(facts.Message, reproduced);
        var misses = Mismatches(facts with { Message = reproduced }, expected);
        Assert.True(misses.Count == 0, $"{Path.GetFileName(bundle)} does not show {expected.Finding}: {string.Join("; ", misses)}");
    }

    /// <summary>
    /// The expectations tell the findings apart: each bundle misses the expectation of every bundle of another
    /// finding (so an F1 bundle could not pass as F9, nor an F4 one as F3).
    /// </summary>
    [Fact]
    public void ExpectationsTellTheFindingsApart()
    {
        var findings = Findings();
        var facts = findings.Keys.ToDictionary(b => b, b => Facts(Path.Combine(Traces, b)), StringComparer.Ordinal);
        foreach (var (bundle, own) in findings)
        {
            foreach (var (other, expected) in findings.Where(f => f.Value.Finding != own.Finding))
            {
                Assert.True(Mismatches(facts[bundle], expected).Count > 0, $"{bundle} ({own.Finding}) also passes {other}'s expectation ({expected.Finding})");
            }
        }
    }
}

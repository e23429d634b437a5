using System.Text.Json;
using System.Text.RegularExpressions;
using Multifd.Checker.Scenarios;
using Multifd.Checker.Tests.Cli;

namespace Multifd.Checker.Tests.QemuLog;

/// <summary>
/// The hand-written QEMU logs of QemuLog/Fixtures (fixtures.json): `multifd observe` gives each its expected exit code,
/// exactly its expected violated properties, and the lines it must print (violations with their log line numbers, broken
/// lines on stderr); never a stack trace.
/// </summary>
public partial class ObserveFixtureTests
{
    public static string Folder => Path.Combine(Path.GetDirectoryName(ModelsFolder.Find()!)!, "tests", "Multifd.Checker.Tests", "QemuLog", "Fixtures");

    public static TheoryData<string> Fixtures()
    {
        var data = new TheoryData<string>();
        foreach (var f in Load())
        {
            data.Add(f.Name);
        }

        return data;
    }

    [Fact]
    public void EveryFixtureFileIsUsed()
    {
        var used = Load().SelectMany(f => f.Files).Select(f => Path.GetFullPath(Path.Combine(Folder, f))).ToHashSet();
        var files = Directory.GetFiles(Folder, "*", SearchOption.AllDirectories).Where(f => !f.EndsWith("fixtures.json", StringComparison.Ordinal));
        Assert.All(files, f => Assert.Contains(Path.GetFullPath(f), used));
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void FixtureGivesItsVerdict(string name)
    {
        var f = Load().Single(x => x.Name == name);
        var run = CliRunner.Run(["observe", .. f.Files.Select(x => Path.Combine(Folder, x)), .. f.Args]);
        Assert.True(f.Exit == run.ExitCode, $"{name}: expected exit {f.Exit}\n{run}");
        Assert.DoesNotContain("   at ", run.Err);
        Assert.DoesNotContain("internal error", run.Err);
        var violated = ViolatedLine().Matches(run.Out).Select(m => m.Groups[1].Value).ToList();
        Assert.True(f.Violated.Order().SequenceEqual(violated.Order()), $"{name}: expected violated [{string.Join(", ", f.Violated)}], got [{string.Join(", ", violated)}]\n{run}");
        foreach (var text in f.Out)
        {
            Assert.True(run.Out.Contains(text, StringComparison.Ordinal), $"{name}: expected in stdout: {text}\n{run}");
        }

        foreach (var text in f.Err)
        {
            Assert.True(run.Err.Contains(text, StringComparison.Ordinal), $"{name}: expected in stderr: {text}\n{run}");
        }

        if (f.Exit == 1 && run.Out.Length == 0)
        {
            Assert.Single(run.ErrLines);
        }
        else
        {
            // Every property has its line: checked, partly checked, not checkable, or VIOLATED.
            foreach (var id in new[] { "P1", "P2", "P3", "P4", "P5", "P5b", "P6", "P7", "P8", "P9", "P10", "P11", "P12" })
            {
                Assert.Matches(new Regex($"^{id} +[A-Za-z]+ +(checked|partly checked|not checkable|VIOLATED)", RegexOptions.Multiline), run.Out);
            }
        }
    }

    private sealed record Fixture(string Name, string[] Files, string[] Args, int Exit, string[] Violated, string[]? OutLines, string[]? ErrLines)
    {
        public IEnumerable<string> Out => OutLines ?? [];

        public IEnumerable<string> Err => ErrLines ?? [];
    }

    private static List<Fixture> Load()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, "fixtures.json")));
        return doc.RootElement.GetProperty("fixtures").EnumerateArray().Select(e => new Fixture(
            e.GetProperty("name").GetString()!,
            [.. e.GetProperty("files").EnumerateArray().Select(x => x.GetString()!)],
            [.. e.GetProperty("args").EnumerateArray().Select(x => x.GetString()!)],
            e.GetProperty("exit").GetInt32(),
            [.. e.GetProperty("violated").EnumerateArray().Select(x => x.GetString()!)],
            e.TryGetProperty("out", out var o) ? [.. o.EnumerateArray().Select(x => x.GetString()!)] : null,
            e.TryGetProperty("err", out var r) ? [.. r.EnumerateArray().Select(x => x.GetString()!)] : null)).ToList();
    }

    [GeneratedRegex(@"^(P[0-9]+b?) +[A-Za-z]+ +VIOLATED", RegexOptions.Multiline)]
    private static partial Regex ViolatedLine();
}

using System.Diagnostics;
using Multifd.Checker.Scenarios;
using Multifd.Cli.Drift;

namespace Multifd.Checker.Tests.Cli;

/// <summary>
/// `multifd drift` on the fake QEMU tree of Fixtures/drift (written for these tests): names present, moved, renamed
/// and removed; a git repository at two revisions; bad input; and the real engine map's list.
/// </summary>
public sealed class DriftTests : IDisposable
{
    private readonly TempFolder temp = new();

    private static string Root => Path.GetDirectoryName(ModelsFolder.Find()!)!;

    private static string Fixture => Path.Combine(Root, "tests", "Multifd.Checker.Tests", "Fixtures", "drift");

    private static string FixtureTree => Path.Combine(Fixture, "qemu");

    private static string FixtureMap => Path.Combine(Fixture, "map.md");

    private static string RealMap => Path.Combine(Root, "docs", "engine-map.md");

    public void Dispose() => temp.Dispose();

    /// <summary>The fixture map with only the rows whose names the fixture tree has.</summary>
    private string PresentOnlyMap()
    {
        var drifting = new[] { "gone.c", "want_exit", "vfio_multifd_setup", "vfio_load_setup", "thread_end", "load-config-after-iter" };
        var lines = File.ReadAllLines(FixtureMap).Where(l => !drifting.Any(d => l.Contains(d, StringComparison.Ordinal)));
        var map = temp.File("present.md");
        File.WriteAllLines(map, lines);
        return map;
    }

    [Fact]
    public void AllPresentExitsZero()
    {
        var run = CliRunner.Run("drift", FixtureTree, "--map", PresentOnlyMap());
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("(VERSION 99.0.50): 11 names from present.md", run.Out);
        Assert.EndsWith("no drift: all 11 names present\n", run.Out);
    }

    [Fact]
    public void ListsWhatMovedWasRenamedOrWasRemovedAndExitsTwo()
    {
        var run = CliRunner.Run("drift", FixtureTree, "--map", FixtureMap);
        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Equal(
        [
            $"drift {FixtureTree} (VERSION 99.0.50): 17 names from map.md",
            "  removed  file hw/vfio/gone.c: not found",
            "  renamed? function vfio_load_bufs_thread_want_exit (hw/vfio/migration-multifd.c): gone; similar: vfio_load_bufs_thread_wants_exit (hw/vfio/migration-multifd.c)",
            "  moved    function vfio_multifd_setup (hw/vfio/migration-multifd.c): now in hw/vfio/migration.c",
            // a prototype is not a definition (and vfio_multifd_setup, the only alike name there, is listed itself)
            "  removed  function vfio_load_setup (hw/vfio/migration.c): not found anywhere in the tree",
            // vfio_load_bufs_thread_start is as alike, but the map lists it: it is not the renamed one
            "  renamed? trace-event vfio_load_bufs_thread_end (hw/vfio/trace-events): gone; similar: vfio_load_bufs_thread_finish (hw/vfio/trace-events)",
            "  removed  property x-migration-load-config-after-iter (hw/vfio/pci.c): not found anywhere in the tree",
            "drift found: 6 of 17 names (1 moved, 3 removed, 2 renamed)",
        ], run.OutLines);
        Assert.Empty(run.Err);
    }

    [Fact]
    public void VerboseAlsoListsThePresentNames()
    {
        var run = CliRunner.Run("drift", FixtureTree, "--map", FixtureMap, "--verbose");
        Assert.Contains("  present  function VFIO_STUB_MACRO (hw/vfio/migration-multifd.c)", run.OutLines);
        Assert.Contains("  present  trace-event vfio_load_bufs_thread_start (hw/vfio/trace-events)", run.OutLines);
        Assert.Contains("  present  symbol multifd_recv_state (migration/multifd.c)", run.OutLines);
        Assert.DoesNotContain(run.OutLines, l => l.Contains("not_read_after_the_next_heading"));
    }

    [Theory]
    [InlineData("no-such-dir", "no such directory")]
    [InlineData("empty", "not a QEMU tree (none of the")]
    public void ABadTreeIsOneLineAndExitsOne(string name, string problem)
    {
        var tree = temp.File(name);
        if (name == "empty")
        {
            Directory.CreateDirectory(tree);
        }

        var run = CliRunner.Run("drift", tree, "--map", FixtureMap);
        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.Contains(problem, Assert.Single(run.ErrLines));
        Assert.Empty(run.Out);
    }

    [Fact]
    public void ABadMapIsOneLineAndExitsOne()
    {
        var noSection = temp.File("no-section.md");
        File.WriteAllText(noSection, "# map\n\n| a | b | c |\n");
        var badKind = temp.File("bad-kind.md");
        File.WriteAllText(badKind, $"{EngineMapNames.Heading}\n\n| kind | name | file |\n|---|---|---|\n| method | `x` | `a.c` |\n");
        foreach (var (map, problem) in new[] { (noSection, "no section"), (badKind, "unknown kind \"method\""), (temp.File("none.md"), "cannot read") })
        {
            var run = CliRunner.Run("drift", FixtureTree, "--map", map);
            Assert.True(run.ExitCode == 1, run.ToString());
            Assert.Contains(problem, Assert.Single(run.ErrLines));
        }
    }

    [Fact]
    public void AGitRepositoryIsReadAtTheRevisionGiven()
    {
        var repo = temp.File("repo");
        CopyTree(FixtureTree, repo);
        Git(repo, "init", "-q");
        Git(repo, "add", "-A");
        Git(repo, "commit", "-q", "-m", "fixture");
        var file = Path.Combine(repo, "migration", "multifd.c");
        File.WriteAllText(file, File.ReadAllText(file).Replace("static int multifd_device_state_recv(", "static int multifd_device_state_receive("));
        Git(repo, "commit", "-q", "-am", "rename");
        var map = PresentOnlyMap();

        var before = CliRunner.Run("drift", repo, "--rev", "HEAD~1", "--map", map);
        Assert.True(before.ExitCode == 0, before.ToString());
        Assert.StartsWith($"drift {repo} at HEAD~1 (", before.Out);

        var after = CliRunner.Run("drift", repo, "--rev", "HEAD", "--map", map);
        Assert.True(after.ExitCode == 2, after.ToString());
        Assert.Contains("  renamed? function multifd_device_state_recv (migration/multifd.c): gone; similar: multifd_device_state_receive (migration/multifd.c)", after.OutLines);

        var unknown = CliRunner.Run("drift", repo, "--rev", "v0.0.1", "--map", map);
        Assert.True(unknown.ExitCode == 1, unknown.ToString());
        Assert.Contains("unknown revision \"v0.0.1\"", Assert.Single(unknown.ErrLines));

        var notGit = CliRunner.Run("drift", FixtureTree, "--rev", "HEAD", "--map", map);
        Assert.True(notGit.ExitCode == 1 && notGit.ErrLines.Length == 1, notGit.ToString());
    }

    [Fact]
    public void TheEngineMapListsEveryKindAndParses()
    {
        var names = EngineMapNames.Parse(File.ReadAllText(RealMap), RealMap);
        Assert.True(names.Count >= 200, $"{names.Count} names");
        Assert.All(MapName.Kinds, k => Assert.Contains(names, n => n.Kind == k));
        Assert.Contains(new MapName("function", "vfio_load_state_buffer_insert", "hw/vfio/migration-multifd.c"), names);
        Assert.Contains(new MapName("function", "multifd_device_state_recv", "migration/multifd.c"), names);
        Assert.Contains(new MapName("trace-event", "vfio_load_state_device_buffer_incoming", "hw/vfio/trace-events"), names);
        Assert.Contains(new MapName("property", "x-migration-max-queued-buffers-size", "hw/vfio/pci.c"), names);
        Assert.Contains(new MapName("symbol", "hw_compat_10_0", "hw/core/machine.c"), names);
        Assert.DoesNotContain(names, n => n.Name == "x-migration-max-queued-buffers"); // never merged
    }

    [Fact]
    public void ATreeWithEveryNameOfTheEngineMapHasNoDriftAndLosingOneIsDrift()
    {
        // A tree written from the map's own rows: stub definitions, trace-event lines, property strings and words.
        var names = EngineMapNames.Parse(File.ReadAllText(RealMap), RealMap);
        var tree = temp.File("synthetic");
        foreach (var group in names.GroupBy(n => n.File))
        {
            var path = Path.Combine(tree, group.Key);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllLines(path, group.Select(n => n.Kind switch
            {
                "function" => $"int {n.Name}(void)\n{{\n}}",
                "trace-event" => $"{n.Name}(void) \"\"",
                "property" => $"\"{n.Name}\",",
                "symbol" => $"int {n.Name};",
                _ => "/* file */",
            }));
        }

        var run = CliRunner.Run("drift", tree);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains($"no drift: all {names.Count} names present", run.Out);

        var savevm = Path.Combine(tree, "migration", "savevm.c");
        File.WriteAllText(savevm, File.ReadAllText(savevm).Replace("int qemu_loadvm_thread_pool_wait(void)", "int qemu_loadvm_thread_pool_join(void)"));
        var drift = CliRunner.Run("drift", tree);
        Assert.True(drift.ExitCode == 2, drift.ToString());
        Assert.Contains("  renamed? function qemu_loadvm_thread_pool_wait (migration/savevm.c): gone; similar: qemu_loadvm_thread_pool_join (migration/savevm.c)", drift.OutLines);
        Assert.EndsWith($"drift found: 1 of {names.Count} names (1 renamed)\n", drift.Out);
    }

    private static void CopyTree(string from, string to)
    {
        foreach (var file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    private static void Git(string repo, params string[] args)
    {
        var info = new ProcessStartInfo("git") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "-C", repo, "-c", "user.name=fixture", "-c", "user.email=fixture@example.org", "-c", "commit.gpgsign=false" }.Concat(args))
        {
            info.ArgumentList.Add(a);
        }

        using var p = Process.Start(info)!;
        var err = p.StandardError.ReadToEnd();
        p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"git {string.Join(' ', args)}: {err}");
    }
}

namespace Multifd.Checker.Tests.Cli;

/// <summary>Bad input: exit 1, one line naming the file, the field and the problem, nothing written.</summary>
public sealed class BadInputTests : IDisposable
{
    private readonly TempFolder temp = new();

    [Theory]
    [InlineData("bad-json", "{ \"devices\": [ { \"name\": \"dev0\", \"stateBytes\": 64 ", "devices[0]: ")]
    [InlineData("unknown-knob", "{ \"source\": { \"multifdChannels\": 2, \"x-turbo\": true } }", "source.x-turbo: unknown field")]
    [InlineData("negative-size", "{ \"devices\": [ { \"name\": \"dev0\", \"stateBytes\": -5 } ] }", "devices[0].stateBytes: must not be negative (got -5)")]
    [InlineData("idstr-with-space", "{ \"devices\": [ { \"name\": \"dev0\", \"idstr\": \"0000:00:02.0 /vfio\" } ] }", "devices[0].idstr: must be 1 to 255 bytes without spaces")]
    [InlineData("same-idstr", "{ \"devices\": [ { \"name\": \"a\", \"idstr\": \"x/vfio\" }, { \"name\": \"b\", \"idstr\": \"x/vfio\" } ] }", "devices[1].idstr: duplicate idstr \"x/vfio\"")]
    [InlineData("zero-channels", "{ \"destination\": { \"multifdChannels\": 0 } }", "destination.multifdChannels: must be between 1 and 16 (got 0)")]
    [InlineData("wrong-type", "{ \"channels\": { \"capacityBytes\": \"big\" } }", "channels.capacityBytes: ")]
    [InlineData("unknown-machine", "{ \"source\": { \"machine\": \"sun4m\" } }", "source.machine: unknown machine type \"sun4m\"")]
    [InlineData("machine-of-another-target", "{ \"destination\": { \"machine\": \"virt-10.0\" } }", "destination.machine: \"virt-10.0\" is not a machine type of x86_64")]
    [InlineData("fault-points-without-faults", "{ \"faultPoints\": \"anywhere\" }", "faultPoints: \"anywhere\" needs at least one fault in \"faults\"")]
    [InlineData("unknown-fault-points", "{ \"faults\": [ \"source-cancel\" ], \"faultPoints\": \"everywhere\" }", "faultPoints: ")]
    [InlineData("max-faults-zero", "{ \"faults\": [ \"source-cancel\" ], \"faultPoints\": \"io\", \"maxFaults\": 0 }", "maxFaults: must be between 1 and 8 (got 0)")]
    [InlineData("future-machine", "{ \"source\": { \"platform\": \"aarch64\", \"machine\": \"virt-12.0\" } }", "source.machine: machine type \"virt-12.0\" is newer than QEMU's latest (virt-11.0)")]
    public void MalformedScenarioIsOneLineAndWritesNothing(string name, string json, string expected)
    {
        var file = temp.File($"{name}.json");
        File.WriteAllText(file, json);
        var run = CheckWritingEverything("--scenario", file);
        Assert.Equal($"multifd: {file}: {expected}", run.ErrLines.Single()[..$"multifd: {file}: {expected}".Length]);
    }

    [Theory]
    [InlineData("no such scenario", "--scenario", "no-such-scenario")]
    [InlineData("cannot read", "--scenario", "/nonexistent/x.json")]
    [InlineData("--variant: unknown variant \"nope\"", "--variant", "nope")]
    [InlineData("--strategy: unknown strategy \"dfs\"", "--strategy", "dfs")]
    [InlineData("--iterations: 'many' is not a whole number", "--iterations", "many")]
    [InlineData("--iterations: must be at least 1 (got 0)", "--iterations", "0")]
    [InlineData("--seed: '-3' is not a non-negative whole number", "--seed", "-3")]
    [InlineData("--max-steps: must be at least 100 (got 5)", "--max-steps", "5")]
    [InlineData("--time-budget: must be at least 1 second (got 0)", "--time-budget", "0")]
    [InlineData("Unrecognized command or argument '--turbo'", "--turbo", "1")]
    public void BadOptionIsOneLineAndWritesNothing(string expected, string option, string value)
    {
        var run = CheckWritingEverything(option, value);
        Assert.Contains(expected, run.ErrLines.Single());
    }

    [Fact]
    public void UnknownCommandIsAUsageError()
    {
        var run = CliRunner.Run("frobnicate");
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("Unrecognized command or argument 'frobnicate'", run.ErrLines.Single());
    }

    private CliRun CheckWritingEverything(params string[] args)
    {
        var outDir = temp.File("out");
        var report = temp.File("report.json");
        var junit = temp.File("junit.xml");
        var run = CliRunner.Run(["check", .. args, "--out", outDir, "--report", report, "--junit", junit]);
        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.Equal("", run.Out);
        Assert.Single(run.ErrLines);
        Assert.StartsWith("multifd: ", run.Err);
        Assert.DoesNotContain("   at ", run.Err);
        Assert.False(Directory.Exists(outDir), "the out folder was created");
        Assert.False(File.Exists(report), "a report was written");
        Assert.False(File.Exists(junit), "a JUnit file was written");
        return run;
    }

    public void Dispose() => temp.Dispose();
}

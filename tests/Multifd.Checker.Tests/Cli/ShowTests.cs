using System.Text.RegularExpressions;

namespace Multifd.Checker.Tests.Cli;

/// <summary>`show`: the fixed-column text timeline and the Mermaid diagram of a bundle.</summary>
[Collection(BugBundleCollection.Name)]
public partial class ShowTests(BugBundleFixture fixture)
{
    [Fact]
    public void TextHasOneFixedColumnLinePerProtocolEventAndNoLocks()
    {
        var run = CliRunner.Run("show", fixture.Bundle);
        Assert.True(run.ExitCode == 0, run.ToString());
        var lines = run.OutLines;
        Assert.StartsWith($"# default, variant {BugBundleFixture.Variant}, seed 1: P10 NoHang", lines[0]);
        Assert.Matches(@"^\s+step side thread\s+event\s+\| dev0 idx/last queued\s+\| dev1 idx/last queued$", lines[2]);
        var events = lines.Skip(3).Take(lines.Length - 4).ToList();
        Assert.NotEmpty(events);
        Assert.All(events, line => Assert.Matches(EventLine(), line));
        // The first column separator: " | ", or " |*" where the device's state changed at that event.
        var eventColumn = events.Select(l => l.IndexOf(" |", StringComparison.Ordinal)).Distinct();
        Assert.Single(eventColumn);
        Assert.Contains(events, l => Regex.IsMatch(l, @"^\s+\d+ dst  load\[dev0\]\s+vfio_load_state_device_buffer_starved  \(dev0\) idx 0 "));
        Assert.Contains(events, l => Regex.IsMatch(l, @"^\s+\d+ src  send\[ch\d\]\s+model_multifd_send ch\d dev\d idx \d"));
        Assert.Contains(events, l => Regex.IsMatch(l, @"^\s+\d+ dst  main\s+"));
        Assert.DoesNotContain(events, l => l.Contains("model_mutex_locked", StringComparison.Ordinal));
        Assert.StartsWith("=> P10 NoHang: hang: destination:", lines[^1]);
    }

    [Fact]
    public void VerboseTextShowsLockEvents()
    {
        var run = CliRunner.Run("show", fixture.Bundle, "--verbose");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("model_mutex_locked", run.Out);
    }

    [Fact]
    public void MermaidIsASequenceDiagramOfTheThreads()
    {
        var run = CliRunner.Run("show", fixture.Bundle, "--format", "mermaid");
        Assert.True(run.ExitCode == 0, run.ToString());
        var lines = run.OutLines;
        Assert.Equal("sequenceDiagram", lines[0]);
        Assert.Contains("    box Source QEMU", lines);
        Assert.Contains("    box Destination QEMU", lines);
        Assert.Contains("    participant dst_main as main", lines);
        Assert.Contains("    participant dst_load_dev0 as load[dev0]", lines);
        Assert.Contains(lines, l => Regex.IsMatch(l, @"^    src_send_ch(\d)->>dst_recv_ch\1: \d+ model_multifd_send ch\1 "));
        Assert.Contains(lines, l => Regex.IsMatch(l, @"^    Note over dst_load_dev0: \d+ vfio_load_state_device_buffer_starved  \(dev0\) idx 0$"));
        Assert.DoesNotContain("model_mutex_locked", run.Out);
        Assert.Matches(@"^    Note over src_\w+,dst_\w+: P10 NoHang: hang: destination: ", lines[^1]);
        Assert.All(lines.Skip(1), l => Assert.DoesNotContain(";", l.Replace("#59;", "", StringComparison.Ordinal)));
    }

    [Fact]
    public void HtmlIsOneSelfContainedSwimlanePage()
    {
        var run = CliRunner.Run("show", fixture.Bundle, "--format", "html");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.StartsWith("<!DOCTYPE html>", run.Out);
        Assert.Contains("vfio_load_state_device_buffer_starved  (dev0) idx 0", run.Out);
        Assert.Contains("<script type=\"application/json\" id=\"swimlane-data\">", run.Out);
        // Self-contained: nothing loaded from elsewhere (the only URL is SVG's namespace name).
        Assert.DoesNotMatch(@"(src|href)=""(?!#)", run.Out);
        Assert.DoesNotContain("https://", run.Out);
        Assert.Single(Regex.Matches(run.Out, "http://"));
    }

    [Fact]
    public void UnknownFormatIsAUsageError()
    {
        var run = CliRunner.Run("show", fixture.Bundle, "--format", "svg");
        Assert.Equal(1, run.ExitCode);
        Assert.Single(run.ErrLines);
        Assert.Contains("'svg'", run.Err);
    }

    [GeneratedRegex(@"^\s{0,5}\d+ (src|dst)  \S+\s+\S.*\|[ *]\d+/(\d+|-) q\d+ \d+B\s+\|[ *]\d+/(\d+|-) q\d+ \d+B$")]
    private static partial Regex EventLine();
}

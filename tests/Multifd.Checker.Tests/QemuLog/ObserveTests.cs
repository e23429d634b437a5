using Multifd.Checker.QemuLog;
using Multifd.Checker.Tests.Cli;
using Xunit.Abstractions;

namespace Multifd.Checker.Tests.QemuLog;

/// <summary>`multifd observe` on input it must refuse (one line, exit 1), and on each side of a two-sided log.</summary>
public class ObserveTests
{
    private static string Fixture(string name) => Path.Combine(ObserveFixtureTests.Folder, name);

    [Fact]
    public void MissingFileIsOneLine()
    {
        var run = CliRunner.Run("observe", "/no/such/qemu.log");
        Assert.Equal(1, run.ExitCode);
        Assert.Equal("", run.Out);
        Assert.Single(run.ErrLines);
        Assert.Contains("/no/such/qemu.log: cannot read it", run.Err);
    }

    [Fact]
    public void FolderIsOneLine()
    {
        using var folder = new TempFolder();
        var run = CliRunner.Run("observe", folder.Path);
        Assert.Equal(1, run.ExitCode);
        Assert.Single(run.ErrLines);
        Assert.Contains("a folder, not a log file", run.Err);
    }

    [Fact]
    public void EmptyAndBinaryFilesAreNotLogs()
    {
        using var folder = new TempFolder();
        File.WriteAllText(folder.File("empty.log"), "");
        File.WriteAllBytes(folder.File("core"), [0x7f, (byte)'E', (byte)'L', (byte)'F', 0, 0, 1, 2, (byte)'\n', 0, 0]);
        var empty = CliRunner.Run("observe", folder.File("empty.log"));
        Assert.Equal(1, empty.ExitCode);
        Assert.Single(empty.ErrLines);
        Assert.Contains("empty file, not a QEMU log", empty.Err);
        var binary = CliRunner.Run("observe", folder.File("core"));
        Assert.Equal(1, binary.ExitCode);
        Assert.Single(binary.ErrLines);
        Assert.Contains("not a QEMU log (binary data at line 1)", binary.Err);
    }

    [Fact]
    public void PerThreadFilesWithoutTimesCannotBeMerged()
    {
        using var folder = new TempFolder();
        foreach (var file in Directory.GetFiles(Fixture("dtid")))
        {
            // Drop the ISO-8601 prefix: -d tid without -msg timestamp=on.
            File.WriteAllLines(folder.File(Path.GetFileName(file)), File.ReadAllLines(file).Select(l => l[(l.IndexOf(' ') + 1)..]));
        }

        var run = CliRunner.Run(["observe", .. Directory.GetFiles(folder.Path)]);
        Assert.Equal(1, run.ExitCode);
        Assert.Single(run.ErrLines);
        Assert.Contains("can be merged only by their time prefix", run.Err);
    }

    [Fact]
    public void OneFileWithBothQemusIsRefused()
    {
        using var folder = new TempFolder();
        var both = folder.File("both.log");
        File.WriteAllLines(both, File.ReadAllLines(Fixture("clean-two-devices-after-iter.dst.log"))
            .Concat(File.ReadAllLines(Fixture("clean-two-devices-after-iter.src.log"))));
        var run = CliRunner.Run("observe", both);
        Assert.Equal(1, run.ExitCode);
        Assert.Single(run.ErrLines);
        Assert.Contains("holds events of both the source and the destination QEMU", run.Err);
    }

    [Fact]
    public void SideSelectsTheLogsChecked()
    {
        var run = CliRunner.Run("observe", Fixture("clean-two-devices-after-iter.dst.log"), Fixture("clean-two-devices-after-iter.src.log"),
            "--side", "source", "--ended");
        Assert.Equal(0, run.ExitCode);
        Assert.StartsWith("source: ", run.Out);
        Assert.Contains("skipped (other side): ", run.Out);
        var none = CliRunner.Run("observe", Fixture("clean-two-devices-after-iter.src.log"), "--side", "destination");
        Assert.Equal(1, none.ExitCode);
        Assert.Contains("no destination log among", none.Err);
    }
}

/// <summary>
/// `multifd observe` streams: it measures the managed memory the whole process holds, so it runs alone (a collection
/// with parallelisation off runs after the others, with nothing beside it).
/// </summary>
[Collection(AloneCollection.Name)]
public class ObserveMemoryTests(ITestOutputHelper output)
{
    /// <summary>
    /// A log far larger than its state: the monitors keep per device a few counters and the indexes still out of order,
    /// so what they hold at the end does not grow with the log; progress goes to the progress writer as the file is read.
    /// </summary>
    [Fact]
    public void StreamsALargeLogInFlatMemory()
    {
        using var folder = new TempFolder();
        var small = folder.File("small.log");
        var large = folder.File("large.log");
        var smallBytes = LargeLog.Write(small, buffersPerDevice: 10_000);
        var largeBytes = LargeLog.Write(large, buffersPerDevice: 100_000);
        var (smallRetained, _) = Retained(small);
        var (largeRetained, progress) = Retained(large);
        output.WriteLine($"log {smallBytes >> 10} KiB: {smallRetained >> 10} KiB held at the end; log {largeBytes >> 10} KiB: {largeRetained >> 10} KiB held");
        output.WriteLine(progress);
        Assert.True(largeBytes > 9 * smallBytes, "the large log is not ten times the small one");
        // Ten times the log, the same state: allow noise of the runtime, not growth with the log.
        Assert.True(largeRetained < smallRetained + (smallBytes / 4), $"held {largeRetained} bytes for the large log, {smallRetained} for the small one");
        var lines = progress.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(lines, l => l.StartsWith("observe: scanning ", StringComparison.Ordinal) && l.Contains(" MiB of ", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("observe: checking ", StringComparison.Ordinal));
    }

    /// <summary>Observes a log; returns the managed memory still held once every monitor saw the whole log, and the progress.</summary>
    private static (long Retained, string Progress) Retained(string log)
    {
        var progress = new StringWriter();
        long retained = 0;
        var result = LogObserver.Run(new ObserveOptions([log], ObserveSide.Both, Ended: true, ProgressEveryBytes: 1 << 20, Progress: progress)
        {
            AtEnd = () => retained = GC.GetTotalMemory(forceFullCollection: true),
        });
        Assert.False(result.Violated, string.Join("; ", result.Properties.SelectMany(p => p.Violations).Select(v => v.Message)));
        Assert.Equal(0, result.BrokenCount);
        return (retained, progress.ToString());
    }
}

/// <summary>A generated destination log of one migration with many buffers per device (QEMU 10.1, ISO-8601 times).</summary>
public static class LargeLog
{
    /// <summary>Writes the log; returns its size in bytes.</summary>
    public static long Write(string path, int buffersPerDevice)
    {
        string[] devices = ["0000:65:00.0", "0000:66:00.0"];
        var t = new DateTime(2025, 7, 21, 18, 43, 28, DateTimeKind.Utc);
        using (var w = new StreamWriter(path))
        {
            void Line(string text)
            {
                t = t.AddTicks(10);
                w.Write(t.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z' ", System.Globalization.CultureInfo.InvariantCulture));
                w.Write(text);
                w.Write('\n');
            }

            Line("multifd_recv_thread_start 0");
            Line("multifd_recv_thread_start 1");
            Line("qemu_loadvm_state_section_startfull 0(ram) 0 4");
            for (var d = 0; d < devices.Length; d++)
            {
                Line($"qemu_loadvm_state_section_startfull {d + 1}(0000:00:0{d + 2}.0/vfio) 0 1");
                Line($"vfio_load_state  ({devices[d]}) data 0xffffffffef100003");
            }

            Line("loadvm_process_command com=SWITCHOVER_START len=0");
            foreach (var dev in devices)
            {
                Line($"vfio_load_bufs_thread_start  ({dev})");
            }

            for (var i = 0; i < buffersPerDevice; i++)
            {
                foreach (var dev in devices)
                {
                    // Two channels: pairs of buffers arrive swapped, the load thread writes them in order.
                    var idx = (i % 2 == 0 && i + 1 < buffersPerDevice) ? i + 1 : i % 2 == 1 ? i - 1 : i;
                    Line($"vfio_load_state_device_buffer_incoming  ({dev}) idx {idx}");
                    if (i % 2 == 1 || i + 1 == buffersPerDevice)
                    {
                        for (var k = i % 2 == 1 ? i - 1 : i; k <= i; k++)
                        {
                            if (k == 0)
                            {
                                Line($"vfio_load_state_device_buffer_start  ({dev})");
                            }

                            Line($"vfio_load_state_device_buffer_load_start  ({dev}) idx {k}");
                            Line($"vfio_load_state_device_buffer_load_end  ({dev}) idx {k}");
                        }
                    }
                }
            }

            foreach (var dev in devices)
            {
                Line($"vfio_load_state_device_buffer_incoming  ({dev}) idx {buffersPerDevice}");
                Line($"vfio_load_device_config_state_start  ({dev})");
                Line($"vfio_load_device_config_state_end  ({dev})");
                Line($"vfio_load_bufs_thread_end  ({dev})");
            }

            Line("qemu_loadvm_state_post_main 0");
            Line("process_incoming_migration_co_end ret=0 postcopy-state=0");
            Line("multifd_recv_terminate_threads error 0");
            Line($"multifd_recv_thread_end channel 0 packets {buffersPerDevice + 1}");
            Line($"multifd_recv_thread_end channel 1 packets {buffersPerDevice + 1}");
            Line("vmstate_downtime_checkpoint dst-precopy-bh-vm-started");
            Line("loadvm_state_cleanup ");
            foreach (var dev in devices)
            {
                Line($"vfio_load_cleanup  ({dev})");
            }
        }

        return new FileInfo(path).Length;
    }
}

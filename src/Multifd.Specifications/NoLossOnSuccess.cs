using Multifd.Engine.Ports;

namespace Multifd.Specifications;

/// <summary>
/// P3: the VM starts only if every multifd load thread finished successfully, and then every device on the
/// destination holds exactly the source's state and config (loaded once).
/// </summary>
public sealed class NoLossOnSuccess : Property
{
    private readonly HashSet<string> loadThreadsOk = [];
    private readonly HashSet<string> multifdDevices = [];
    private string? destinationError;

    public override string Id => "P3";

    public override string Statement =>
        "On success the destination devices hold exactly the source's state and config, and no load thread failed or never ran.";

    public override Coverage CoverageOf(Evidence evidence) =>
        evidence.ModelEvents ? Coverage.Full()
        : Coverage.Partly("only \"the VM started after the destination recorded a migration error\" (migrate_error before " +
                          "vmstate_downtime_checkpoint dst-precopy-bh-vm-started); not traced: the bytes loaded, a load thread's result");

    public override void On(Observation o)
    {
        switch (o.Event)
        {
            case LoadSetup { MultifdTransfer: true } e:
                multifdDevices.Add(e.Device);
                break;
            case LoadBufsThreadEnd { Ret: true } e:
                loadThreadsOk.Add(e.Device);
                break;
            case MigrationErrorSet e when o.Side == Side.Destination:
                destinationError ??= e.Message;
                break;
            case VmStarted when destinationError is not null:
                FailOnTrace($"VM started{Here} although the destination recorded a migration error: {destinationError}");
                break;
            case VmStarted:
                var missing = multifdDevices.Where(d => !loadThreadsOk.Contains(d)).ToList();
                if (missing.Count > 0)
                {
                    Fail($"VM started but the load thread of {string.Join(", ", missing)} did not finish successfully");
                }

                break;
        }
    }

    public override void AtEnd(RunEnd end)
    {
        if (!end.DestinationCompleted || end.SourceIsHostile)
        {
            return;
        }

        foreach (var d in end.Devices)
        {
            if (!d.DestinationImage.AsSpan().SequenceEqual(d.SourceImage))
            {
                var at = FirstDifference(d.SourceImage, d.DestinationImage);
                Fail($"{d.Name}: VM started with {d.DestinationImage.Length} of {d.SourceImage.Length} state bytes loaded, first difference at offset {at}");
            }

            if (d.ConfigLoads != 1 || d.DestinationConfig is null || !d.DestinationConfig.AsSpan().SequenceEqual(d.SourceConfig))
            {
                Fail($"{d.Name}: VM started with the config loaded {d.ConfigLoads} times" +
                     (d.DestinationConfig is null ? "" : $", {d.DestinationConfig.Length} bytes vs the source's {d.SourceConfig.Length}"));
            }
        }
    }

    private static int FirstDifference(byte[] a, byte[] b)
    {
        var n = Math.Min(a.Length, b.Length);
        for (var i = 0; i < n; i++)
        {
            if (a[i] != b[i])
            {
                return i;
            }
        }

        return n;
    }
}

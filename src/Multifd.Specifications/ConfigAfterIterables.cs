using Multifd.Engine;
using Multifd.Engine.Ports;

namespace Multifd.Specifications;

/// <summary>
/// P5b (config-after-iterables): on an ARM destination (aarch64 or 32-bit arm: QEMU's target_base_arm()) a VFIO
/// device's config is loaded only after the interrupt controller's section was loaded, and with x-migration-load-config-after-iter in effect only after
/// the main thread processed the device's DEV_CONFIG_LOAD_READY.
/// </summary>
/// <remarks>
/// Part of PROTOCOL.md's P5, kept in its own file because it is the property the ARM interlock (6380b0a02f) exists
/// for: QEMU 10.0 on ARM64 (variant no-config-interlock) breaks it while every clause of ConfigLoadedLast holds.
/// </remarks>
public sealed class ConfigAfterIterables : Property
{
    private readonly Dictionary<string, LoadSetup> setup = [];
    private readonly HashSet<string> loadReady = [];
    private string? interruptController;

    public override string Id => "P5b";

    public override string Statement =>
        "On ARM (aarch64, arm) the VFIO config is loaded after the interrupt controller; with after-iter on, after DEV_CONFIG_LOAD_READY was processed.";

    public override void On(Observation o)
    {
        if (o.Side != Side.Destination)
        {
            return;
        }

        switch (o.Event)
        {
            case LoadSetup e:
                setup[e.Device] = e;
                break;
            case InterruptControllerLoaded e:
                interruptController ??= e.Idstr;
                break;
            case ConfigLoadReady { Duplicate: false } e:
                loadReady.Add(e.Device);
                break;
            case ConfigLoadStart e when setup.TryGetValue(e.Device, out var s):
                if (s.Platform.IsBaseArm() && interruptController is null)
                {
                    Fail($"{e.Device}: config (idx {e.Idx}) loaded on {o.Thread} on an {PlatformName(s.Platform)} destination before the interrupt " +
                         "controller's section was loaded" + (loadReady.Contains(e.Device) ? "" : " (and before DEV_CONFIG_LOAD_READY)"));
                }

                if (s.ConfigAfterIter && !loadReady.Contains(e.Device))
                {
                    Fail($"{e.Device}: config (idx {e.Idx}) loaded on {o.Thread} with config-after-iter on before " +
                         "DEV_CONFIG_LOAD_READY was processed (load_bufs_iter_done was false)");
                }

                break;
        }
    }

    private static string PlatformName(Platform platform) => platform == Platform.Aarch64 ? "aarch64" : "arm";
}

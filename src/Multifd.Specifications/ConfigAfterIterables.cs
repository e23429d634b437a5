using Multifd.Engine;
using Multifd.Engine.Ports;
using Multifd.Engine.Wire;

namespace Multifd.Specifications;

/// <summary>
/// P5b (config-after-iterables): on an ARM destination (aarch64 or 32-bit arm: QEMU's target_base_arm()) a VFIO
/// device's config is loaded only after the interrupt controller's section was loaded, and with x-migration-load-config-after-iter in effect only after
/// the main thread processed the device's DEV_CONFIG_LOAD_READY.
/// </summary>
/// <remarks>
/// Part of PROTOCOL.md's P5, kept in its own file because it is the property the ARM interlock (6380b0a02f) exists
/// for: QEMU 10.0 on ARM64 (variant no-config-interlock) breaks it while every clause of ConfigLoadedLast holds.
/// QEMU traces neither the platform nor the knob: in a log the destination is aarch64 if an ARM interrupt
/// controller's section is loaded somewhere in it, and after-iter is taken as on for a device whose
/// DEV_CONFIG_LOAD_READY the main thread read; a config loaded before that marker is a violation once the load
/// went on (a destination with after-iter off refuses the marker and fails).
/// </remarks>
public sealed class ConfigAfterIterables : Property
{
    private readonly Dictionary<string, LoadSetup> setup = [];
    private readonly HashSet<string> loadReady = [];
    private readonly HashSet<string> loadReadyMarker = [];
    private readonly Dictionary<string, string> configBeforeMarker = [];
    private string? interruptController;

    public override string Id => "P5b";

    public override string Statement =>
        "On ARM (aarch64, arm) the VFIO config is loaded after the interrupt controller; with after-iter on, after DEV_CONFIG_LOAD_READY was processed.";

    public override Coverage CoverageOf(Evidence evidence) =>
        evidence.ModelEvents ? Coverage.Full()
        : !evidence.Shows("vfio_load_device_config_state_start") ? Coverage.None("vfio_load_device_config_state_start never occurs in the log")
        : Coverage.Partly("aarch64 is inferred from an ARM interrupt controller's section in the log (vmstate_load arm_gic...), " +
                          "after-iter from a DEV_CONFIG_LOAD_READY read for the device (vfio_load_state ... 0xffffffffef100006); " +
                          "QEMU traces neither the platform nor the knob" +
                          (evidence.Facts is { InterruptControllerSeen: false } ? " (no interrupt controller section in this log)" : ""));

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
            case LoadStateMarker { Marker: VfioMarkers.DevConfigLoadReady } e:
                loadReadyMarker.Add(e.Device);
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
            case ConfigLoadStart e when !Evidence.ModelEvents && Evidence.Facts is { } facts:
                if (facts.InterruptControllerSeen && interruptController is null)
                {
                    FailOnTrace($"{e.Device}: config loaded on {o.Thread}{Here} on an aarch64 destination before the interrupt " +
                                "controller's section was loaded" + (loadReadyMarker.Contains(e.Device) ? "" : " (and before DEV_CONFIG_LOAD_READY)"));
                }

                if (facts.LoadReadyDevices.Contains(e.Device) && !loadReadyMarker.Contains(e.Device))
                {
                    configBeforeMarker.TryAdd(e.Device, Here);
                }

                break;
            case LoadStatePostMain { Ret: < 0 }:
                // The load failed: a destination with after-iter off refused the marker; nothing was waited for.
                configBeforeMarker.Clear();
                break;
            case LoadStatePostMain or VmStarted when configBeforeMarker.Count > 0:
                var (device, at) = configBeforeMarker.First();
                FailOnTrace($"{device}: config loaded{at} before its DEV_CONFIG_LOAD_READY was read, and the load went on{Here} " +
                            "(with config-after-iter on the load thread waits for the marker)");
                break;
        }
    }

    private static string PlatformName(Platform platform) => platform == Platform.Aarch64 ? "aarch64" : "arm";
}

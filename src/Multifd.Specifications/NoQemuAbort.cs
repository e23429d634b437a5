using Multifd.Engine.Ports;

namespace Multifd.Specifications;

/// <summary>
/// P12: no assert() of QEMU's fails on either side: a failed assertion aborts the QEMU process.
/// </summary>
public sealed class NoQemuAbort : Property
{
    public override string Id => "P12";

    public override string Statement => "No QEMU assertion fails (a failed assert() aborts the process).";

    public override Coverage CoverageOf(Evidence evidence) =>
        evidence.ModelEvents ? Coverage.Full()
        : Coverage.Partly("a failed assert() shows only if QEMU's stderr went into the log (an \"Assertion `...' failed.\" line)");

    public override void On(Observation o)
    {
        if (o.Event is QemuAborted e)
        {
            Fail($"{o.Side.ToString().ToLowerInvariant()} {o.Thread}: assertion failed{Here}: {e.Message}");
        }
    }
}

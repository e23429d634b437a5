using Multifd.Engine.Core;

namespace Multifd.Engine.Tests.Core;

/// <summary>QEMU's assert(): a holding assertion costs no message, a failing one aborts with its values.</summary>
public class QemuAssertTests
{
    private static int formatted;

    private sealed class Counted
    {
        public override string ToString()
        {
            formatted++;
            return "value";
        }
    }

    [Fact]
    public void AHoldingAssertionDoesNotFormatItsMessage()
    {
        formatted = 0;
        QemuAssert.That(true, $"never formatted: {new Counted()}");
        Assert.Equal(0, formatted);
    }

    [Fact]
    public void AFailingAssertionAbortsWithItsValues()
    {
        var e = Assert.Throws<QemuAbortException>(() => QemuAssert.That(1 > 2, $"idx {7} above last {3:D2}"));
        Assert.Equal("idx 7 above last 03", e.Message);
    }
}

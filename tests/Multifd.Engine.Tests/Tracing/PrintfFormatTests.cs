using Multifd.Engine.Tracing;

namespace Multifd.Engine.Tests.Tracing;

/// <summary>The printf subset QEMU's formats on this path use, printed as the C library prints it and parsed back.</summary>
public class PrintfFormatTests
{
    [Theory]
    [InlineData(" (%s) idx %u", new object[] { "0000:65:00.0", 3u }, " (0000:65:00.0) idx 3")]
    [InlineData(" (%s) data 0x%lx", new object[] { "dev0", 0xffffffffef100006UL }, " (dev0) data 0xffffffffef100006")]
    [InlineData(" (%s) size %lu ret %d", new object[] { "dev0", 65536UL, -5 }, " (dev0) size 65536 ret -5")]
    [InlineData("error %d", new object[] { true }, "error 1")]
    [InlineData(" (%s) ret %d", new object[] { "dev0", false }, " (dev0) ret 0")]
    [InlineData("%u(%s) %u %u", new object[] { 1u, "0000:00:02.0/vfio", 0u, 1u }, "1(0000:00:02.0/vfio) 0 1")]
    [InlineData("com=0x%x len=%d", new object[] { 11, 0 }, "com=0xb len=0")]
    [InlineData("", new object[0], "")]
    [InlineData("100%% %s", new object[] { "done" }, "100% done")]
    public void FormatsAsPrintf(string format, object[] values, string expected)
    {
        var f = new PrintfFormat(format);
        Assert.Equal(expected, f.Format(values));
        var parsed = f.Parse(expected);
        Assert.NotNull(parsed);
        Assert.Equal(values.Length, parsed.Length);
        Assert.Equal(expected, f.Format(parsed));
    }

    [Theory]
    [InlineData(" (%s) idx %u", " (dev0) idx")]                 // cut short
    [InlineData(" (%s) idx %u", " (dev0) idx -1")]              // %u of a negative
    [InlineData(" (%s) idx %u", " (dev0) idx 4294967296")]      // beyond 32 bits
    [InlineData(" (%s) idx %u", "(dev0) idx 3")]                // the leading space of VFIO formats is part of them
    [InlineData(" (%s) data 0x%lx", " (dev0) data 0xZZ")]
    [InlineData("error %d", "error 1 extra")]
    public void RefusesWhatItDoesNotPrint(string format, string text) => Assert.Null(new PrintfFormat(format).Parse(text));

    [Fact]
    public void AStringBeforeALiteralTakesTheShortestMatchThatFits()
    {
        var values = new PrintfFormat("%s, %s").Parse("0000:00:02.0/vfio, (old)");
        Assert.Equal(["0000:00:02.0/vfio", "(old)"], values!);
        Assert.Equal(["error=a: b: c"], new PrintfFormat("%s").Parse("error=a: b: c")!);
    }

    [Fact]
    public void UnsupportedConversionsAreRefused() => Assert.Throws<ArgumentException>(() => new PrintfFormat(" %p"));
}

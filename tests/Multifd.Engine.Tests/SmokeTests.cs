using Multifd.Engine.Wire;

namespace Multifd.Engine.Tests;

public class WireSmokeTests
{
    [Fact]
    public void DeviceStateHeaderIs276Bytes() => Assert.Equal(276, MultifdWire.DeviceStateHeaderSize);
}

using Multifd.Engine.Ports;
using Multifd.Specifications;
using static Multifd.Engine.Tests.Specifications.Trace;

namespace Multifd.Engine.Tests.Specifications;

public class NoDuplicateLoadTests
{
    private static Observation Incoming(string ch, uint idx) => Dst($"recv[{ch}]", new BufferIncoming("dev0", idx));

    private static Observation Inserted(string ch, uint idx) =>
        Dst($"recv[{ch}]", new BufferInserted("dev0", idx, 64, false, 0, uint.MaxValue, 1, 64));

    [Fact]
    public void HoldsWhenADuplicateFailsItsRecvThread() => Holds(new NoDuplicateLoad(),
        Incoming("ch0", 1),
        Inserted("ch0", 1),
        Dst("load[dev0]", new BufferLoadStart("dev0", 1)),
        Dst("load[dev0]", new BufferLoaded("dev0", 1, 64, uint.MaxValue, 0, 0)),
        Incoming("ch1", 1),
        Dst("recv[ch1]", new MigrationErrorSet("dev0: state buffer 1 already filled", ErrorKind.Rejected)),
        Dst("recv[ch1]", new ThreadEnded("recv[ch1]", false)));

    [Fact]
    public void FailsWhenAnIdxIsInsertedTwice() => Violated(new NoDuplicateLoad(),
        [Incoming("ch0", 2), Inserted("ch0", 2), Incoming("ch1", 2), Inserted("ch1", 2)],
        "dev0", "idx 2 inserted a second time", "recv[ch1]");

    [Fact]
    public void FailsWhenADuplicateEndsWithoutAnError() => Violated(new NoDuplicateLoad(),
        [Incoming("ch0", 0), Inserted("ch0", 0), Incoming("ch1", 0), Dst("recv[ch1]", new ThreadEnded("recv[ch1]", false))],
        "dev0", "idx 0", "recv[ch1]", "state buffer 0 already filled");

    [Fact]
    public void FailsWhenAnIdxIsWrittenTwice() => Violated(new NoDuplicateLoad(),
        [Dst("load[dev0]", new BufferLoadStart("dev0", 3)), Dst("load[dev0]", new BufferLoadStart("dev0", 3))],
        "dev0", "idx 3", "second time");
}

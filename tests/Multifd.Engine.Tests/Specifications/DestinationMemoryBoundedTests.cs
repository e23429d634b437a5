using Multifd.Engine.Ports;
using Multifd.Specifications;
using static Multifd.Engine.Tests.Specifications.Trace;

namespace Multifd.Engine.Tests.Specifications;

public class DestinationMemoryBoundedTests
{
    private const string Recv0 = "recv[ch0]";
    private const string Recv1 = "recv[ch1]";
    private const string Load = "load[dev0]";

    private static readonly MemoryBounds Small = new(BudgetBytes: 1000, AllowanceBytes: 100);

    private static Observation Setup(ulong sizeLimit = ulong.MaxValue) =>
        Dst("main", new LoadSetup("dev0", true, false, Platform.X86_64, ulong.MaxValue, sizeLimit));

    private static Observation Malloc(string thread, uint bytes, string idstr = "dev0/vfio") => Dst(thread, new DeviceStateRecvBuffer(idstr, bytes, false));

    private static Observation Free(string thread, uint bytes, string idstr = "dev0/vfio") => Dst(thread, new DeviceStateRecvBuffer(idstr, bytes, true));

    private static Observation Grow(uint from, uint to, string thread = Recv0) => Dst(thread, new StateBuffersSizeSet("dev0", from, to));

    private static Observation Insert(uint idx, int bytes, string thread = Recv0) =>
        Dst(thread, new BufferInserted("dev0", idx, bytes, false, 0, uint.MaxValue, 0, 0));

    private static Observation LoadStart(uint idx) => Dst(Load, new BufferLoadStart("dev0", idx));

    private static Observation LoadEnd(uint idx) => Dst(Load, new BufferLoadEnd("dev0", idx));

    /// <summary>One packet of a correct source: the recv buffer (12-byte header + data), the array, the copy, the free.</summary>
    private static Observation[] Packet(uint idx, int data, uint lenBefore, string thread = Recv0) =>
    [
        Malloc(thread, (uint)(12 + data)),
        .. idx >= lenBefore ? new[] { Grow(lenBefore, idx + 1, thread) } : [],
        Insert(idx, data, thread),
        Free(thread, (uint)(12 + data)),
    ];

    [Fact]
    public void HoldsForACorrectStreamWithinTheLimitAndTheAllowance() => Holds(new DestinationMemoryBounded(Small),
        [
            Setup(sizeLimit: 200),
            .. Packet(1, 64, 0),
            .. Packet(0, 64, 2, Recv1),
            LoadStart(0), LoadEnd(0),
            .. Packet(2, 36, 2),
        ]);

    [Fact]
    public void CountsTheRecvBufferAndTheQueuedCopyTogether()
    {
        // limit 100 + allowance 100 = 200: the 24-byte array, a 76-byte recv buffer and its 64-byte copy make 164;
        // a second thread's 76-byte buffer while both are held makes 240.
        Violated(new DestinationMemoryBounded(Small),
            [Setup(sizeLimit: 100), Malloc(Recv0, 76), Grow(0, 1), Insert(0, 64), Malloc(Recv1, 76)],
            "dev0", "76-byte payload buffer for dev0/vfio", Recv1, "holds 240 bytes", "load_bufs array 24", "queued payloads 64",
            "recv payload buffers 152", "x-migration-max-queued-buffers-size 100 + allowance 100 = 200");
    }

    [Fact]
    public void FreedPayloadsAndRecvBuffersNoLongerCount() => Holds(new DestinationMemoryBounded(Small with { AllowanceBytes = 150 }),
        [
            Setup(sizeLimit: 100),
            .. Packet(0, 64, 0),
            LoadStart(0), LoadEnd(0),
            .. Packet(1, 64, 1),
            LoadStart(1), LoadEnd(1),
            .. Packet(2, 64, 2),
            Dst(Load, new VfioMultifdFreed("dev0", 1, false)),
            .. Packet(3, 64, 0),
        ]);

    [Fact]
    public void AFailedWriteFreesTheBufferItStole() => Holds(new DestinationMemoryBounded(Small),
        [
            Setup(sizeLimit: 100),
            .. Packet(0, 64, 0),
            LoadStart(0),
            Dst(Load, new LoadBufsThreadEnd("dev0", false)),
            .. Packet(1, 64, 1),
        ]);

    [Fact]
    public void FailsWhenTheArrayGrowsBeyondTheLimitPlusTheAllowance() => Violated(new DestinationMemoryBounded(Small),
        [Setup(sizeLimit: 100), Malloc(Recv0, 20), Grow(0, 1_000_001)],
        "dev0", "load_bufs grew to 1000001 elements", "load_bufs array 24000024", "recv payload buffers 20",
        "x-migration-max-queued-buffers-size 100 + allowance 100 = 200");

    [Fact]
    public void WithoutASizeLimitTheBudgetBounds()
    {
        Holds(new DestinationMemoryBounded(Small), [Setup(), Malloc(Recv0, 20), Grow(0, 40)]);            // 980 <= 1000
        Violated(new DestinationMemoryBounded(Small), [Setup(), Malloc(Recv0, 20), Grow(0, 41)],           // 1004 > 1000
            "dev0", "holds 1004 bytes", "the memory budget 1000 (no x-migration-max-queued-buffers-size)");
    }

    [Fact]
    public void AHugeNextPacketSizeFailsAtTheAllocationWhateverTheLimit()
    {
        foreach (var limit in new[] { 1024ul, ulong.MaxValue })
        {
            Violated(new DestinationMemoryBounded(), [Setup(sizeLimit: limit), Malloc(Recv0, uint.MaxValue)],
                "dev0", "4294967295-byte payload buffer for dev0/vfio", "recv payload buffers 4294967295");
        }
    }

    [Fact]
    public void APacketForAnUnknownIdstrIsHeldToTheBudget() => Violated(new DestinationMemoryBounded(Small),
        [Setup(sizeLimit: 10_000), Malloc(Recv0, 2000, "0000:00:1f.7/vfio")],
        "idstr 0000:00:1f.7/vfio", "holds 2000 bytes", "the memory budget 1000");

    [Fact]
    public void TheDefaultsAreAGibibyteBudgetAndAMebibyteAllowance()
    {
        Assert.Equal(new MemoryBounds(1UL << 30, 1UL << 20), MemoryBounds.Default);
        Holds(new DestinationMemoryBounded(), [Setup(), Malloc(Recv0, 16), Grow(0, 44_739_242)]);  // 1,073,741,808 + 16 = 2^30
        Violated(new DestinationMemoryBounded(), [Setup(), Malloc(Recv0, 16), Grow(0, 44_739_243)], "dev0", "1073741848");
    }
}

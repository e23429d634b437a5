using Multifd.Engine.Ports;
using Multifd.Specifications;
using static Multifd.Engine.Tests.Specifications.Trace;

namespace Multifd.Engine.Tests.Specifications;

public class SourceInvariantsTests
{
    private const string Save = "save[dev0]";

    private static Observation[] Queue(uint idx, bool config = false) =>
    [
        Src(Save, Locked("queue_job_mutex", null)),
        Src(Save, new DeviceStateQueued("dev0", idx, config ? 1u : 0u, config ? 36 : 64)),
        Src(Save, Locked("multifd_send_mutex", null, "queue_job_mutex")),
    ];

    private static readonly Observation[] Start =
    [
        Src("mig", new SaveSetup("dev0", true, 64)),
        Src(Save, new SaveThreadStart("dev0")),
    ];

    [Fact]
    public void HoldsForTwoDataPacketsThenTheConfig() => Holds(new SourceInvariants(),
        [
            .. Start, .. Queue(0), .. Queue(1), .. Queue(2, config: true),
            Src("send[ch0]", new PacketSent(0, "dev0", 0, false, false)),
            Src("send[ch0]", new PacketSent(0, null, 0, false, false)),
            Src("mig", new ThreadsAbortSet(AllSpawned: true)),
        ]);

    [Fact]
    public void FailsWhenTheConfigIdxIsNotTheDataPacketCount() => Violated(new SourceInvariants(),
        [.. Start, .. Queue(0), .. Queue(1), .. Queue(3, config: true)],
        "dev0", "config packet has idx 3", "2 data packets", "expected idx 2");

    [Fact]
    public void FailsOnAZeroCopyDeviceStatePacket() => Violated(new SourceInvariants(),
        [.. Start, Src("send[ch1]", new PacketSent(1, "dev0", 4, true, ZeroCopy: true))],
        "dev0", "idx 4 (config)", "channel 1", "ZERO_COPY");

    [Fact]
    public void FailsWhenASaveThreadSetsThreadsAbort() => Violated(new SourceInvariants(),
        [.. Start, Src(Save, new ThreadsAbortSet(AllSpawned: true))],
        Save, "not by the migration thread mig");

    [Fact]
    public void FailsWhenThreadsAbortIsSetBeforeEverySpawn() => Violated(new SourceInvariants(),
        [.. Start, Src("mig", new ThreadsAbortSet(AllSpawned: false))],
        "mig", "before every save thread was spawned");

    [Fact]
    public void FailsWhenAProducerSkipsQueueJobMutex() => Violated(new SourceInvariants(),
        [.. Start, Src(Save, Locked("multifd_send_mutex", null))],
        Save, "multifd_send_mutex without holding queue_job_mutex", "holding nothing");
}

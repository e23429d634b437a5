using Multifd.Engine.Ports;
using Multifd.Specifications;
using static Multifd.Engine.Tests.Specifications.Trace;

namespace Multifd.Engine.Tests.Specifications;

public class LockDisciplineTests
{
    [Fact]
    public void HoldsForTheDocumentedLockOrder() => Holds(new LockDiscipline(),
        Dst("main", Locked("load_bufs_mutex", "dev0")),
        Dst("load[dev0]", Locked("load_bufs_mutex", "dev0")),
        Dst("load[dev0]", Locked("BQL", null, "load_bufs_mutex[dev0]")),
        Src("mig", Locked("queue_job_mutex", null, "BQL")),
        Dst("main", new LoadvmStateCleanup(true)));

    [Fact]
    public void FailsWhenLoadBufsMutexIsTakenUnderTheBql() => Violated(new LockDiscipline(),
        [Dst("main", Locked("load_bufs_mutex", "dev1", "BQL"))],
        "dev1", "main", "holding BQL", "load_bufs_mutex -> BQL");

    [Fact]
    public void FailsWhenCleanupIsEnteredWithoutTheBql() => Violated(new LockDiscipline(),
        [Dst("main", new LoadvmStateCleanup(false))],
        "main", "qemu_loadvm_state_cleanup without the BQL");
}

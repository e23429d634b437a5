using Multifd.Engine.Ports;

namespace Multifd.Specifications;

/// <summary>
/// P7: on the destination no thread takes a load_bufs_mutex while holding the BQL (lock order
/// load_bufs_mutex -> BQL), and qemu_loadvm_state_cleanup is entered with the BQL held (6a76eb4872).
/// </summary>
public sealed class LockDiscipline : Property
{
    public const string LoadBufsMutex = "load_bufs_mutex";

    public override string Id => "P7";

    public override string Statement =>
        "No thread takes load_bufs_mutex while holding the BQL; qemu_loadvm_state_cleanup is entered with the BQL held.";

    public override Coverage CoverageOf(Evidence evidence) =>
        evidence.ModelEvents ? Coverage.Full()
        : Coverage.None("no lock ownership is traced on this path (qemu_mutex_lock/_locked print an address and file:line, " +
                        "and logs of 10.1 and later carry no thread id)");

    public override void On(Observation o)
    {
        if (o.Side != Side.Destination)
        {
            return;
        }

        switch (o.Event)
        {
            case MutexLocked { Mutex: LoadBufsMutex, BqlHeld: true } e:
                Fail($"{e.Device}: {o.Thread} takes load_bufs_mutex while holding the BQL (holding {string.Join(", ", e.Held)}); " +
                     "the lock order is load_bufs_mutex -> BQL");
                break;
            case LoadvmStateCleanup { BqlHeld: false }:
                Fail($"{o.Thread} enters qemu_loadvm_state_cleanup without the BQL " +
                     "(load_cleanup handlers and the load-thread pool destroy drop and retake it)");
                break;
        }
    }
}

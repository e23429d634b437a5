using Multifd.Engine.Ports;

namespace Multifd.Specifications;

/// <summary>
/// P4: per device no idx is inserted or written to data_fd twice; a second packet for an idx that is present or
/// already consumed ends its recv thread with an error ("state buffer N already filled"), never a second write.
/// </summary>
public sealed class NoDuplicateLoad : Property
{
    private readonly PerDevice<HashSet<uint>> inserted = [];
    private readonly PerDevice<HashSet<uint>> loadStarted = [];
    private readonly PerDevice<HashSet<uint>> loaded = [];

    // Per recv thread: the duplicate it is handling, which must end in an error.
    private readonly Dictionary<string, (string Device, uint Idx)> duplicateOn = [];

    public override string Id => "P4";

    public override string Statement =>
        "No idx is inserted or written twice; a packet for a present or consumed idx fails its recv thread with an error.";

    public override void On(Observation o)
    {
        if (o.Side != Side.Destination)
        {
            return;
        }

        switch (o.Event)
        {
            case BufferIncoming e:
                ExpectNoPendingDuplicate(o.Thread, $"went on to {e.Device} idx {e.Idx}");
                if (inserted.Of(e.Device).Contains(e.Idx))
                {
                    duplicateOn[o.Thread] = (e.Device, e.Idx);
                }

                break;
            case BufferInserted e:
                if (!inserted.Of(e.Device).Add(e.Idx))
                {
                    var consumed = loaded.Of(e.Device).Contains(e.Idx) ? " and already loaded" : "";
                    Fail($"{e.Device}: idx {e.Idx} inserted a second time ({e.Bytes} bytes, on {o.Thread}); it was present{consumed}, " +
                         $"load_buf_idx {e.LoadBufIdx}");
                }

                duplicateOn.Remove(o.Thread);
                break;
            case BufferLoadStart e when !loadStarted.Of(e.Device).Add(e.Idx):
                Fail($"{e.Device}: load thread starts writing idx {e.Idx} to data_fd a second time");
                break;
            case BufferLoaded e when !loaded.Of(e.Device).Add(e.Idx):
                Fail($"{e.Device}: idx {e.Idx} ({e.Bytes} bytes) counted as loaded a second time");
                break;
            case MigrationErrorSet or ErrorReported or QemuAborted:
                duplicateOn.Remove(o.Thread);
                break;
            case ThreadEnded e:
                ExpectNoPendingDuplicate(e.Name, "ended");
                break;
        }
    }

    private void ExpectNoPendingDuplicate(string thread, string what)
    {
        if (duplicateOn.Remove(thread, out var dup))
        {
            Fail($"{dup.Device}: idx {dup.Idx} arrived again on {thread}, which {what} without raising an error " +
                 $"(expected \"{dup.Device}: state buffer {dup.Idx} already filled\")");
        }
    }

}

using Multifd.Engine.Ports;

namespace Multifd.Specifications;

/// <summary>
/// P4: per device no idx is inserted or written to data_fd twice; a second packet for an idx that is present or
/// already consumed ends its recv thread with an error ("state buffer N already filled"), never a second write.
/// </summary>
/// <remarks>
/// The model sees the insert; a QEMU log sees only vfio_load_state_device_buffer_incoming (traced before the insert),
/// so there a second packet is one whose idx came before, and an error (multifd_recv_terminate_threads error 1 or
/// migrate_error) must follow it. Which of the two packets the insert refuses depends on which recv thread takes
/// load_bufs_mutex first, so in a log any recv thread's error answers it; a duplicate no error answered is a violation
/// once the process exited (observe --ended).
/// </remarks>
public sealed class NoDuplicateLoad : Property
{
    private readonly PerDevice<IndexSet> inserted = [];
    private readonly PerDevice<IndexSet> incoming = [];
    private readonly PerDevice<IndexSet> loadStarted = [];
    private readonly PerDevice<IndexSet> loaded = [];

    // Per recv thread (a single queue when the log has no thread ids): the duplicates it must answer with an error.
    private readonly Dictionary<string, Queue<(string Device, uint Idx, string At)>> duplicateOn = [];

    public override string Id => "P4";

    public override string Statement =>
        "No idx is inserted or written twice; a packet for a present or consumed idx fails its recv thread with an error.";

    public override Coverage CoverageOf(Evidence evidence) =>
        evidence.ModelEvents ? Coverage.Full()
        : !evidence.Shows("vfio_load_state_device_buffer_load_start") ? Coverage.None("vfio_load_state_device_buffer_load_start never occurs in the log")
        : Coverage.Partly("no idx written twice (vfio_load_state_device_buffer_load_start); a packet for an idx that came before must be " +
                          "followed by multifd_recv_terminate_threads error 1 or migrate_error (checked at the end with --ended); " +
                          "not traced: the insert, so which packet was refused");

    public override void On(Observation o)
    {
        if (o.Side != Side.Destination)
        {
            return;
        }

        var thread = ThreadKey(o);
        switch (o.Event)
        {
            case BufferIncoming e:
                if (Evidence.ModelEvents)
                {
                    ExpectNoPendingDuplicate(thread, $"went on to {e.Device} idx {e.Idx}");
                }

                var seen = Evidence.ModelEvents ? inserted.Of(e.Device) : incoming.Of(e.Device);
                if (seen.Contains(e.Idx))
                {
                    Pending(thread).Enqueue((e.Device, e.Idx, Here));
                }

                incoming.Of(e.Device).Add(e.Idx);
                break;
            case BufferInserted e:
                if (!inserted.Of(e.Device).Add(e.Idx))
                {
                    var consumed = loaded.Of(e.Device).Contains(e.Idx) ? " and already loaded" : "";
                    Fail($"{e.Device}: idx {e.Idx} inserted a second time ({e.Bytes} bytes, on {o.Thread}); it was present{consumed}, " +
                         $"load_buf_idx {e.LoadBufIdx}");
                }

                duplicateOn.Remove(thread);
                break;
            case BufferLoadStart e when !loadStarted.Of(e.Device).Add(e.Idx):
                FailOnTrace($"{e.Device}: load thread starts writing idx {e.Idx} to data_fd a second time{Here}");
                break;
            case BufferLoaded e when !loaded.Of(e.Device).Add(e.Idx):
                Fail($"{e.Device}: idx {e.Idx} ({e.Bytes} bytes) counted as loaded a second time");
                break;
            case MigrationErrorSet or ErrorReported or QemuAborted or RecvTerminateThreads { Error: true }:
                Answered(thread);
                break;
            case RecvThreadEnd when Evidence.ModelEvents:
                ExpectNoPendingDuplicate(thread, "ended");
                break;
            case ThreadEnded e:
                ExpectNoPendingDuplicate(e.Name, "ended");
                break;
        }
    }

    /// <summary>At the end of a log of a QEMU that exited, every duplicate must have been answered by an error.</summary>
    public override void AtLogEnd(LogEnd end)
    {
        if (!end.ProcessEnded)
        {
            return;
        }

        foreach (var (thread, queue) in duplicateOn)
        {
            if (queue.TryPeek(out var dup))
            {
                FailOnTrace($"{dup.Device}: idx {dup.Idx} arrived again{dup.At}{(thread == AnyThread ? "" : $" on {thread}")} and no error " +
                            $"followed before the process exited (expected \"{dup.Device}: state buffer {dup.Idx} already filled\")");
            }
        }
    }

    private const string AnyThread = "*";

    /// <summary>The model pairs a duplicate with the thread that inserts it; a log cannot tell which packet was refused.</summary>
    private string ThreadKey(Observation o) => Evidence.ModelEvents ? o.Thread : AnyThread;

    private Queue<(string Device, uint Idx, string At)> Pending(string thread) =>
        duplicateOn.TryGetValue(thread, out var q) ? q : duplicateOn[thread] = new();

    /// <summary>An error on <paramref name="thread"/> answers its oldest duplicate (with thread ids: all of them, as the thread ends).</summary>
    private void Answered(string thread)
    {
        if (thread != AnyThread)
        {
            duplicateOn.Remove(thread);
        }
        else if (duplicateOn.TryGetValue(thread, out var q))
        {
            q.TryDequeue(out _);
        }
    }

    private void ExpectNoPendingDuplicate(string thread, string what)
    {
        if (duplicateOn.Remove(thread, out var q) && q.TryPeek(out var dup))
        {
            Fail($"{dup.Device}: idx {dup.Idx} arrived again on {thread}, which {what} without raising an error " +
                 $"(expected \"{dup.Device}: state buffer {dup.Idx} already filled\")");
        }
    }
}

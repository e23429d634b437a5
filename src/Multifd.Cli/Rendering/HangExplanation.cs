using Multifd.Cli.Bundles;
using Multifd.Engine.Ports;

namespace Multifd.Cli.Rendering;

/// <summary>
/// Reads a hang (P10, Coyote's deadlock detection) in QEMU's terms: for every thread that never ended, the last
/// protocol event it emitted, e.g. "load[dev0] waits in vfio_load_state_device_buffer_starved dev0 idx 1".
/// </summary>
public static class HangExplanation
{
    /// <summary>The engine's trace of a thread beginning to block (qemu_cond_wait, qemu_sem_wait).</summary>
    private static readonly HashSet<string> WaitEvents = [nameof(CondWait), nameof(SemWait), nameof(ThreadJoin)];

    public static string Explain(IReadOnlyList<EventRecord> events)
    {
        var threads = new List<(string Side, string Thread)>();
        var last = new Dictionary<(string, string), EventRecord>();
        var lastLock = new Dictionary<(string, string), EventRecord>();
        var lastWait = new Dictionary<(string, string), EventRecord>();
        var ended = new HashSet<(string, string)>();
        foreach (var e in events)
        {
            var key = (e.Side, e.Thread);
            if (!last.ContainsKey(key) && !lastLock.ContainsKey(key))
            {
                threads.Add(key);
            }

            if (e.IsLock)
            {
                lastLock[key] = e;
                continue;
            }

            if (WaitEvents.Contains(e.Type))
            {
                lastWait[key] = e;
                lastLock.Remove(key);
                continue;
            }

            lastWait.Remove(key);
            if (e.Type == nameof(ThreadEnded))
            {
                ended.Add(key);
            }

            last[key] = e;
            lastLock.Remove(key);
        }

        var parts = new List<string>();
        foreach (var side in new[] { "destination", "source" })
        {
            var stuck = threads.Where(t => t.Side == side && !ended.Contains(t) && t.Thread != "harness").ToList();
            if (stuck.Count == 0)
            {
                continue;
            }

            var lines = stuck.Select(t => Describe(t.Thread, last.GetValueOrDefault(t), lastWait.GetValueOrDefault(t), lastLock.GetValueOrDefault(t)));
            parts.Add($"{side}: {string.Join("; ", lines)}");
        }

        return parts.Count == 0
            ? "hang: every thread that emitted an event had ended"
            : $"hang: {string.Join(" | ", parts)}";
    }

    /// <summary>A wait in QEMU's function names (the model's wait events are not QEMU trace events).</summary>
    private static string WaitText(EventRecord wait) => wait.Type switch
    {
        nameof(CondWait) => $"qemu_cond_wait {wait.Args}",
        nameof(SemWait) => $"qemu_sem_wait {wait.Args}",
        nameof(ThreadJoin) => $"qemu_thread_join {wait.Args}",
        _ => wait.Text,
    };

    private static string Describe(string thread, EventRecord? last, EventRecord? wait, EventRecord? lockAfter)
    {
        var text = (last, wait) switch
        {
            (_, not null) => $"{thread} waits in {WaitText(wait)}{(last is null ? "" : $" after {last.Text}")} (step {wait.Step})",
            (null, _) => $"{thread} emitted no protocol event",
            // qemu_loadvm_state: after the main loop returned 0 the next blocking point is the load threads' pool.
            ({ Type: nameof(LoadStatePostMain), Args: "0" }, _) =>
                $"{thread} waits in qemu_loadvm_thread_pool_wait (after {last.Text}, step {last.Step})",
            _ => $"{thread} blocked after {last.Text} (step {last.Step})",
        };
        // The lock event is traced as the thread asks for the mutex: at a hang, its last one is the lock it waits for.
        return lockAfter is null ? text : $"{text}, then waits for {lockAfter.Args}";
    }
}

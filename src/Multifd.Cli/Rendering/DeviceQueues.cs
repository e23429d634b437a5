using Multifd.Cli.Bundles;
using Multifd.Engine.Ports;

namespace Multifd.Cli.Rendering;

/// <summary>
/// The destination's per-device load_bufs state as it evolves along a timeline: load_buf_idx,
/// load_buf_idx_last and the queued buffer count and bytes, derived from BufferInserted, BufferLoaded and
/// BufferChunkWritten events. The count is counted here (inserted minus fully written buffers): QEMU as merged keeps
/// none, and the engine reports one only where the unmerged count limit is on.
/// </summary>
public sealed class DeviceQueues
{
    private readonly Dictionary<string, State> states = [];

    public DeviceQueues(IEnumerable<string> devices)
    {
        foreach (var device in devices)
        {
            Devices.Add(device);
            states[device] = new State();
        }
    }

    public List<string> Devices { get; } = [];

    /// <summary>Applies one event; returns true if it changed a device's state.</summary>
    public bool Apply(EventRecord e)
    {
        if (e.Side != "destination" || e.Type is not (nameof(BufferInserted) or nameof(BufferLoaded) or nameof(BufferChunkWritten))
            || e.String("device") is not { } device)
        {
            return false;
        }

        if (!states.TryGetValue(device, out var s))
        {
            Devices.Add(device);
            states[device] = s = new State();
        }

        switch (e.Type)
        {
            case nameof(BufferInserted):
                s.Idx = e.Number("loadBufIdx") ?? s.Idx;
                s.Last = e.Number("loadBufIdxLast") ?? s.Last;
                s.Count++;
                break;
            case nameof(BufferLoaded):
                s.Idx = (e.Number("idx") ?? s.Idx) + 1;
                s.Last = e.Number("loadBufIdxLast") ?? s.Last;
                s.Count = s.Count == 0 ? 0 : s.Count - 1;
                break;
            case nameof(BufferChunkWritten):
                break;
            default:
                return false;
        }

        s.Bytes = e.Number("queuedBytes") ?? s.Bytes;
        return true;
    }

    /// <summary>The device's queued buffer count and bytes after the events applied so far.</summary>
    public (ulong Count, ulong Bytes) Queued(string device) => states.TryGetValue(device, out var s) ? (s.Count, s.Bytes) : (0, 0);

    /// <summary>"3/5 q2 128B": load_buf_idx / load_buf_idx_last ("-" until the config buffer is known), queued count and bytes.</summary>
    public string Describe(string device)
    {
        var s = states[device];
        var last = s.Last == uint.MaxValue ? "-" : s.Last.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return $"{s.Idx}/{last} q{s.Count} {s.Bytes}B";
    }

    private sealed class State
    {
        public ulong Idx;
        public ulong Last = uint.MaxValue;
        public ulong Count;
        public ulong Bytes;
    }
}

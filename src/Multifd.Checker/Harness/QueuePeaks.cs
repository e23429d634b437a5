using Multifd.Engine.Ports;

namespace Multifd.Checker.Harness;

/// <summary>
/// The peak queued buffer count and bytes per device seen in one migration (basis for limit advice). The bytes are
/// QEMU's load_buf_queued_pending_buffers_size; the count is counted here (buffers inserted minus data buffers fully
/// written), because QEMU as merged keeps no count (only the unmerged count limit does).
/// </summary>
public sealed class QueuePeaks : IMigrationObserver
{
    private readonly Dictionary<string, (ulong Count, ulong Bytes)> peaks = [];
    private readonly Dictionary<string, ulong> queued = [];

    public IReadOnlyDictionary<string, (ulong Count, ulong Bytes)> Peaks => peaks;

    public void On(Observation o)
    {
        if (o.Side != Side.Destination)
        {
            return;
        }

        switch (o.Event)
        {
            case BufferInserted e:
                var count = queued.GetValueOrDefault(e.Device) + 1;
                queued[e.Device] = count;
                var peak = peaks.GetValueOrDefault(e.Device);
                peaks[e.Device] = (Math.Max(peak.Count, count), Math.Max(peak.Bytes, e.QueuedBytes));
                break;
            case BufferLoaded e when queued.GetValueOrDefault(e.Device) > 0:
                queued[e.Device]--;
                break;
        }
    }
}

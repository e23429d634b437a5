using Multifd.Engine.Ports;

namespace Multifd.Checker.Harness;

/// <summary>The peak queued buffer count and bytes per device seen in one migration (basis for limit advice).</summary>
public sealed class QueuePeaks : IMigrationObserver
{
    private readonly Dictionary<string, (ulong Count, ulong Bytes)> peaks = [];

    public IReadOnlyDictionary<string, (ulong Count, ulong Bytes)> Peaks => peaks;

    public void On(Observation o)
    {
        if (o.Event is BufferInserted e)
        {
            var (count, bytes) = peaks.GetValueOrDefault(e.Device);
            peaks[e.Device] = (Math.Max(count, e.QueuedCount), Math.Max(bytes, e.QueuedBytes));
        }
    }
}

using Multifd.Engine;
using Multifd.Engine.Ports;

namespace Multifd.Specifications;

/// <summary>
/// P13: per device, what the destination allocates for the device's buffers — the load_bufs array (24 bytes per
/// element up to its length, zero-filled by g_array_set_size), the payload copies queued in it (g_memdup2 in
/// vfio_load_state_buffer_insert, freed once written or at vfio_multifd_free), and the recv threads' payload buffers
/// for packets that name the device (g_malloc(next_packet_size) in multifd_device_state_recv) — stays within
/// x-migration-max-queued-buffers-size plus the allowance, or, where the device has no size limit, within the memory
/// budget (both given by the scenario).
/// </summary>
/// <remarks>
/// The allowance is for what the size limit does not count and a correct source still makes the destination allocate:
/// the array (24 bytes per buffer index), one packet buffer per recv thread, the buffer being written. Packets for an
/// idstr that names no device are held to the budget. Not counted: GLib rounding the array's allocation up to a power
/// of two (its untouched tail), the config load's copy into a channel buffer (as large as the config, which is counted).
/// </remarks>
public sealed class DestinationMemoryBounded(MemoryBounds bounds) : Property
{
    private readonly PerDevice<DeviceMemory> devices = [];
    private readonly Dictionary<string, string> deviceOfIdstr = [];
    private readonly Dictionary<string, (string Owner, ulong Bytes)> recvBuffers = [];

    public DestinationMemoryBounded()
        : this(MemoryBounds.Default)
    {
    }

    public override string Id => "P13";

    public override string Statement =>
        "Per device, the destination's allocation for its buffers (load_bufs array, queued payloads, recv payload buffers) " +
        "stays within x-migration-max-queued-buffers-size plus an allowance, or within the memory budget where no limit is set.";

    /// <summary>Per device (or idstr naming none): the most bytes allocated at once in this migration.</summary>
    public IReadOnlyDictionary<string, ulong> Peaks => devices.ToDictionary(kv => kv.Key, kv => kv.Value.Peak);

    public override void On(Observation o)
    {
        if (o.Side != Side.Destination)
        {
            return;
        }

        switch (o.Event)
        {
            case LoadSetup e:
                var setup = devices.Of(e.Device);
                setup.LimitBytes = e.MaxQueuedBuffersSizeBytes;
                deviceOfIdstr[e.EffectiveIdstr] = e.Device;
                break;
            case StateBuffersSizeSet e:
                var grown = devices.Of(e.Device);
                grown.ArrayBytes = e.Bytes;
                Check(e.Device, grown, $"load_bufs grew to {e.NewLen} elements", o.Thread);
                break;
            case BufferInserted e:
                var inserted = devices.Of(e.Device);
                inserted.Payloads[e.Idx] = (ulong)e.Bytes;
                Check(e.Device, inserted, $"idx {e.Idx} ({e.Bytes} bytes) was queued", o.Thread);
                break;
            case BufferLoadEnd e:
                var written = devices.Of(e.Device);
                written.Payloads.Remove(e.Idx);
                written.Writing = null;
                break;
            case BufferLoadStart e:
                devices.Of(e.Device).Writing = e.Idx;
                break;
            case LoadBufsThreadEnd e:
                // A write that failed frees the buffer it stole (g_autofree in vfio_load_state_buffer_write).
                var ended = devices.Of(e.Device);
                if (ended.Writing is { } idx)
                {
                    ended.Payloads.Remove(idx);
                }

                break;
            case VfioMultifdFreed e:
                var freed = devices.Of(e.Device);
                freed.ArrayBytes = 0;
                freed.Payloads.Clear();
                break;
            case DeviceStateRecvBuffer { Freed: false } e:
                var owner = deviceOfIdstr.GetValueOrDefault(e.Idstr) ?? $"idstr {e.Idstr}";
                recvBuffers[o.Thread] = (owner, e.Bytes);
                var held = devices.Of(owner);
                held.RecvBytes += e.Bytes;
                Check(owner, held, $"a {e.Bytes}-byte payload buffer for {e.Idstr} was allocated", o.Thread);
                break;
            case DeviceStateRecvBuffer { Freed: true }:
                if (recvBuffers.Remove(o.Thread, out var buffer))
                {
                    devices.Of(buffer.Owner).RecvBytes -= buffer.Bytes;
                }

                break;
        }
    }

    private void Check(string owner, DeviceMemory m, string what, string thread)
    {
        m.Peak = Math.Max(m.Peak, m.Total);
        var limited = m.LimitBytes != ulong.MaxValue;
        var bound = limited ? Sum(m.LimitBytes, bounds.AllowanceBytes) : bounds.BudgetBytes;
        if (m.Total <= bound)
        {
            return;
        }

        var against = limited
            ? $"x-migration-max-queued-buffers-size {m.LimitBytes} + allowance {bounds.AllowanceBytes} = {bound}"
            : $"the memory budget {bounds.BudgetBytes} (no x-migration-max-queued-buffers-size)";
        Fail($"{owner}: {what} on {thread}: the destination holds {m.Total} bytes for it " +
             $"(load_bufs array {m.ArrayBytes}, queued payloads {m.PayloadBytes}, recv payload buffers {m.RecvBytes}), above {against}");
    }

    private static ulong Sum(ulong a, ulong b) => a > ulong.MaxValue - b ? ulong.MaxValue : a + b;

    private sealed class DeviceMemory
    {
        public ulong LimitBytes = ulong.MaxValue;
        public ulong ArrayBytes;
        public ulong RecvBytes;
        public uint? Writing;
        public ulong Peak;
        public readonly Dictionary<uint, ulong> Payloads = [];

        public ulong PayloadBytes => Payloads.Values.Aggregate(0ul, (a, b) => a + b);

        public ulong Total => ArrayBytes + PayloadBytes + RecvBytes;
    }
}

/// <summary>What P13 holds the destination to (a scenario's "memory" section).</summary>
/// <param name="BudgetBytes">The bound per device with no x-migration-max-queued-buffers-size (default 1 GiB).</param>
/// <param name="AllowanceBytes">What a device may hold beyond its size limit (default 1 MiB).</param>
public sealed record MemoryBounds(ulong BudgetBytes, ulong AllowanceBytes)
{
    public const ulong DefaultBudgetBytes = 1UL << 30;
    public const ulong DefaultAllowanceBytes = 1UL << 20;

    public static readonly MemoryBounds Default = new(DefaultBudgetBytes, DefaultAllowanceBytes);
}

namespace Multifd.Engine.Ports;

// ---- what the destination allocates for device state (accounted, not allocated, by the model) ----

/// <summary>
/// vfio_state_buffers_size_set (from vfio_load_state_buffer_insert, before any check of the packet): load_bufs grows
/// from <paramref name="OldLen"/> to <paramref name="NewLen"/> VFIOStateBuffer elements, which g_array_set_size
/// zero-fills (the array is created with clear = TRUE). The model stores only the present elements; this event carries
/// what QEMU allocates. QEMU has no trace event here.
/// </summary>
public sealed record StateBuffersSizeSet(string Device, uint OldLen, uint NewLen) : MigrationEvent
{
    /// <summary>sizeof(VFIOStateBuffer) on a 64-bit host: bool is_present (padded to 8), char *data, size_t len.</summary>
    public const int ElementBytes = 24;

    /// <summary>The bytes of the array's elements after the resize.</summary>
    public ulong Bytes => (ulong)NewLen * ElementBytes;

    public override string TraceName => "model_vfio_state_buffers_size_set";
    public override string Args => $"{Device} len {OldLen} -> {NewLen} ({Bytes} bytes)";
}

/// <summary>
/// multifd_device_state_recv's payload buffer: g_malloc(next_packet_size) before the payload is read and before the
/// idstr, the device or any limit is checked (<paramref name="Freed"/> false), and its g_free when the function returns
/// (true), after qemu_loadvm_load_state_buffer. Emitted by the recv thread that holds it; <paramref name="Idstr"/> is
/// the idstr the packet header names. QEMU has no trace event here.
/// </summary>
public sealed record DeviceStateRecvBuffer(string Idstr, uint Bytes, bool Freed) : MigrationEvent
{
    public override string TraceName => "model_multifd_device_state_recv";
    public override string Args => $"{Idstr} {(Freed ? "g_free" : "g_malloc")} {Bytes}";
}

namespace Multifd.Engine.Destination;

/// <summary>One VFIOStateBuffer: is_present, data, len.</summary>
public sealed class StateBuffer
{
    public bool IsPresent { get; set; }

    /// <summary>The data; null once the load thread stole it for writing (is_present stays true).</summary>
    public byte[]? Data { get; set; }

    public int Len { get; set; }
}

/// <summary>
/// VFIOStateBuffers: QEMU's GArray of VFIOStateBuffer, grown to idx + 1 on insert.
/// Simplification: entries are stored sparsely (a huge hostile idx grows <see cref="Length"/>, not memory);
/// an absent entry reads as QEMU's zero-initialised element.
/// </summary>
public sealed class LoadBufs
{
    private readonly Dictionary<uint, StateBuffer> entries = [];

    /// <summary>array->len.</summary>
    public uint Length { get; private set; }

    /// <summary>vfio_state_buffers_size_set: g_array_set_size to <paramref name="size"/> (grow only here).</summary>
    public void SetSize(uint size) => Length = Math.Max(Length, size);

    /// <summary>vfio_state_buffers_at: the element at idx (created zeroed on first access).</summary>
    public StateBuffer At(uint idx)
    {
        if (!entries.TryGetValue(idx, out var lb))
        {
            lb = new StateBuffer();
            entries[idx] = lb;
        }

        return lb;
    }

    /// <summary>Whether idx holds a buffer whose data has not been consumed yet.</summary>
    public bool HoldsData(uint idx) => entries.TryGetValue(idx, out var lb) && lb.IsPresent && lb.Data is not null;

    /// <summary>vfio_state_buffers_destroy: the clear func frees every present buffer. Returns how many held data.</summary>
    public int Destroy()
    {
        var freed = entries.Values.Count(lb => lb.IsPresent && lb.Data is not null);
        entries.Clear();
        Length = 0;
        return freed;
    }
}

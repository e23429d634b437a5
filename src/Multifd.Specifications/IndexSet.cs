namespace Multifd.Specifications;

/// <summary>
/// A set of buffer indexes that stays small however many buffers a device has: indexes arrive nearly in order, so the
/// set is kept as "every index below <see cref="Prefix"/>" plus the few present above it. (A monitor of a QEMU log
/// with millions of buffers must not grow with the log.)
/// </summary>
public sealed class IndexSet
{
    private readonly SortedSet<uint> above = [];

    /// <summary>Every index below this one is in the set.</summary>
    public uint Prefix { get; private set; }

    public bool Contains(uint idx) => idx < Prefix || above.Contains(idx);

    /// <summary>Adds <paramref name="idx"/>; false if it was already in the set.</summary>
    public bool Add(uint idx)
    {
        if (Contains(idx))
        {
            return false;
        }

        if (idx != Prefix)
        {
            above.Add(idx);
            return true;
        }

        Prefix++;
        while (Prefix != uint.MaxValue && above.Remove(Prefix))
        {
            Prefix++;
        }

        return true;
    }

    /// <summary>Whether every index in [<paramref name="from"/>, <paramref name="to"/>) is in the set.</summary>
    public bool ContainsAll(uint from, uint to)
    {
        if (to <= Prefix)
        {
            return true;
        }

        for (var i = Math.Max(from, Prefix); i < to; i++)
        {
            if (!above.Contains(i))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The first index in [<paramref name="from"/>, <paramref name="to"/>) not in the set, if any.</summary>
    public uint? FirstMissing(uint from, uint to)
    {
        for (var i = Math.Max(from, Prefix); i < to; i++)
        {
            if (!above.Contains(i))
            {
                return i;
            }
        }

        return null;
    }
}

using Multifd.Simulation;

namespace Multifd.Engine.Tests.Support;

/// <summary>
/// A deterministic <see cref="IChoices"/> for <see cref="DestinationVfioDevice"/> with partial writes: each queued
/// chunk size is what one write() returns; with the queue empty a write takes the whole buffer.
/// </summary>
/// <remarks>
/// The device asks NextBool() "is this write partial?" and then NextInt(len - 1) for the written count minus one.
/// </remarks>
public sealed class ScriptedChoices(params int[] partialChunks) : IChoices
{
    private readonly Queue<int> chunks = new(partialChunks);

    public bool NextBool() => chunks.Count > 0;

    public int NextInt(int maxExclusive)
    {
        var chunk = chunks.Dequeue();
        if (chunk < 1 || chunk - 1 >= maxExclusive)
        {
            throw new InvalidOperationException($"scripted partial write of {chunk} bytes does not fit a write of {maxExclusive + 1} bytes");
        }

        return chunk - 1;
    }

    public int Remaining => chunks.Count;
}

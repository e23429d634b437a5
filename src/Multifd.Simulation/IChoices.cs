namespace Multifd.Simulation;

/// <summary>
/// Every nondeterministic choice of the world (faults, short reads and writes, hostile behaviour) goes
/// through here, so that under Coyote each choice is part of the schedule and a trace replays it exactly.
/// </summary>
public interface IChoices
{
    bool NextBool();

    /// <summary>A value in [0, maxExclusive).</summary>
    int NextInt(int maxExclusive);
}

/// <summary>Coyote's controlled randomness: recorded in the trace as bool(..)/int(..) steps.</summary>
public sealed class CoyoteChoices : IChoices
{
    private readonly Microsoft.Coyote.Random.Generator generator = Microsoft.Coyote.Random.Generator.Create();

    public bool NextBool() => generator.NextBoolean();

    public int NextInt(int maxExclusive) => maxExclusive <= 1 ? 0 : generator.NextInteger(maxExclusive);
}

/// <summary>Seeded System.Random, for runs on real threads without Coyote.</summary>
public sealed class SeededChoices(int seed) : IChoices
{
    private readonly Random random = new(seed);
    private readonly object gate = new();

    public bool NextBool()
    {
        lock (gate)
        {
            return random.Next(2) == 1;
        }
    }

    public int NextInt(int maxExclusive)
    {
        lock (gate)
        {
            return maxExclusive <= 1 ? 0 : random.Next(maxExclusive);
        }
    }
}

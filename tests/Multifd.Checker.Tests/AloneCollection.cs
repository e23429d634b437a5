namespace Multifd.Checker.Tests;

/// <summary>
/// Tests that must not share the test host with others at the same time; xUnit runs this collection after the parallel
/// ones, one test at a time. Two kinds: what measures the process's memory, and every run of the engine on real
/// threads (the fidelity runs, the bench's stress loop). A real-thread run goes through the same Coyote-rewritten
/// assemblies as the controlled runs; run at the same time as Coyote tests in other classes, the test host grew to the
/// machine's 24 GB and was killed (measured: with the real-thread tests excluded or run alone, it stays under 250 MB).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AloneCollection
{
    public const string Name = "alone";
}

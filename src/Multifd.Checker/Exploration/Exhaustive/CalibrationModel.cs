using System.Text;

namespace Multifd.Checker.Exploration;

/// <summary>
/// A model small enough to know every outcome of: two threads each append their letter to a shared log in
/// <c>sections</c> critical sections of one lock, then a controlled random boolean is drawn. Its outcomes are exactly the
/// C(2k, k) interleavings of the sections, each with both booleans. ExhaustiveTests runs the exhaustive mode on it to
/// hold the Coyote hook to what it claims (every schedule, each once), so that a Coyote whose internals moved fails CI.
/// It lives here, not in the tests, because only a rewritten assembly's locks and threads are under Coyote's control.
/// </summary>
public sealed class CalibrationModel(int sections)
{
    private readonly HashSet<string> outcomes = [];
    private readonly object outcomesGate = new();

    /// <summary>The distinct outcomes seen so far: the log, then "+" or "-" for the boolean.</summary>
    public IReadOnlyCollection<string> Outcomes
    {
        get
        {
            lock (outcomesGate)
            {
                return [.. outcomes];
            }
        }
    }

    /// <summary>How many times <see cref="Run"/> ran to its end.</summary>
    public int Runs { get; private set; }

    /// <summary>One schedule (the body of a Coyote test).</summary>
    public void Run()
    {
        var log = new StringBuilder();
        var gate = new object();
        var other = new Thread(() => Work('b', gate, log));
        other.Start();
        Work('a', gate, log);
        other.Join();
        var flag = Microsoft.Coyote.Random.Generator.Create().NextBoolean();
        lock (outcomesGate)
        {
            outcomes.Add(log + (flag ? "+" : "-"));
            Runs++;
        }
    }

    private void Work(char letter, object gate, StringBuilder log)
    {
        for (var i = 0; i < sections; i++)
        {
            lock (gate)
            {
                log.Append(letter);
            }
        }
    }
}

using Multifd.Engine.Core;

namespace Multifd.Checker.Entry;

/// <summary>Temporary smoke entry point (replaced by the scenario entry points).</summary>
public static class CoreSmoke
{
    [Microsoft.Coyote.SystematicTesting.Test]
    public static void ThreadPoolWaitsForAllWork()
    {
        QemuThread.Adopt("main");
        var pool = new QemuThreadPool("pool", (name, body) => QemuThread.Create(name, _ => body()));
        var m = new QemuMutex("m");
        var done = 0;
        for (var i = 0; i < 2; i++)
        {
            pool.SubmitImmediate($"w{i}", () =>
            {
                m.Lock();
                done++;
                m.Unlock();
            });
        }

        pool.Wait();
        Microsoft.Coyote.Specifications.Specification.Assert(done == 2, $"pool returned with {done} of 2 done");
        pool.Free();
    }
}

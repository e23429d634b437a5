namespace Multifd.Engine.Core;

/// <summary>QEMU's QemuSemaphore (qemu_sem_post / qemu_sem_wait).</summary>
/// <param name="onBlock">Called when a wait is about to block (the count is zero), for the trace.</param>
public sealed class QemuSemaphore(string name, int initial = 0, Action<QemuSemaphore>? onBlock = null)
{
    private readonly SemaphoreSlim semaphore = new(initial);

    public string Name { get; } = name;

    public void Post() => semaphore.Release();

    public void Wait()
    {
        if (semaphore.CurrentCount == 0)
        {
            onBlock?.Invoke(this);
        }

        semaphore.Wait();
    }
}

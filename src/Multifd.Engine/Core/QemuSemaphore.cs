namespace Multifd.Engine.Core;

/// <summary>QEMU's QemuSemaphore (qemu_sem_post / qemu_sem_wait).</summary>
public sealed class QemuSemaphore(string name, int initial = 0)
{
    private readonly SemaphoreSlim semaphore = new(initial);

    public string Name { get; } = name;

    public void Post() => semaphore.Release();

    public void Wait() => semaphore.Wait();
}
